// spot.ts - watches EC2's instance metadata (IMDSv2) for a spot interruption notice (agent protocol 4.4).
// Invariants: polls `latest/meta-data/spot/instance-action` every `intervalMs` with a session token (fetched
// again when refused); 404 means "no notice"; a notice is reported once; failures are retried quietly.

export const IMDS_BASE_URL = 'http://169.254.169.254';

export interface SpotWatchOptions {
  /** Reports the announced termination time (seconds since the epoch). */
  onInterruption(at: number, action: string): void;
  baseUrl?: string;
  intervalMs?: number;
  fetch?: typeof fetch;
  onError?(err: Error): void;
}

export interface SpotWatch {
  stop(): void;
}

/** Fetches an IMDSv2 session token. */
async function imdsToken(base: string, doFetch: typeof fetch): Promise<string> {
  const res = await doFetch(`${base}/latest/api/token`, {
    method: 'PUT',
    headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '21600' },
    signal: AbortSignal.timeout(2000),
  });
  if (!res.ok) throw new Error(`IMDS token: HTTP ${res.status}`);
  return res.text();
}

/**
 * Reads one metadata path with IMDSv2; null on 404.
 * @example await readMetadata('instance-id') // 'i-0123456789abcdef0'
 */
export async function readMetadata(path: string, options: { baseUrl?: string; fetch?: typeof fetch; token?: string } = {}): Promise<string | null> {
  const base = options.baseUrl ?? IMDS_BASE_URL;
  const doFetch = options.fetch ?? fetch;
  const token = options.token ?? (await imdsToken(base, doFetch));
  const res = await doFetch(`${base}/latest/meta-data/${path}`, {
    headers: { 'X-aws-ec2-metadata-token': token },
    signal: AbortSignal.timeout(2000),
  });
  if (res.status === 404) return null;
  if (!res.ok) throw Object.assign(new Error(`IMDS ${path}: HTTP ${res.status}`), { status: res.status });
  return res.text();
}

/**
 * Starts polling; the first poll runs at once.
 * @example startSpotWatch({ onInterruption: (at) => session.send({ type: 'node.event', kind: 'spot-interruption', at }) })
 */
export function startSpotWatch(options: SpotWatchOptions): SpotWatch {
  const base = options.baseUrl ?? IMDS_BASE_URL;
  const doFetch = options.fetch ?? fetch;
  const intervalMs = options.intervalMs ?? 5000;
  let token: string | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;

  const poll = async (): Promise<void> => {
    timer = null;
    try {
      token ??= await imdsToken(base, doFetch);
      const text = await readMetadata('spot/instance-action', { baseUrl: base, fetch: doFetch, token });
      if (text !== null && !stopped) {
        const notice = JSON.parse(text) as { action?: string; time?: string };
        const at = notice.time ? Date.parse(notice.time) / 1000 : NaN;
        stopped = true;
        options.onInterruption(Number.isFinite(at) ? at : Date.now() / 1000 + 120, notice.action ?? 'terminate');
        return;
      }
    } catch (err) {
      if ((err as { status?: number }).status === 401) token = null;
      options.onError?.(err as Error);
    }
    if (!stopped) timer = setTimeout(() => void poll(), intervalMs);
  };
  void poll();

  return {
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

// subscribe.ts - push subscriptions: one WebSocket to the watch link (/v1/watch, docs/rest-api.md "Push
// subscriptions"), its pushes yielded in arrival order. Only long-lived control planes (local mode, on-prem head
// nodes) serve the link; on AWS clients long-poll (FlurryClient.events/output/wait, KvsClient.changes).
// Invariants: no node:* imports (the global WebSocket, an injected one, or the `ws` package loaded on demand); the
// token travels in the first message, never in the URL; the socket is closed when iteration ends for any reason;
// with `ws`, reading pauses while more than HIGH_WATER pushes wait unread, so the server sees the backpressure.
import { FlurryApiError } from './errors.ts';
import type { JobEvent, JobId, OutputEntry } from './types.ts';

/** The part of the WebSocket API this module uses (browsers, Deno, Node 22's global, and `ws` all fit). */
export interface WebSocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  /** `ws` only: stop and restart reading from the socket. */
  pause?(): void;
  resume?(): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** A job to follow: its id, or its id with where to resume (`index + 1` of the last event seen, the last `cursor`). */
export type JobTargetSpec = JobId | { id: JobId; from?: number; cursor?: string };

export interface SubscribeSpec {
  /** Jobs to follow to their end, or `'all-mine'`: the caller's active jobs and every job they submit from now on. */
  jobs?: JobTargetSpec[] | 'all-mine';
  /** Push eventlog entries. When neither `events` nor `output` is given, both are pushed. */
  events?: boolean;
  /** Push standard output and error. */
  output?: boolean;
  /** KVS keys to watch, after version `after` (default: the namespace's version when the subscription starts). */
  kvs?: Array<{ namespace: string; key: string; after?: number }>;
  signal?: AbortSignal;
}

/** A change of a watched key, as GET /v1/kvs/namespaces/{ns}/watch reports it (without its version). */
export type KvsChangeBody = { op: 'set'; entry: unknown } | { op: 'append'; data: unknown } | { op: 'unlink' };

/** One push. Iteration ends after every job is done when nothing else can come (no KVS keys, not `all-mine`). */
export type WatchPush =
  | { type: 'event'; jobid: JobId; index: number; event: JobEvent }
  | { type: 'output'; jobid: JobId; entries: OutputEntry[]; cursor: string; truncated?: true }
  | { type: 'kvs'; namespace: string; key: string; version: number; change: KvsChangeBody }
  | { type: 'done'; jobid: JobId }
  | { type: 'error'; jobid?: JobId; namespace?: string; key?: string; code: string; message: string };

/** Unread pushes past which reading pauses (where the socket can pause). */
const HIGH_WATER = 1000;
const SUBSCRIPTION_ID = 1;

const STATUS_OF_CODE: Record<string, number> = { invalid: 400, unauthorized: 401, not_found: 404, conflict: 409, limit: 429, unavailable: 503 };

/** The error for a close the client did not ask for. */
function closeError(code: number, reason: string, url: string): FlurryApiError {
  switch (code) {
    case 4401:
      return new FlurryApiError(401, 'unauthorized', reason || 'unauthorized');
    case 4400:
      return new FlurryApiError(400, 'invalid', reason || 'bad message');
    case 4429:
      return new FlurryApiError(429, 'backpressure', reason || 'the client did not read its pushes fast enough');
    case 1001:
    case 1013:
      return new FlurryApiError(503, 'unavailable', reason || 'the watch link is unavailable; try again later');
    case 1006:
      return new FlurryApiError(0, 'unreachable', `cannot open a watch link at ${url}: only local-mode instances serve push subscriptions; long-poll instead (events(), output())`);
    default:
      return new FlurryApiError(0, 'closed', `the watch link closed (code ${code}${reason ? `: ${reason}` : ''})`);
  }
}

/** The constructor to use: the injected one, the global WebSocket, or the `ws` package. */
async function webSocketClass(injected?: WebSocketConstructor): Promise<WebSocketConstructor> {
  if (injected) return injected;
  const g = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (g) return g;
  const mod = (await import('ws')) as unknown as { WebSocket?: WebSocketConstructor; default?: WebSocketConstructor };
  const ws = mod.WebSocket ?? mod.default;
  if (!ws) throw new FlurryApiError(0, 'unsupported', 'no WebSocket here: pass `webSocket` in the client options');
  return ws;
}

/**
 * Open a subscription and yield its pushes.
 * @example for await (const p of subscribePushes(base, token, { jobs: [id], output: true })) if (p.type === 'output') …
 */
export async function* subscribePushes(base: string, token: string, spec: SubscribeSpec, injected?: WebSocketConstructor): AsyncGenerator<WatchPush> {
  const url = `${base.replace(/^http/i, 'ws')}/v1/watch`;
  const { signal, ...rest } = spec;
  signal?.throwIfAborted();
  const Ws = await webSocketClass(injected);
  const socket = new Ws(url);
  const queue: string[] = [];
  let paused = false;
  let ended: { error?: Error } | undefined;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  socket.onopen = () => {
    socket.send(JSON.stringify({ type: 'auth', token }));
    socket.send(JSON.stringify({ type: 'subscribe', id: SUBSCRIPTION_ID, ...rest }));
  };
  socket.onmessage = (ev) => {
    queue.push(typeof ev.data === 'string' ? ev.data : String(ev.data));
    if (queue.length > HIGH_WATER && socket.pause && !paused) {
      paused = true;
      socket.pause();
    }
    poke();
  };
  socket.onclose = (ev) => {
    ended ??= { error: closeError(ev.code, ev.reason, url) };
    poke();
  };
  socket.onerror = () => undefined; // a close follows, carrying the reason
  const onAbort = () => {
    ended ??= { error: signal?.reason instanceof Error ? signal.reason : new Error('aborted') };
    poke();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const text = queue.shift();
      if (text === undefined) {
        if (ended) {
          if (ended.error) throw ended.error;
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (paused && queue.length < HIGH_WATER / 2) {
        paused = false;
        socket.resume?.();
      }
      const msg = JSON.parse(text) as { type: string; id?: unknown; [k: string]: unknown };
      const { id: _id, ...push } = msg;
      if (msg.type === 'complete') return;
      if (msg.type === 'ready' || msg.type === 'subscribed' || msg.type === 'unsubscribed') continue;
      if (msg.type === 'error' && push.jobid === undefined && push.namespace === undefined) {
        const code = String(push.code);
        throw new FlurryApiError(STATUS_OF_CODE[code] ?? 0, code, String(push.message));
      }
      yield push as WatchPush;
    }
  } finally {
    ended ??= {};
    signal?.removeEventListener('abort', onAbort);
    socket.onmessage = null;
    socket.onclose = null;
    try {
      socket.close(1000, 'done');
    } catch {
      // Already closed.
    }
  }
}

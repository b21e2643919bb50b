// connection.ts - dials the control plane and redials after every disconnect (agent protocol 1.1, 4.3).
// Invariants: at most one socket is open at a time; the next dial waits 0.1 s doubling to 10 s with jitter until
// `resetBackoff()` (called on `welcome`); once `stop()` is called, or `onClose` answers 'stop', nothing dials again.
import WebSocket from 'ws';

/** The narrow view of a WebSocket the agent needs; `wsSocketFactory` adapts `ws`, tests may pass fakes. */
export interface AgentSocket {
  send(text: string): void;
  close(code?: number, reason?: string): void;
}

/** Events a socket reports; `close` fires exactly once per socket, also after a failed dial. */
export interface SocketHandlers {
  open(): void;
  message(text: string): void;
  close(code: number, reason: string): void;
  error(err: Error): void;
}

export type SocketFactory = (url: string, handlers: SocketHandlers) => AgentSocket;

/** Options of the real adapter: `ca` trusts a self-signed certificate for wss://. */
export interface WsSocketOptions {
  ca?: string | Buffer;
  /** How long a close handshake may take before the socket is torn down (ms). */
  closeTimeoutMs?: number;
}

/**
 * A `SocketFactory` over the `ws` package.
 * @example const factory = wsSocketFactory({ ca: readFileSync('/etc/flurry/ca.pem') })
 */
export function wsSocketFactory(options: WsSocketOptions = {}): SocketFactory {
  return (url, handlers) => {
    // `closeTimeout` is a ws 8.23 option @types/ws does not list yet.
    const wsOptions: WebSocket.ClientOptions & { closeTimeout?: number } = {
      ...(options.ca !== undefined ? { ca: options.ca } : {}),
      closeTimeout: options.closeTimeoutMs ?? 2000,
      handshakeTimeout: 15_000,
    };
    const ws = new WebSocket(url, wsOptions);
    let closed = false;
    ws.on('open', () => handlers.open());
    ws.on('message', (data: WebSocket.RawData) => {
      handlers.message(Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as Buffer).toString('utf8'));
    });
    ws.on('error', (err: Error) => handlers.error(err));
    ws.on('close', (code: number, reason: Buffer) => {
      if (closed) return;
      closed = true;
      handlers.close(code, reason.toString('utf8'));
    });
    return {
      send: (text) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(text);
      },
      close: (code, reason) => {
        if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
        else if (ws.readyState === WebSocket.OPEN) ws.close(code, reason === undefined ? undefined : closeReason(reason));
      },
    };
  };
}

/**
 * A close reason cut to the 123 bytes a WebSocket close frame allows (ws throws beyond), on a character boundary.
 * @example Buffer.byteLength(closeReason('ƒ'.repeat(100))) // 122
 */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= 123) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    bytes += Buffer.byteLength(ch);
    if (bytes > 120) break;
    out += ch;
  }
  return `${out}…`; // the ellipsis is 3 bytes
}

/**
 * The agent endpoint for a control-plane URI: ws(s):// URIs are used as given; http(s)://host:port gets the
 * scheme switched and `/v1/agent` appended when it has no path.
 * @example agentUrl('http://127.0.0.1:8080') // 'ws://127.0.0.1:8080/v1/agent'
 */
export function agentUrl(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new Error(`not a URL: ${uri}`);
  }
  if (url.protocol === 'ws:' || url.protocol === 'wss:') return url.toString();
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported scheme in ${uri} (use ws://, wss://, http:// or https://)`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/agent';
  return url.toString();
}

/**
 * The HTTP base URI (`http(s)://host:port`) of the control plane an agent dials, for tasks' FLURRY_URI.
 * @example httpBaseUri('wss://flurry.example.org/v1/agent') // 'https://flurry.example.org'
 */
export function httpBaseUri(uri: string): string {
  const url = new URL(uri);
  const scheme = url.protocol === 'wss:' || url.protocol === 'https:' ? 'https:' : 'http:';
  return `${scheme}//${url.host}`;
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 10_000 };

/**
 * 4.3: the wait before dial number `attempt` (0-based) after a disconnect: initial × 2^attempt capped at max,
 * then jittered into [50 %, 100 %] of that so a fleet of agents does not redial in step.
 * @example backoffDelay(0, DEFAULT_BACKOFF, () => 1) // 100
 */
export function backoffDelay(attempt: number, backoff: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.5 + 0.5 * random()));
}

/** What to do after a close: redial (after backoff, or at once) or stop for good. */
export type CloseDecision = 'reconnect' | 'reconnect-now' | 'stop';

export interface ConnectionOptions {
  url: string;
  factory: SocketFactory;
  /** A socket is open: send `hello` on it. */
  onOpen(socket: AgentSocket): void;
  onMessage(text: string): void;
  /** The socket closed (or never opened: code 1006); decides whether to dial again. */
  onClose(code: number, reason: string, delayMs: number): CloseDecision;
  onError?(err: Error): void;
  backoff?: BackoffOptions;
  random?: () => number;
}

export interface Connection {
  /** The open socket, if any. */
  readonly socket: AgentSocket | null;
  /** Next disconnect waits the initial delay again (call once the handshake succeeded). */
  resetBackoff(): void;
  /** Close the current socket and never dial again; resolves once the socket reported its close. */
  stop(code?: number, reason?: string): Promise<void>;
}

/** Dials at once, then keeps a connection up as `onClose` decides. */
export function startConnection(options: ConnectionOptions): Connection {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  let attempt = 0;
  let socket: AgentSocket | null = null;
  let dialing: AgentSocket | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let closedWaiters: Array<() => void> = [];

  const dial = (): void => {
    timer = null;
    if (stopped) return;
    let closing = false; // once we close a socket, what it still delivers is not acted on
    let raw: AgentSocket | undefined;
    const current: AgentSocket = {
      send: (text) => raw?.send(text),
      close: (code, reason) => {
        closing = true;
        raw?.close(code, reason);
      },
    };
    dialing = current;
    raw = options.factory(options.url, {
      open: () => {
        if (dialing !== current) return;
        socket = current;
        if (stopped) current.close(1000, 'agent stopping');
        else options.onOpen(current);
      },
      message: (text) => {
        if (socket === current && !stopped && !closing) options.onMessage(text);
      },
      error: (err) => options.onError?.(err),
      close: (code, reason) => {
        if (dialing !== current) return;
        dialing = null;
        socket = null;
        const waiters = closedWaiters;
        closedWaiters = [];
        for (const w of waiters) w();
        if (stopped) return;
        const delay = backoffDelay(attempt, backoff, options.random);
        const decision = options.onClose(code, reason, delay);
        if (decision === 'stop' || stopped) {
          stopped = true;
          return;
        }
        attempt++;
        timer = setTimeout(dial, decision === 'reconnect-now' ? 0 : delay);
      },
    });
  };
  dial();

  return {
    get socket() {
      return socket;
    },
    resetBackoff: () => {
      attempt = 0;
    },
    stop: (code = 1000, reason = 'agent stopping') => {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      const current = dialing;
      if (!current) return Promise.resolve();
      return new Promise<void>((resolve) => {
        closedWaiters.push(resolve);
        current.close(code, reason);
      });
    },
  };
}

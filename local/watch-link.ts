// watch-link.ts - the push-subscription link of a long-lived control plane: a `ws` server at /v1/watch on the
// control plane's HTTP server, next to the agent link, carrying one WatchSession (control/watch) per connection.
// On AWS there is no such link: clients long-poll the REST API there.
// Invariants: an upgrade with a bad `Authorization` token is refused with a 401 before any WebSocket exists; at
// most maxConnections sessions at once (more are refused with 503); closeAll() ends every session.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { bearerToken } from '../control/api/auth.ts';
import type { Notifier } from '../control/jobs/notifier.ts';
import type { Caller, Services } from '../control/services.ts';
import { DEFAULT_WATCH_LIMITS, type WatchLimits } from '../control/watch/protocol.ts';
import { WatchSession } from '../control/watch/session.ts';
import { SubmitFeed } from '../control/watch/submissions.ts';

export const WATCH_PATH = '/v1/watch';

export interface WatchLinkOptions {
  /** The plane's services; `jobs` is wrapped so `all-mine` subscriptions hear of new jobs. */
  services: Services;
  notifier: Notifier;
  limits?: Partial<WatchLimits>;
  /** Watch connections open at once (default 256). */
  maxConnections?: number;
  log?: (line: string) => void;
}


/** Refuses an upgrade with an HTTP status and the REST API's JSON error body. */
function refuse(socket: Duplex, status: number, text: string, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

export class WsWatchLink {
  /** Live limits: changing them affects new connections (and the buffer limit of open ones). */
  readonly limits: WatchLimits;
  maxConnections: number;
  readonly feed = new SubmitFeed();
  readonly #sessions = new Map<WebSocket, WatchSession>();
  readonly #wss: WebSocketServer;
  readonly #services: Services;

  constructor(private readonly o: WatchLinkOptions) {
    this.limits = { ...DEFAULT_WATCH_LIMITS, ...o.limits };
    this.maxConnections = o.maxConnections ?? 256;
    this.#services = o.services;
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: this.limits.maxMessageBytes });
  }

  /** Takes over an HTTP upgrade for /v1/watch (the server's upgrade router decides which link gets which path). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#upgrade(req, socket, head).catch((err: Error) => {
      this.o.log?.(`watch link: upgrade: ${err.message}`);
      refuse(socket, 500, 'Internal Server Error', 'internal', 'internal error');
    });
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    if (this.#sessions.size >= this.maxConnections) {
      return refuse(socket, 503, 'Service Unavailable', 'unavailable', `too many watch connections (limit ${this.maxConnections}); try again later`);
    }
    const header = req.headers.authorization;
    let caller: Caller | undefined;
    if (header !== undefined) {
      const token = bearerToken(header);
      caller = token !== undefined && token.length <= 1024 ? await this.#services.auth.authenticate(token) : undefined;
      if (!caller) return refuse(socket, 401, 'Unauthorized', 'unauthorized', 'invalid or unknown token');
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, caller));
  }

  #accept(ws: WebSocket, caller: Caller | undefined): void {
    const session = new WatchSession(
      { jobs: this.#services.jobs, kvs: this.#services.kvs, auth: this.#services.auth, notifier: this.o.notifier, feed: this.feed, log: this.o.log },
      {
        send: (text) => ws.send(text),
        buffered: () => ws.bufferedAmount,
        close: (code, reason) => {
          this.#sessions.delete(ws);
          ws.close(code, reason);
        },
      },
      this.limits,
      caller,
    );
    this.#sessions.set(ws, session);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return session.close(4400, 'bad message: send text frames of JSON');
      void session.receive(data.toString());
    });
    ws.on('close', () => {
      this.#sessions.delete(ws);
      session.gone();
    });
    ws.on('error', () => ws.terminate());
  }

  /** Sessions open now (a session the server closed no longer counts, even while its close handshake runs). */
  get connections(): number {
    return this.#sessions.size;
  }

  /** Ends every session (shutdown). */
  closeAll(code: number, reason: string): void {
    for (const s of [...this.#sessions.values()]) s.close(code, reason);
    this.#sessions.clear();
    this.#wss.close();
  }
}

// session.ts - one watch connection, whatever carries it: authentication (a token from the upgrade, or a first
// `auth` message), subscribe/unsubscribe, pushes, limits and backpressure. local/watch-link.ts feeds it frames.
// Invariants: messages are handled one at a time, in arrival order; nothing but `auth` is accepted before the
// caller is known; every push goes through send(), which closes the connection (4429) as soon as the socket holds
// more than maxBufferedBytes unsent, and sends nothing after a close; close() stops every stream.
import type { Notifier } from '../jobs/notifier.ts';
import type { AuthService, Caller, JobService, KvsService } from '../services.ts';
import { CLOSE_CODES, parseClientMessage, ProtocolError, type ServerMessage, type SubscriptionId, type WatchLimits } from './protocol.ts';
import { Gate, type StreamContext } from './streams.ts';
import type { SubmitFeed } from './submissions.ts';
import { Subscription } from './subscription.ts';

/** The connection as a session sees it. */
export interface WatchSocket {
  send(text: string): void;
  /** Bytes accepted by send() but not yet written out. */
  buffered(): number;
  close(code: number, reason: string): void;
}

/** The services a session reads through. */
export interface WatchDeps {
  jobs: JobService;
  kvs?: KvsService;
  auth: AuthService;
  notifier: Notifier;
  feed: SubmitFeed;
  log?: (line: string) => void;
}

export class WatchSession {
  #caller: Caller | undefined;
  #closed = false;
  #jobs = 0;
  #queue: Promise<void> = Promise.resolve();
  readonly #subs = new Map<SubscriptionId, Subscription>();
  readonly #gate: Gate;
  readonly #authTimer: ReturnType<typeof setTimeout> | undefined;

  /** `caller` when the upgrade was already authenticated; else the first message must be `auth`. */
  constructor(
    private readonly deps: WatchDeps,
    private readonly socket: WatchSocket,
    private readonly limits: WatchLimits,
    caller?: Caller,
  ) {
    this.#gate = new Gate(limits.maxReads);
    if (caller) this.#ready(caller);
    else {
      this.#authTimer = setTimeout(() => this.close(CLOSE_CODES.unauthorized, `unauthorized: no auth message within ${limits.authTimeoutMs} ms`), limits.authTimeoutMs);
      this.#authTimer.unref?.();
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Subscriptions open now. */
  get subscriptions(): number {
    return this.#subs.size;
  }

  /** A text frame from the client; handled after the ones before it. */
  receive(text: string): Promise<void> {
    this.#queue = this.#queue.then(() => this.#handle(text)).catch((err: unknown) => {
      this.deps.log?.(`watch: ${(err as Error)?.message ?? String(err)}`);
      this.close(CLOSE_CODES.internal, 'internal error');
    });
    return this.#queue;
  }

  /** Ends the session: stops every stream and closes the socket with `code` and `reason` (once). */
  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#shutdown();
    // Close reasons are limited to 123 bytes by RFC 6455.
    this.socket.close(code, reason.length > 120 ? `${reason.slice(0, 117)}...` : reason);
  }

  /** The socket went away (the client closed it, or the network did). */
  gone(): void {
    this.#shutdown();
  }

  #shutdown(): void {
    this.#closed = true;
    clearTimeout(this.#authTimer);
    for (const s of this.#subs.values()) s.stop();
    this.#subs.clear();
  }

  /** Sends one push; closes the connection if the client is not keeping up. */
  send(msg: ServerMessage): void {
    if (this.#closed) return;
    if (msg.type === 'complete') this.#subs.delete(msg.id);
    this.socket.send(JSON.stringify(msg));
    const held = this.socket.buffered();
    if (held > this.limits.maxBufferedBytes) {
      this.close(CLOSE_CODES.backpressure, `backpressure: ${held} bytes unread (limit ${this.limits.maxBufferedBytes}); read faster or subscribe to less`);
    }
  }

  #ready(caller: Caller): void {
    this.#caller = caller;
    this.send({ type: 'ready', user: caller.user, role: caller.role });
  }

  async #handle(text: string): Promise<void> {
    if (this.#closed) return;
    let msg;
    try {
      if (text.length > this.limits.maxMessageBytes) throw new ProtocolError(`a message may hold at most ${this.limits.maxMessageBytes} bytes`);
      msg = parseClientMessage(text, this.limits);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      // Before authentication, a bad message ends the connection; after, only the subscription it named fails.
      if (!this.#caller) return this.close(CLOSE_CODES.unauthorized, `unauthorized: ${err.message}`);
      if (err.id === undefined) return this.close(CLOSE_CODES.badMessage, `bad message: ${err.message}`);
      return this.send({ type: 'error', id: err.id, code: 'invalid', message: err.message });
    }
    if (msg.type === 'auth') {
      if (this.#caller) return this.send({ type: 'error', code: 'invalid', message: 'already authenticated' });
      const caller = await this.deps.auth.authenticate(msg.token);
      if (this.#closed) return;
      clearTimeout(this.#authTimer);
      if (!caller) {
        this.send({ type: 'error', code: 'unauthorized', message: 'invalid or unknown token' });
        return this.close(CLOSE_CODES.unauthorized, 'unauthorized: invalid or unknown token');
      }
      return this.#ready(caller);
    }
    if (!this.#caller) return this.close(CLOSE_CODES.unauthorized, 'unauthorized: send {"type":"auth","token":...} first');
    if (msg.type === 'unsubscribe') {
      const sub = this.#subs.get(msg.id);
      sub?.stop();
      this.#subs.delete(msg.id);
      return this.send({ type: 'unsubscribed', id: msg.id });
    }
    if (this.#subs.has(msg.id)) return this.send({ type: 'error', id: msg.id, code: 'conflict', message: `subscription ${JSON.stringify(msg.id)} is already open` });
    if (this.#subs.size >= this.limits.maxSubscriptions) {
      return this.send({ type: 'error', id: msg.id, code: 'limit', message: `at most ${this.limits.maxSubscriptions} subscriptions per connection; unsubscribe from one first` });
    }
    if (msg.kvs.length > 0 && !this.deps.kvs) return this.send({ type: 'error', id: msg.id, code: 'unavailable', message: 'this instance has no KVS' });
    const sub = new Subscription(this.#host(), msg, this.#caller);
    this.#subs.set(msg.id, sub);
    sub.start();
  }

  #host() {
    const context = (signal: AbortSignal): StreamContext => ({
      caller: this.#caller!,
      jobs: this.deps.jobs,
      kvs: this.deps.kvs,
      notifier: this.deps.notifier,
      gate: this.#gate,
      signal,
    });
    return {
      context,
      send: (m: ServerMessage) => this.send(m),
      feed: this.deps.feed,
      takeJob: () => (this.#jobs < this.limits.maxJobs ? (this.#jobs++, true) : false),
      releaseJob: () => void this.#jobs--,
      log: this.deps.log,
    };
  }
}

// subscription.ts - one subscription of a watch connection: follows its jobs (a list, or all of the caller's active
// and future jobs) and its KVS keys, and turns what the streams emit into pushes.
// Invariants: a job is followed at most once per subscription; `done` for a job comes after its last event and
// output push; `complete` comes once, after every job is done, only when nothing more can come (no KVS keys, not
// `all-mine`); the connection's job budget is taken before a job is followed and given back when it ends.
import { setMaxListeners } from 'node:events';
import { FlurryError } from '../core/errors.ts';
import type { Caller } from '../services.ts';
import { f58, jsonSafe, type JobTarget, type KvsTarget, type ServerMessage, type SubscriptionId } from './protocol.ts';
import { followJob, followKvs, type StreamContext } from './streams.ts';
import type { SubmitFeed } from './submissions.ts';

/** What a subscription asks of its connection. */
export interface SubscriptionHost {
  context(signal: AbortSignal): StreamContext;
  send(msg: ServerMessage): void;
  feed: SubmitFeed;
  /** Takes one job from the connection's budget; false when it is spent. */
  takeJob(): boolean;
  releaseJob(): void;
  log?: (line: string) => void;
}

export interface SubscriptionSpec {
  id: SubscriptionId;
  jobs: JobTarget[] | 'all-mine' | undefined;
  events: boolean;
  output: boolean;
  kvs: KvsTarget[];
}

/** The error push for a failure of one job or key: its code when it is ours, else `internal`. */
function failure(err: unknown): { code: string; message: string } {
  if (err instanceof FlurryError) return { code: err.code, message: err.message };
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && err instanceof Error) return { code, message: err.message };
  return { code: 'internal', message: 'internal error' };
}

export class Subscription {
  readonly #ac = new AbortController();
  readonly #followed = new Set<bigint>();
  #running = 0;
  #listing = false;
  #stopFeed: (() => void) | undefined;
  #completed = false;

  constructor(
    private readonly host: SubscriptionHost,
    private readonly spec: SubscriptionSpec,
    private readonly caller: Caller,
  ) {
    // Each followed job's streams wait on this signal: up to maxJobs listeners, not a leak.
    setMaxListeners(0, this.#ac.signal);
  }

  get id(): SubscriptionId {
    return this.spec.id;
  }

  /** Starts every stream; `subscribed` is sent before any push of this subscription. */
  start(): void {
    const { spec } = this;
    this.host.send({ type: 'subscribed', id: spec.id });
    for (const k of spec.kvs) void this.#kvs(k);
    if (spec.jobs === 'all-mine') void this.#allMine();
    else for (const t of spec.jobs ?? []) this.#job(t);
    this.#maybeComplete();
  }

  /** Stops every stream of this subscription (unsubscribe, or the connection went away). */
  stop(): void {
    this.#stopFeed?.();
    this.#ac.abort(new Error('unsubscribed'));
  }

  #job(t: JobTarget): void {
    if (this.#followed.has(t.id) || this.#ac.signal.aborted) return;
    this.#followed.add(t.id);
    const jobid = f58(t.id);
    if (!this.host.takeJob()) {
      this.host.send({ type: 'error', id: this.spec.id, jobid, code: 'limit', message: `${jobid}: not followed: this connection already follows its limit of jobs` });
      return;
    }
    const { id } = this.spec;
    this.#running++;
    const emit = {
      event: this.spec.events ? (index: number, event: unknown) => this.host.send({ type: 'event', id, jobid, index, event: jsonSafe(event) }) : undefined,
      output: this.spec.output
        ? (entries: unknown[], cursor: string, truncated: boolean) => this.host.send({ type: 'output', id, jobid, entries, cursor, ...(truncated ? { truncated: true as const } : {}) })
        : undefined,
    };
    followJob(this.host.context(this.#ac.signal), t.id, t, emit)
      .then(
        () => {
          if (!this.#ac.signal.aborted) this.host.send({ type: 'done', id, jobid });
        },
        (err: unknown) => {
          if (!this.#ac.signal.aborted) this.host.send({ type: 'error', id, jobid, ...failure(err) });
          if (!(err instanceof FlurryError)) this.host.log?.(`watch: ${jobid}: ${(err as Error)?.message ?? String(err)}`);
        },
      )
      .finally(() => {
        this.#running--;
        this.host.releaseJob();
        this.#maybeComplete();
      });
  }

  async #kvs(k: KvsTarget): Promise<void> {
    const { id } = this.spec;
    try {
      await followKvs(this.host.context(this.#ac.signal), k.namespace, k.key, k.after, (c) => {
        const { version, ...change } = c;
        this.host.send({ type: 'kvs', id, namespace: k.namespace, key: k.key, version, change });
      });
    } catch (err) {
      if (!this.#ac.signal.aborted) this.host.send({ type: 'error', id, namespace: k.namespace, key: k.key, ...failure(err) });
    }
  }

  /** The caller's active jobs now, then each job they submit from now on (heard before the listing starts). */
  async #allMine(): Promise<void> {
    const start = (ids: bigint[]) => {
      for (const id of ids) this.#job({ id });
    };
    this.#stopFeed = this.host.feed.listen(this.caller.user, start);
    this.#listing = true;
    try {
      const ctx = this.host.context(this.#ac.signal);
      let cursor: string | undefined;
      do {
        const page = await ctx.gate.run(() => ctx.jobs.list(this.caller, { filter: 'active', limit: 1000, ...(cursor === undefined ? {} : { cursor }) }));
        start(page.jobs.map((j) => j.id));
        cursor = page.cursor;
      } while (cursor !== undefined && !this.#ac.signal.aborted);
    } catch (err) {
      if (!this.#ac.signal.aborted) this.host.send({ type: 'error', id: this.spec.id, ...failure(err) });
    } finally {
      this.#listing = false;
    }
  }

  #maybeComplete(): void {
    const s = this.spec;
    if (this.#completed || this.#ac.signal.aborted || this.#running > 0 || this.#listing) return;
    if (s.jobs === 'all-mine' || s.kvs.length > 0) return;
    this.#completed = true;
    this.host.send({ type: 'complete', id: s.id });
  }
}

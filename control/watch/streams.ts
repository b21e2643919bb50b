// streams.ts - the loops behind a subscription: one job's eventlog and output, one KVS key's changes. Each reads
// through the services with its own cursor (eventlog index, output cursor, KVS version) and waits on the notifier
// between reads.
// Invariants: every item is handed to `emit` exactly once and in order (the cursor only moves past what was
// emitted); the notifier is marked before each read, so a write landing between a read and the wait is not missed;
// reads of one connection go through its Gate (bounded concurrency); an aborted signal ends a loop quietly.
import { jobKey, outputKey, type Notifier } from '../jobs/notifier.ts';
import type { JobEvent } from '../core/job/index.ts';
import type { KeyChange } from '../kvs/types.ts';
import type { Caller, JobService, KvsService, OutputPage } from '../services.ts';

/** How long one wait on the notifier lasts before the loop reads again anyway (a safety net, not a poll). */
export const IDLE_WAIT_MS = 60_000;

/** A counting semaphore: at most `limit` reads in flight; the others queue in arrival order. */
export class Gate {
  #free: number;
  readonly #queue: Array<() => void> = [];

  constructor(limit: number) {
    this.#free = Math.max(1, limit);
  }

  /** Runs `fn` when a slot is free. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#queue.push(resolve));
    try {
      return await fn();
    } finally {
      const next = this.#queue.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/** What a stream needs: who asks, the services, the notifier, the connection's gate, and when to stop. */
export interface StreamContext {
  caller: Caller;
  jobs: JobService;
  kvs?: KvsService;
  notifier: Notifier;
  gate: Gate;
  signal: AbortSignal;
}

export interface JobEmit {
  event?(index: number, event: JobEvent): void;
  output?(entries: OutputPage['entries'], cursor: string, truncated: boolean): void;
}

/**
 * Follows job `id` until it is inactive and everything asked for was emitted: its events from index `from` (when
 * `emit.event`), its output after `cursor` (when `emit.output`). With neither, it only waits for the job to end.
 * Resolves when done or aborted; rejects when the job cannot be read (not found, not the caller's).
 */
export async function followJob(ctx: StreamContext, id: bigint, start: { from?: number; cursor?: string }, emit: JobEmit): Promise<void> {
  const loops: Array<Promise<void>> = [];
  if (emit.event || !emit.output) loops.push(followEvents(ctx, id, start.from ?? 0, emit.event));
  if (emit.output) loops.push(followOutput(ctx, id, start.cursor, emit.output));
  // Both loops run to their end; the first failure (after both settle) is the answer.
  const results = await Promise.allSettled(loops);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed && !ctx.signal.aborted) throw failed.reason;
}

async function followEvents(ctx: StreamContext, id: bigint, from: number, emit?: (index: number, e: JobEvent) => void): Promise<void> {
  const key = jobKey(id);
  let next = from;
  while (!ctx.signal.aborted) {
    const seen = ctx.notifier.mark(key);
    const page = await ctx.gate.run(() => ctx.jobs.eventlog(ctx.caller, id, next, 0, ctx.signal));
    if (ctx.signal.aborted) return;
    page.events.forEach((e, i) => emit?.(next + i, e));
    next = page.next;
    if (page.done) return;
    await ctx.notifier.wait(key, IDLE_WAIT_MS, ctx.signal, seen);
  }
}

async function followOutput(ctx: StreamContext, id: bigint, cursor: string | undefined, emit: NonNullable<JobEmit['output']>): Promise<void> {
  const key = outputKey(id);
  let at = cursor;
  while (!ctx.signal.aborted) {
    const seen = ctx.notifier.mark(key);
    const page = await ctx.gate.run(() => ctx.jobs.output(ctx.caller, id, at, 0, ctx.signal));
    if (ctx.signal.aborted) return;
    if (page.entries.length > 0 || page.truncated) emit(page.entries, page.cursor, page.truncated);
    at = page.cursor;
    if (page.done) return;
    await ctx.notifier.wait(key, IDLE_WAIT_MS, ctx.signal, seen);
  }
}

/**
 * Follows the changes of `key` in `namespace` after version `after` (default: the version now), for as long as the
 * signal allows. The KVS service's watch does the waiting (it marks the notifier before each read of the log).
 */
export async function followKvs(ctx: StreamContext, namespace: string, key: string, after: number | undefined, emit: (change: KeyChange) => void): Promise<void> {
  const kvs = ctx.kvs;
  if (!kvs) throw Object.assign(new Error('this instance has no KVS'), { code: 'unavailable' });
  let version = after ?? (await ctx.gate.run(() => kvs.version(ctx.caller, namespace)));
  while (!ctx.signal.aborted) {
    const page = await kvs.watch(ctx.caller, namespace, key, version, IDLE_WAIT_MS, ctx.signal);
    if (ctx.signal.aborted) return;
    for (const c of page.changes) emit(c);
    version = page.version;
  }
}

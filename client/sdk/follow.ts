// follow.ts - long-polling loops over the eventlog and output pages: yield what arrives, end when the server says
// `done`. Invariants: no sleeps or timers (each request waits server-side up to `waitSeconds`); a page is
// requested only after the previous one was answered, continuing from its `next`/`cursor`.
import type { EventlogPage, JobEvent, OutputEntry, OutputPage } from './types.ts';

/** How long each long poll may wait on the server (it clamps to its own limit, ≤ 60 s). */
export const DEFAULT_WAIT_SECONDS = 25;

export interface EventsOptions {
  /** First event index (default 0). */
  from?: number;
  waitSeconds?: number;
  signal?: AbortSignal;
}

export interface OutputOptions {
  /** Continue after this cursor (default: from the start). */
  cursor?: string;
  waitSeconds?: number;
  signal?: AbortSignal;
  /** Called once if the server dropped some of the job's output at its per-job cap. */
  onTruncated?: () => void;
}

type EventlogFetch = (o: { from: number; waitSeconds: number; signal?: AbortSignal }) => Promise<EventlogPage>;
type OutputFetch = (o: { cursor?: string; waitSeconds: number; signal?: AbortSignal }) => Promise<OutputPage>;

/**
 * Yield events from `from` on until the job is inactive.
 * @example for await (const ev of followEvents((o) => client.eventlogPage(id, o))) console.log(ev.name)
 */
export async function* followEvents(fetchPage: EventlogFetch, opts: EventsOptions = {}): AsyncGenerator<JobEvent> {
  let from = opts.from ?? 0;
  const waitSeconds = opts.waitSeconds ?? DEFAULT_WAIT_SECONDS;
  for (;;) {
    const page = await fetchPage(opts.signal ? { from, waitSeconds, signal: opts.signal } : { from, waitSeconds });
    yield* page.events;
    if (page.done) return;
    from = page.next;
  }
}

/**
 * Yield output entries until the job is inactive and all of its output has been read.
 * @example for await (const o of followOutput((p) => client.outputPage(id, p))) process.stdout.write(o.data)
 */
export async function* followOutput(fetchPage: OutputFetch, opts: OutputOptions = {}): AsyncGenerator<OutputEntry> {
  let cursor = opts.cursor;
  let truncated = false;
  const waitSeconds = opts.waitSeconds ?? DEFAULT_WAIT_SECONDS;
  for (;;) {
    const req: { cursor?: string; waitSeconds: number; signal?: AbortSignal } = { waitSeconds };
    if (cursor !== undefined) req.cursor = cursor;
    if (opts.signal) req.signal = opts.signal;
    const page = await fetchPage(req);
    if (page.truncated && !truncated) {
      truncated = true;
      opts.onTruncated?.();
    }
    yield* page.entries;
    if (page.done) return;
    cursor = page.cursor;
  }
}

// writers.ts - the event sequences writers append: a run's completion, a fatal exception (cancel, timeout, node loss).
// Invariants: every sequence returned is valid on the view it was computed from (checked by replay before returning);
// each only adds what is still missing, so calling it again on the updated view returns [] (idempotent appends).
import { InvalidInputError } from '../errors.ts';
import { FATAL, type JobEvent } from './events.ts';
import { step } from './transitions.ts';
import type { JobView } from './types.ts';

/** Throw unless `events` can be appended to `view` in order; return them. */
function checked(what: string, view: JobView, events: JobEvent[]): JobEvent[] {
  let v = view;
  for (const ev of events) {
    const next = step(v, ev);
    if (typeof next === 'string') throw new InvalidInputError(`${what}: ${next}`);
    v = next;
  }
  return events;
}

/**
 * The events that take a job from RUN (or from CLEANUP after a fatal exception) to INACTIVE, in one append:
 * `start` (if the shells were never reported started and the job is still in RUN), `finish` with `status`,
 * `release` (final, of `ranks`), `free`, `clean`, leaving out those already logged. [] once the job is INACTIVE.
 * A job that never started gets no finish: its status is dropped. Throws InvalidInputError for a pending job, or
 * when a prolog or epilog is still running.
 * @example completionEvents(runningView, { status: 0, timestamp: 1700000100 }).map((e) => e.name)
 *   // ['finish', 'release', 'free', 'clean']
 */
export function completionEvents(
  view: JobView,
  opts: { status: number; timestamp: number; ranks?: string },
): JobEvent[] {
  if (view.state === 'INACTIVE') return [];
  if (view.state !== 'RUN' && view.state !== 'CLEANUP') {
    throw new InvalidInputError(`completing a job in state ${view.state}: it has not been allocated resources`);
  }
  const t = opts.timestamp;
  const events: JobEvent[] = [];
  const started = view.started || view.state === 'RUN';
  if (!view.started && view.state === 'RUN') events.push({ timestamp: t, name: 'start' });
  if (started && view.waitstatus === undefined) events.push({ timestamp: t, name: 'finish', context: { status: opts.status } });
  if (started && !view.released && !view.freed) {
    events.push({ timestamp: t, name: 'release', context: { ranks: opts.ranks ?? 'all', final: true } });
  }
  if (view.allocated && !view.freed) events.push({ timestamp: t, name: 'free' });
  events.push({ timestamp: t, name: 'clean' });
  return checked('completing the job', view, events);
}

/**
 * The events that raise an exception on a job. A fatal one (severity 0, the default) on a pending job also ends it
 * (`clean` follows, as the job holds nothing); on a job in RUN it is the exception alone, the kill and the completion
 * following from the agents; on a NEW job `validate` comes first (RFC 21 allows no exception in NEW, and our API
 * validates a jobspec before it writes `submit`). [] for an INACTIVE job, or a fatal exception on a job already in
 * CLEANUP with one (nothing left to end).
 * @example exceptionEvents(schedView, { type: 'timeout', note: 'begin-time passed', timestamp: 5 }).map((e) => e.name)
 *   // ['exception', 'clean']
 */
export function exceptionEvents(
  view: JobView,
  opts: { type: string; note: string; timestamp: number; severity?: number; userid?: string },
): JobEvent[] {
  const severity = opts.severity ?? FATAL;
  if (view.state === 'INACTIVE') return [];
  if (severity === FATAL && view.state === 'CLEANUP' && view.exception?.severity === FATAL) return [];
  const t = opts.timestamp;
  const context: Record<string, unknown> = { type: opts.type, severity, note: opts.note };
  if (opts.userid !== undefined) context.userid = opts.userid;
  const events: JobEvent[] = [];
  if (view.state === 'NEW') events.push({ timestamp: t, name: 'validate' });
  events.push({ timestamp: t, name: 'exception', context });
  const pending = view.state === 'NEW' || view.state === 'DEPEND' || view.state === 'PRIORITY' || view.state === 'SCHED';
  if (severity === FATAL && pending) events.push({ timestamp: t, name: 'clean' });
  return checked(`raising "${opts.type}" on the job`, view, events);
}

/**
 * Cancel a job (a fatal `cancel` exception): a pending job gets exception + clean and is INACTIVE/CANCELED at once;
 * a running one gets the exception only (kill it, then append completionEvents). [] once it is in CLEANUP or INACTIVE:
 * it has ended already, and a late cancel must not turn a finished job's result into CANCELED.
 * @example cancelEvents(pendingView, { timestamp: 5, userid: 'alice', note: '' }).map((e) => e.name) // ['exception', 'clean']
 */
export function cancelEvents(view: JobView, opts: { timestamp: number; userid: string; note?: string }): JobEvent[] {
  if (view.state === 'CLEANUP') return [];
  return exceptionEvents(view, { type: 'cancel', note: opts.note ?? '', timestamp: opts.timestamp, userid: opts.userid });
}

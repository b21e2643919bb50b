// fixtures.ts - eventlog builders for tests and the simulator: one function per RFC 21 event, and logs up to each state.
// Invariant: every log built by `logTo` is valid; timestamps strictly increase from `t0`.
import type { JobEvent } from './events.ts';

/** Event builders, each taking the timestamp first. */
export const E = {
  submit: (t: number, userid = 'alice', urgency = 16): JobEvent => ({
    timestamp: t, name: 'submit', context: { userid, urgency, flags: 0, version: 1 },
  }),
  validate: (t: number): JobEvent => ({ timestamp: t, name: 'validate' }),
  invalidate: (t: number): JobEvent => ({ timestamp: t, name: 'invalidate' }),
  depAdd: (t: number, description: string): JobEvent => ({ timestamp: t, name: 'dependency-add', context: { description } }),
  depRemove: (t: number, description: string): JobEvent => ({ timestamp: t, name: 'dependency-remove', context: { description } }),
  depend: (t: number): JobEvent => ({ timestamp: t, name: 'depend' }),
  priority: (t: number, priority = 1000): JobEvent => ({ timestamp: t, name: 'priority', context: { priority } }),
  urgency: (t: number, urgency: number, userid = 'alice'): JobEvent => ({ timestamp: t, name: 'urgency', context: { urgency, userid } }),
  restart: (t: number): JobEvent => ({ timestamp: t, name: 'flux-restart' }),
  alloc: (t: number): JobEvent => ({ timestamp: t, name: 'alloc' }),
  prologStart: (t: number, description = 'prolog'): JobEvent => ({ timestamp: t, name: 'prolog-start', context: { description } }),
  prologFinish: (t: number, description = 'prolog', status = 0): JobEvent => ({
    timestamp: t, name: 'prolog-finish', context: { description, status },
  }),
  epilogStart: (t: number, description = 'epilog'): JobEvent => ({ timestamp: t, name: 'epilog-start', context: { description } }),
  epilogFinish: (t: number, description = 'epilog', status = 0): JobEvent => ({
    timestamp: t, name: 'epilog-finish', context: { description, status },
  }),
  start: (t: number): JobEvent => ({ timestamp: t, name: 'start' }),
  finish: (t: number, status = 0): JobEvent => ({ timestamp: t, name: 'finish', context: { status } }),
  release: (t: number, final = true, ranks = 'all'): JobEvent => ({ timestamp: t, name: 'release', context: { ranks, final } }),
  free: (t: number): JobEvent => ({ timestamp: t, name: 'free' }),
  clean: (t: number): JobEvent => ({ timestamp: t, name: 'clean' }),
  exception: (t: number, type = 'cancel', severity = 0, note = ''): JobEvent => ({
    timestamp: t, name: 'exception', context: { type, severity, note },
  }),
  memo: (t: number, memo: Record<string, unknown>): JobEvent => ({ timestamp: t, name: 'memo', context: memo }),
};

/** The normal path: the events that lead to (and including) each step. */
const PATH: Array<(t: number) => JobEvent> = [
  (t) => E.submit(t), E.validate, E.depend, (t) => E.priority(t), E.alloc, E.start, (t) => E.finish(t, 0),
  (t) => E.release(t), E.free, E.clean,
];
const STEPS = { NEW: 1, DEPEND: 2, PRIORITY: 3, SCHED: 4, RUN: 5, STARTED: 6, CLEANUP: 7, RELEASED: 8, FREED: 9, INACTIVE: 10 };

/**
 * A valid log that leaves a job at `where` on the normal path (STARTED: RUN after `start`; RELEASED/FREED: CLEANUP
 * after the final release / the free). Timestamps are t0, t0+1, ….
 * @example logTo('SCHED').map((e) => e.name) // ['submit', 'validate', 'depend', 'priority']
 */
export function logTo(where: keyof typeof STEPS, t0 = 1000): JobEvent[] {
  return PATH.slice(0, STEPS[where]).map((make, i) => make(t0 + i));
}

// view.ts - questions asked of a JobView: active/pending/running (RFC 21 virtual states), held (RFC 30), runtime.
// Invariant: pure; time is passed in (`now`, seconds since the epoch), never read from a clock.
import { PENDING_STATES, RUNNING_STATES, type JobView } from './types.ts';

/**
 * Active: not yet INACTIVE (NEW counts as active here: the job exists and has not ended).
 * @example isActive(reduceEventlog([submit])) // true
 */
export function isActive(view: Pick<JobView, 'state'>): boolean {
  return view.state !== 'INACTIVE';
}

/**
 * Pending (RFC 21 virtual state): DEPEND, PRIORITY or SCHED.
 * @example isPending({ state: 'SCHED' }) // true
 */
export function isPending(view: Pick<JobView, 'state'>): boolean {
  return PENDING_STATES.includes(view.state);
}

/**
 * Running (RFC 21 virtual state): RUN or CLEANUP.
 * @example isRunning({ state: 'CLEANUP' }) // true
 */
export function isRunning(view: Pick<JobView, 'state'>): boolean {
  return RUNNING_STATES.includes(view.state);
}

/**
 * Held (RFC 30): urgency 0, so the job is never given resources while pending.
 * @example isHeld({ urgency: 0 }) // true
 */
export function isHeld(view: Pick<JobView, 'urgency'>): boolean {
  return view.urgency === 0;
}

/**
 * Seconds the job has run, as `flux jobs` computes it: from entering RUN to entering CLEANUP, or to `now` while in RUN;
 * 0 for a job that never ran.
 * @example runtime({ t_run: 100, t_cleanup: 160.5 }, 999) // 60.5
 */
export function runtime(view: Pick<JobView, 't_run' | 't_cleanup'>, now: number): number {
  if (view.t_run === undefined) return 0;
  const end = view.t_cleanup ?? now;
  return Math.max(0, end - view.t_run);
}

// priority.ts - RFC 30 urgency → priority, and the order jobs are offered to the scheduler.
// Invariants: urgency 0 (held) → priority 0, never scheduled; 31 (expedite) → the highest priority; otherwise the
// priority is the urgency. Order: priority descending, then submit time, then id (a total order).

import { InvalidInputError } from '../errors.ts';
import type { PendingJob } from './types.ts';

export const URGENCY_HOLD = 0;
export const URGENCY_DEFAULT = 16;
export const URGENCY_EXPEDITE = 31;
export const PRIORITY_MIN = 0;
/** Flux's FLUX_JOB_PRIORITY_MAX. */
export const PRIORITY_MAX = 4294967295;

/**
 * The default priority of a job with this urgency.
 * @example priorityFromUrgency(16) // 16; priorityFromUrgency(0) // 0 (held); priorityFromUrgency(31) // 4294967295
 */
export function priorityFromUrgency(urgency: number): number {
  if (!Number.isInteger(urgency) || urgency < 0 || urgency > 31) throw new InvalidInputError('must be an integer from 0 to 31', 'urgency');
  if (urgency === URGENCY_HOLD) return PRIORITY_MIN;
  if (urgency === URGENCY_EXPEDITE) return PRIORITY_MAX;
  return urgency;
}

/** Negative when `a` goes first. @example jobs.sort(compareJobs) */
export function compareJobs(a: PendingJob, b: PendingJob): number {
  return b.priority - a.priority || a.t_submit - b.t_submit || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The jobs in scheduling order; returns the input itself when it is already in order (a GSI query usually is),
 * else a sorted copy. @example for (const job of inPriorityOrder(pending)) ...
 */
export function inPriorityOrder(jobs: readonly PendingJob[]): readonly PendingJob[] {
  for (let i = 1; i < jobs.length; i++) {
    if (compareJobs(jobs[i - 1]!, jobs[i]!) > 0) return [...jobs].sort(compareJobs);
  }
  return jobs;
}

// types.ts - the queue policies' inputs (pending and running jobs) and output (decisions), over virtual time.
// Invariant: times are seconds since the epoch, given by the caller; a duration or expiration of 0 means unlimited.

import type { MatchPolicy, ResourceRequest, Rv1 } from '../resource/types.ts';

/** A job waiting for resources. `priority` 0 = held (never scheduled); higher first, then earlier `t_submit`. */
export interface PendingJob {
  id: string;
  priority: number;
  /** Submit time, seconds. */
  t_submit: number;
  request: ResourceRequest;
  /** Time limit in seconds; 0 = unlimited. */
  duration: number;
}

/** A job holding resources in the graph, with its R's expiration (0 = unlimited). */
export interface RunningJob {
  id: string;
  expiration: number;
}

export type QueuePolicy = 'fcfs' | 'easy';

export interface PassOptions {
  queue: QueuePolicy;
  match: MatchPolicy;
  /** Current time, seconds. */
  now: number;
  /** EASY: how many jobs after the reserved one a pass may try to backfill. Default 1,000. */
  backfillCandidates?: number;
}

/** What a pass decided. The graph already holds every `alloc`; the caller commits them (and releases on failure). */
export interface PassDecision {
  alloc: Array<{ id: string; R: Rv1 }>;
  /** The job the queue waits for: FCFS stops there; EASY reserves for it. */
  blocked?: { id: string; reason: string };
  /** EASY: when and where the blocked job will start at the latest, given the running jobs' expirations. */
  reservation?: { id: string; at: number; R: Rv1 };
  /** Jobs this graph could never satisfy (too big, or an invalid request): refuse them. */
  unsatisfiable: Array<{ id: string; reason: string }>;
}

// easy.ts - EASY backfill on the real graph: the blocked job's reservation (shadow time and resources), and
// backfilling later jobs that cannot delay it.
// Invariants: findReservation leaves the graph exactly as it found it (released jobs are re-applied with
// allocateExact); a backfilled job either ends by the shadow time or was matched while the reservation's free
// resources were held, so it never touches them; the hold is gone when backfill returns.

import type { ResourceGraph } from '../resource/graph.ts';
import type { Rv1 } from '../resource/types.ts';
import type { PassDecision, PassOptions, PendingJob, RunningJob } from './types.ts';
import { tryMatch } from './try-match.ts';

/**
 * Pseudo job id prefixes; the NUL keeps them apart from real (f58 or test) ids. Each use gets a fresh suffix:
 * re-adding one deleted key to a large Map over and over makes V8 walk a growing chain (~10 µs per operation).
 */
export const RESERVATION_PROBE_ID = '\u0000easy-probe';
export const RESERVATION_HOLD_ID = '\u0000easy-hold';

export interface Reservation {
  /** Shadow time: the latest the blocked job starts, if running jobs end by their expiration. */
  at: number;
  R: Rv1;
}

/**
 * Release running jobs (temporarily) in expiration order until `job` matches; the time of the last release is the
 * shadow time. Jobs without expiration never release. Returns null when no such time exists.
 * @example findReservation(graph, blockedJob, running, {queue: 'easy', match: 'first', now})
 */
export function findReservation(graph: ResourceGraph, job: PendingJob, running: readonly RunningJob[], opts: PassOptions): Reservation | null {
  const ending = running.filter((r) => r.expiration > 0 && graph.allocationOf(r.id) !== undefined).sort((a, b) => a.expiration - b.expiration);
  const released: Array<{ id: string; R: Rv1 }> = [];
  let found: Reservation | null = null;
  try {
    for (let k = 0; k < ending.length && !found; ) {
      const at = Math.max(ending[k]!.expiration, opts.now);
      for (; k < ending.length && Math.max(ending[k]!.expiration, opts.now) === at; k++) {
        const id = ending[k]!.id;
        released.push({ id, R: graph.release(id) });
      }
      const probe = `${RESERVATION_PROBE_ID}${k}`;
      const R = graph.match(probe, job.request, { policy: opts.match, now: at, duration: job.duration });
      if (R) {
        graph.release(probe);
        found = { at, R };
      }
    }
  } finally {
    for (const { id, R } of released) graph.allocateExact(id, R);
  }
  return found;
}

/**
 * Try up to `opts.backfillCandidates` (default 1,000) jobs from `order[from]` on, in order. With a reservation, its
 * currently free resources are held while candidates are matched; a candidate that ends by the shadow time and does
 * not fit that way is tried once more with the hold lifted (it may use reserved resources: it gives them back in
 * time). Without a reservation every candidate may use anything free.
 * @example backfill(graph, order, blockedIndex + 1, reservation, opts, decision)
 */
export function backfill(graph: ResourceGraph, order: readonly PendingJob[], from: number, reservation: Reservation | null, opts: PassOptions, d: PassDecision): void {
  const cap = opts.backfillCandidates ?? 1000;
  let holds = 0;
  const hold = (): string | null => {
    if (!reservation) return null;
    const id = `${RESERVATION_HOLD_ID}${holds++}`;
    graph.allocateAvailable(id, reservation.R);
    return id;
  };
  let held = hold();
  try {
    for (let i = from, tried = 0; i < order.length && tried < cap; i++) {
      const job = order[i]!;
      if (job.priority <= 0) break;
      tried++;
      if (tryMatch(graph, job, opts, d) !== null || !reservation || !held) continue;
      const short = job.duration > 0 && opts.now + job.duration <= reservation.at;
      if (!short) continue;
      graph.release(held);
      held = null;
      tryMatch(graph, job, opts, d);
      held = hold();
    }
  } finally {
    if (held) graph.release(held);
  }
}

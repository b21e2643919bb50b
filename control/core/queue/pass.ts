// pass.ts - one scheduling pass: offer pending jobs to the graph in priority order under FCFS or EASY backfill.
// Invariants: pure over virtual time; held jobs (priority 0) are never allocated; the graph ends up holding exactly
// the decided allocations plus what it held before (temporary holds and releases are undone before returning).

import type { ResourceGraph } from '../resource/graph.ts';
import type { PassDecision, PassOptions, PendingJob, RunningJob } from './types.ts';
import { inPriorityOrder } from './priority.ts';
import { backfill, findReservation } from './easy.ts';
import { tryMatch } from './try-match.ts';

const WAITING = 'waiting for resources';

function neverReason(job: PendingJob): string {
  const r = job.request;
  const shape = `${r.nodes !== undefined ? `${r.nodes} node(s) × ` : ''}${r.slots} slot(s) of ${r.coresPerSlot} core(s)` + (r.gpusPerSlot > 0 ? ` and ${r.gpusPerSlot} GPU(s)` : '');
  return `can never be satisfied by this instance: asks for ${shape}${r.exclusive ? ', exclusive' : ''}${r.constraint ? ', with a constraint' : ''}`;
}

/**
 * Run one pass. `running` lists the jobs the graph holds, with their expirations (EASY uses them).
 * @example const d = schedulePass(graph, pending, running, {queue: 'easy', match: 'first', now: 1700000000})
 *   // d.alloc: commit each (graph.release(id) if a commit fails); d.reservation: when the blocked job will start
 */
export function schedulePass(graph: ResourceGraph, pending: readonly PendingJob[], running: readonly RunningJob[], opts: PassOptions): PassDecision {
  const d: PassDecision = { alloc: [], unsatisfiable: [] };
  const order = inPriorityOrder(pending);
  let i = 0;
  let blocked: PendingJob | undefined;
  for (; i < order.length; i++) {
    const job = order[i]!;
    if (job.priority <= 0) break; // held: sorted last, never scheduled
    const R = tryMatch(graph, job, opts, d);
    if (R !== null) continue;
    if (!graph.canEverSatisfy(job.request)) {
      const reason = neverReason(job);
      d.unsatisfiable.push({ id: job.id, reason });
      if (opts.queue === 'easy') continue; // EASY reserves for the next job instead
      d.blocked = { id: job.id, reason };
      return d;
    }
    blocked = job;
    break;
  }
  if (!blocked) return d;
  if (opts.queue === 'fcfs') {
    d.blocked = { id: blocked.id, reason: WAITING };
    return d;
  }
  const expirations: RunningJob[] = [...running, ...d.alloc.map((a) => ({ id: a.id, expiration: a.R.execution.expiration }))];
  const reservation = findReservation(graph, blocked, expirations, opts);
  if (reservation) {
    d.reservation = { id: blocked.id, at: reservation.at, R: reservation.R };
    d.blocked = { id: blocked.id, reason: `${WAITING}; reserved from ${reservation.at}` };
  } else {
    d.blocked = { id: blocked.id, reason: `${WAITING} held by jobs without a time limit or on nodes that are not up; no reservation` };
  }
  backfill(graph, order, i + 1, reservation, opts, d);
  return d;
}

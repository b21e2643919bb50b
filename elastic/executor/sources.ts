// sources.ts - where a pass learns what waits and what runs: the live scheduler's snapshot in local mode (exact, no
// reads), or the table's active index on Lambda (pending jobs and running jobs' R). Invariants: only jobs that are
// eligible to run (SCHED, priority > 0) count as pending; a node's usage counts every job whose R names its rank.
import { encodeFluid } from '../../control/core/fluid.ts';
import { rankShares } from '../../control/core/resource/rv1.ts';
import type { SchedulerSnapshot } from '../../control/scheduler/scheduler.ts';
import type { JobTable } from '../../control/store/jobs.ts';
import type { ClusterSource, ClusterView, NodeAccess, NodeUsage } from './types.ts';

/**
 * The view from a live scheduler (local mode).
 * @example const source = schedulerSource(() => plane.scheduler.snapshot())
 */
export function schedulerSource(snapshot: () => SchedulerSnapshot): ClusterSource {
  return {
    async view(): Promise<ClusterView> {
      const s = snapshot();
      const usage = new Map<string, NodeUsage>();
      for (const n of s.nodes) {
        const u: NodeUsage = { jobs: n.jobs, freeCores: n.freeCores, freeGpus: n.freeGpus };
        if (n.busyUntil !== undefined) u.busyUntil = n.busyUntil;
        usage.set(n.hostname, u);
      }
      const pending = s.pending
        .filter((j) => j.priority > 0)
        .map((j) => ({ id: encodeFluid(j.id), request: j.request, duration: j.duration, priority: j.priority, waitingSince: j.t_submit }));
      return { pending, usage };
    },
  };
}

/**
 * The view from the table (Lambda, where no scheduler lives between ticks): pending jobs from the active index, usage
 * from the running jobs' R. The index is eventually consistent: a job allocated a moment ago may not show yet, which is
 * why terminations only ever target nodes drained on an earlier pass.
 */
export function tableSource(iid: string, jobs: Pick<JobTable, 'queryActive'>, nodes: Pick<NodeAccess, 'list'>): ClusterSource {
  return {
    async view(): Promise<ClusterView> {
      const [pendingRows, running, items] = await Promise.all([jobs.queryActive(iid, 'pending'), jobs.queryActive(iid, 'running'), nodes.list(iid)]);
      const byRank = new Map(items.map((n) => [n.rank, n]));
      const usage = new Map<string, NodeUsage>();
      for (const r of running) {
        if (!r.R) continue;
        const expiration = r.R.execution.expiration;
        for (const [rank, share] of rankShares(r.R)) {
          const node = byRank.get(rank);
          if (!node) continue;
          const u = usage.get(node.name) ?? { jobs: 0, freeCores: node.inventory.cores, freeGpus: node.inventory.gpus, busyUntil: 0 };
          u.jobs++;
          u.freeCores = Math.max(0, (u.freeCores ?? 0) - share.cores.length);
          u.freeGpus = Math.max(0, (u.freeGpus ?? 0) - share.gpus.length);
          u.busyUntil = u.busyUntil === undefined || !(expiration > 0) ? undefined : Math.max(u.busyUntil, expiration);
          usage.set(node.name, u);
        }
      }
      for (const u of usage.values()) if (u.busyUntil === undefined) delete u.busyUntil;
      const pending = pendingRows
        .filter((p) => p.st === 'SCHED' && (p.priority ?? 0) > 0)
        .map((p) => ({ id: encodeFluid(p.id), request: p.req, duration: p.dur, priority: p.priority ?? 0, waitingSince: p.tsub }));
      return { pending, usage };
    },
  };
}

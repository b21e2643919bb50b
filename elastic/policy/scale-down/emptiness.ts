// emptiness.ts - scale-down strategy (Karpenter's emptiness): a cloud node idle longer than its pool's idleTimeout
// is drained; drained-empty terminates it on a later round. Invariants: never below the pool's `min`; never a node
// the pending backlog is planned onto; longest idle first.
import { fmtDuration } from '../format.ts';
import { type ScaleDownStrategy, emptyResult } from './types.ts';

export const emptiness: ScaleDownStrategy = {
  name: 'emptiness',
  run(ctx) {
    const out = emptyResult();
    const { now, nodes } = ctx.input;
    const idle = nodes
      .filter((n) => {
        const pool = ctx.cloudPoolOf(n);
        return pool && n.state === 'up' && n.runningJobs === 0 && n.idleSince !== undefined && now - n.idleSince >= pool.idleTimeout && !ctx.taken.has(n.name);
      })
      .sort((a, b) => a.idleSince! - b.idleSince! || (a.name < b.name ? -1 : 1));
    const drained = new Map<string, number>();
    for (const n of idle) {
      const pool = ctx.cloudPoolOf(n)!;
      if (ctx.reserved.has(n.name)) {
        out.notes.push(`node ${n.name} is idle but pending jobs are planned onto it: keeping it`);
        continue;
      }
      const d = drained.get(pool.name) ?? 0;
      if (ctx.staying(pool.name) - d <= pool.min) continue;
      drained.set(pool.name, d + 1);
      out.drain.push({ node: n.name, reason: `idle for ${fmtDuration(now - n.idleSince!)} ≥ idleTimeout ${fmtDuration(pool.idleTimeout)}: draining for scale-in` });
    }
    return out;
  },
};

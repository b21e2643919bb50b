// join-timeout.ts - scale-down strategy: an instance that has not joined within its pool's joinTimeout is broken
// (bad image, no route to the control plane): terminate it. Covers joining nodes and in-flight launches whose
// instance ids are known. Invariant: a node that has joined (up, drained, down) is never taken here.
import { fmtDuration } from '../format.ts';
import { type ScaleDownStrategy, emptyResult } from './types.ts';

export const joinTimeout: ScaleDownStrategy = {
  name: 'join-timeout',
  run(ctx) {
    const out = emptyResult();
    const { now, nodes, inFlight, config } = ctx.input;
    for (const n of nodes) {
      const pool = ctx.cloudPoolOf(n);
      if (n.state !== 'joining' || !pool || !n.instanceId || n.launchedAt === undefined || n.runningJobs > 0) continue;
      const age = now - n.launchedAt;
      if (age <= pool.joinTimeout) continue;
      out.terminate.push({ node: n.name, instanceId: n.instanceId, reason: `launched ${fmtDuration(age)} ago and not joined within joinTimeout ${fmtDuration(pool.joinTimeout)}` });
    }
    for (const f of inFlight) {
      const pool = config.pools.find((p) => p.name === f.pool);
      if (!pool || pool.provider === 'static' || !f.instanceIds) continue;
      const age = now - f.since;
      if (age <= pool.joinTimeout) continue;
      for (const id of f.instanceIds) {
        out.terminate.push({ instanceId: id, reason: `launch ${f.launchId}: launched ${fmtDuration(age)} ago and not joined within joinTimeout ${fmtDuration(pool.joinTimeout)}` });
      }
    }
    return out;
  },
};

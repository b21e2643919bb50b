// over-max.ts - scale-down strategy: a pool holds more nodes than its `max` (the config was lowered): drain the
// excess, empty nodes first, then those whose jobs end soonest. Invariant: draining never stops a running job; the
// nodes are terminated by drained-empty once their jobs have finished.
import { type ScaleDownStrategy, emptyResult } from './types.ts';

export const overMax: ScaleDownStrategy = {
  name: 'over-max',
  run(ctx) {
    const out = emptyResult();
    const { nodes, inFlight, config } = ctx.input;
    for (const pool of config.pools) {
      if (pool.provider === 'static') continue;
      const members = nodes.filter((n) => n.pool === pool.name);
      const leaving = members.filter((n) => n.state === 'drained' || n.state === 'down').length;
      const flying = inFlight.filter((f) => f.pool === pool.name).reduce((k, f) => k + f.count, 0);
      let excess = members.length + flying - leaving - pool.max;
      if (excess <= 0) continue;
      const candidates = members
        .filter((n) => n.state === 'up' && !ctx.taken.has(n.name))
        .sort((a, b) => a.runningJobs - b.runningJobs || (a.busyUntil ?? Infinity) - (b.busyUntil ?? Infinity) || (a.name < b.name ? -1 : 1));
      for (const n of candidates) {
        if (excess <= 0) break;
        out.drain.push({ node: n.name, reason: `pool ${pool.name} has ${members.length + flying - leaving} nodes, over its max ${pool.max}: draining ${n.name}` });
        excess--;
      }
    }
    return out;
  },
};

// drained-empty.ts - scale-down strategy: the second half of scale-in. A cloud node the policy drained is
// terminated once nothing runs on it. Invariants: only `drained` nodes with runningJobs 0; a node an admin drained
// is left alone (noted, since it still costs money).
import { type ScaleDownStrategy, emptyResult } from './types.ts';

export const drainedEmpty: ScaleDownStrategy = {
  name: 'drained-empty',
  run(ctx) {
    const out = emptyResult();
    for (const n of ctx.input.nodes) {
      if (n.state !== 'drained' || !ctx.cloudPoolOf(n) || ctx.taken.has(n.name) || n.runningJobs > 0) continue;
      if (!n.instanceId) {
        out.notes.push(`node ${n.name} is drained and empty but has no instance id to terminate`);
      } else if (n.drainedBy === 'elastic') {
        out.terminate.push({ node: n.name, instanceId: n.instanceId, reason: `node ${n.name} was drained for scale-in and is empty: terminating` });
      } else {
        out.notes.push(`node ${n.name} (cloud) is drained by an admin and empty: left running`);
      }
    }
    return out;
  },
};

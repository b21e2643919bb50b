// broken.ts - scale-down strategy: a cloud node that is down still has an instance, and that instance is broken
// (or was interrupted): terminate it so it stops costing money. Invariant: only once the control plane has failed
// and freed its jobs (runningJobs 0); the jobs' requeue is the control plane's business, not ours.
import { type ScaleDownStrategy, emptyResult } from './types.ts';

export const broken: ScaleDownStrategy = {
  name: 'broken',
  run(ctx) {
    const out = emptyResult();
    for (const n of ctx.input.nodes) {
      if (n.state !== 'down' || !n.instanceId || !ctx.cloudPoolOf(n) || ctx.taken.has(n.name)) continue;
      if (n.runningJobs > 0) {
        out.notes.push(`node ${n.name} is down with ${n.runningJobs} job(s) still recorded; terminating it once they are failed`);
        continue;
      }
      out.terminate.push({ node: n.name, instanceId: n.instanceId, reason: `node ${n.name} is down: its instance ${n.instanceId} is broken or was interrupted` });
    }
    return out;
  },
};

// index.ts - the elastic policy: decide(input) → launches, drains and terminations, each with a reason. Pure: no
// I/O, no clock, no randomness; the caller carries the batcher state between calls. Invariants (enforced by a final
// guard, whatever the strategies propose): never terminate a node that runs a job, a static node, or a node that
// is still `up` (it must be drained first); never drain a static node.
import { isCloudPool } from '../config-types.ts';
import { Budget } from './budget.ts';
import { scaleDown } from './scale-down/index.ts';
import { scaleUp } from './scale-up.ts';
import type { Decisions, DrainDecision, PolicyInput, TerminateDecision } from './types.ts';

export * from './types.ts';
export { emptyBatcher, stepBatcher } from './batcher.ts';
export { STRATEGIES, scaleDown } from './scale-down/index.ts';
export { queueOrder } from './scale-up.ts';
export { launchIdOf, placementGroupOf } from './launches.ts';

/**
 * Decide one round of elastic actions.
 * @example
 * const d = decide({ now, config, catalog, pending, nodes, inFlight: [], unavailableOfferings: [], batcher: emptyBatcher() });
 * d.launch[0]?.reason // "3 jobs (ƒa, ƒb, ƒc) need 1 node × 4 cores each; …; launching 3 × c6i.2xlarge on-demand in burst (…)"
 */
export function decide(input: PolicyInput): Decisions {
  const budget = new Budget(input.config, input.catalog, input.nodes, input.inFlight);
  const up = scaleUp(input, budget);
  const down = scaleDown(input, up.reserved, up.launch);
  const notes = [...up.notes, ...down.notes];
  const out: Decisions = {
    launch: up.launch,
    drain: guardDrains(input, down.drain, notes),
    terminate: guardTerminations(input, down.terminate, notes),
    batcher: up.batcher,
    notes,
  };
  if (up.wakeAt !== undefined) out.wakeAt = up.wakeAt;
  return out;
}

function poolIsCloud(input: PolicyInput, pool: string): boolean {
  return isCloudPool(input.config.pools.find((p) => p.name === pool));
}

/** Drop drains of static nodes or of nodes not up (defence in depth; the strategies should not propose them). */
function guardDrains(input: PolicyInput, drains: readonly DrainDecision[], notes: string[]): DrainDecision[] {
  const byName = new Map(input.nodes.map((n) => [n.name, n]));
  return drains.filter((d) => {
    const n = byName.get(d.node);
    const ok = n !== undefined && n.state === 'up' && poolIsCloud(input, n.pool);
    if (!ok) notes.push(`guard: refused to drain ${d.node} (${n ? `${n.state} in pool ${n.pool}` : 'unknown node'})`);
    return ok;
  });
}

/**
 * Drop any termination of a node with running jobs, a static (or unknown-pool) node, or a node still up; and of an
 * instance id that belongs to such a node. Keeps at most one termination per instance.
 */
function guardTerminations(input: PolicyInput, terms: readonly TerminateDecision[], notes: string[]): TerminateDecision[] {
  const byName = new Map(input.nodes.map((n) => [n.name, n]));
  const byInstance = new Map(input.nodes.filter((n) => n.instanceId).map((n) => [n.instanceId!, n]));
  const seen = new Set<string>();
  return terms.filter((t) => {
    const n = (t.node !== undefined ? byName.get(t.node) : undefined) ?? byInstance.get(t.instanceId);
    let why: string | undefined;
    if (t.node !== undefined && !n) why = 'unknown node';
    else if (n && n.runningJobs > 0) why = `${n.runningJobs} job(s) running`;
    else if (n && !poolIsCloud(input, n.pool)) why = `pool ${n.pool} is static`;
    else if (n && n.state === 'up') why = 'it is up; drain it first';
    else if (n && n.instanceId !== t.instanceId) why = `instance ${t.instanceId} is not ${n.name}'s`;
    else if (seen.has(t.instanceId)) return false;
    if (why) {
      notes.push(`guard: refused to terminate ${t.node ?? t.instanceId} (${why})`);
      return false;
    }
    seen.add(t.instanceId);
    return true;
  });
}

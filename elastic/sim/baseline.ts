// baseline.ts - the foil for the bench: "launch immediately for every pending job, terminate when idle". Each round
// it launches, per pending job in queue order, the nodes it needs (cheapest type that fits, no packing, no waiting
// for static pools, no batching) minus instances already in flight, and terminates every empty cloud node at once.
// Invariant: stateless like the real policy; it still never terminates a node with running jobs.
import { isCloudPool } from '../config.ts';
import { emptyBatcher } from '../policy/batcher.ts';
import { launchIdOf } from '../policy/launches.ts';
import { listOfferings } from '../policy/offerings.ts';
import { queueOrder } from '../policy/scale-up.ts';
import { accepts, fitsEmpty, nodesOn, shapeOf } from '../policy/shape.ts';
import type { Decisions, PolicyInput } from '../policy/types.ts';

/** The immediate baseline policy. */
export function immediatePolicy(input: PolicyInput): Decisions {
  const { now, config, catalog } = input;
  const out: Decisions = { launch: [], drain: [], terminate: [], batcher: emptyBatcher(), notes: [] };
  const offerings = listOfferings(config, catalog, input.unavailableOfferings, now).offerings.sort((a, b) => a.price - b.price || a.order - b.order);
  const supply = new Map<string, number>();
  for (const f of input.inFlight) supply.set(`${f.pool}|${f.instanceType}`, (supply.get(`${f.pool}|${f.instanceType}`) ?? 0) + f.count);
  const size = new Map<string, number>();
  for (const n of input.nodes) size.set(n.pool, (size.get(n.pool) ?? 0) + 1);
  for (const f of input.inFlight) size.set(f.pool, (size.get(f.pool) ?? 0) + f.count);
  for (const job of [...input.pending].filter((j) => j.priority > 0).sort(queueOrder)) {
    const shape = shapeOf(job.request);
    const o = offerings.find((x) => accepts(shape, x.target) && fitsEmpty(shape, x.total));
    if (!o) continue;
    const need = nodesOn(shape, o.total);
    const key = `${o.pool.name}|${o.type.name}`;
    const have = supply.get(key) ?? 0;
    supply.set(key, Math.max(0, have - need));
    const count = Math.min(need - Math.min(have, need), o.pool.max - (size.get(o.pool.name) ?? 0));
    if (count <= 0) continue;
    size.set(o.pool.name, (size.get(o.pool.name) ?? 0) + count);
    out.launch.push({
      launchId: launchIdOf(['immediate', job.id, now, count]),
      pool: o.pool.name,
      instanceType: o.type.name,
      count,
      capacityType: o.capacityType,
      forJobs: [job.id],
      pricePerHour: o.price,
      reason: `immediate: ${job.id} is pending`,
    });
  }
  for (const n of input.nodes) {
    const pool = config.pools.find((p) => p.name === n.pool);
    if (!isCloudPool(pool) || !n.instanceId || n.runningJobs > 0 || n.state === 'joining') continue;
    out.terminate.push({ node: n.name, instanceId: n.instanceId, reason: 'immediate: empty' });
  }
  return out;
}

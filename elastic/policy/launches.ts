// launches.ts - planned bins become launch decisions: bins of the same offering merge into one launch, a
// placement-group bin stays alone (all-or-nothing), and every launch gets a deterministic id and a reason a person
// can read. Invariants: launchId depends only on what is launched, for whom, and the round's `epoch` (the batching
// window it closes, else `now`): the same input always gives the same id, and a later decision gets a fresh one.
import type { Bin } from './bin-pack.ts';
import { fmtIds, fmtPrice, plural, stableHash } from './format.ts';
import type { PlanOffering } from './offerings.ts';
import { describeShape } from './shape.ts';
import type { LaunchDecision } from './types.ts';

/**
 * The deterministic id of a launch. The same input decides the same id; a decision in a later window (the same jobs
 * still waiting after an earlier launch's instances were taken by others) gets a new id, so an idempotent provider
 * does not answer it with the old, spent instances. Executors record a launch as in flight before calling create, so
 * a crash replays the same id rather than deciding anew.
 */
export function launchIdOf(parts: ReadonlyArray<string | number | boolean>): string {
  return `l-${stableHash(parts.map(String).join('|'))}`;
}

/** The placement group a launch uses: one per launch, named after it. */
export function placementGroupOf(launchId: string): string {
  return `flurry-${launchId}`;
}

function offeringWords(o: PlanOffering): string {
  const fallback = o.pool.capacityType === 'spot-then-on-demand' && o.capacityType === 'on-demand' ? ', spot out of capacity' : '';
  return `${o.type.name} ${o.capacityType} in ${o.pool.name}${fallback}`;
}

/** "3 jobs (ƒa, ƒb, ƒc) need 1 node × 4 cores each" or one clause per distinct shape. */
function jobsWords(bins: readonly Bin[]): string {
  const jobs = bins.flatMap((b) => b.jobs);
  const ids = jobs.map((j) => j.job.id);
  const shapes = [...new Set(jobs.map((j) => describeShape(j.shape, 0)))];
  const need = shapes.length === 1 ? `need ${shapes[0]}${jobs.length > 1 ? ' each' : ''}` : `need ${shapes.slice(0, 3).join(', ')}${shapes.length > 3 ? ', …' : ''}`;
  const whys = [...new Set(jobs.map((j) => j.why))];
  return `${plural(jobs.length, 'job')} (${fmtIds(ids)}) ${need}; ${whys.slice(0, 2).join('; ')}${whys.length > 2 ? '; …' : ''}`;
}

function decision(bins: readonly Bin[], count: number, placementGroup: boolean, epoch: number): LaunchDecision {
  const first = bins[0]!;
  const o = first.offering;
  const forJobs = bins.flatMap((b) => b.jobs.map((j) => j.job.id));
  const subnet = o.subnets[0];
  const launchId = launchIdOf([epoch, o.pool.name, o.type.name, o.capacityType, subnet?.id ?? '', placementGroup, count, ...[...forJobs].sort()]);
  const used = Math.max(...bins.map((b) => b.usedCores));
  const pg = placementGroup ? `, one placement group, all or nothing` : '';
  const reason =
    `${jobsWords(bins)}; launching ${count} × ${offeringWords(o)} ` +
    `(cheapest fit, ${fmtPrice(o.price)} each, up to ${used}/${o.total.cores} cores planned${pg})`;
  const d: LaunchDecision = {
    launchId,
    pool: o.pool.name,
    instanceType: o.type.name,
    count,
    capacityType: o.capacityType,
    forJobs,
    pricePerHour: o.price,
    reason,
  };
  if (subnet) {
    d.subnet = subnet.id;
    if (subnet.zone) d.zone = subnet.zone;
  }
  if (placementGroup) d.placementGroup = placementGroupOf(launchId);
  return d;
}

/**
 * Merge bins into launches: one per offering (and subnet), except placement-group bins, which launch alone.
 * @example launchesFrom(binPack(...).bins, now) // [{ launchId: 'l-…', instanceType: 'c6i.2xlarge', count: 3, … }]
 */
export function launchesFrom(bins: readonly Bin[], epoch: number): LaunchDecision[] {
  const out: LaunchDecision[] = [];
  const groups = new Map<string, Bin[]>();
  for (const b of bins) {
    if (b.placementGroup) {
      out.push(decision([b], b.nodes, true, epoch));
      continue;
    }
    const o = b.offering;
    const key = `${o.pool.name}|${o.type.name}|${o.capacityType}|${o.subnets[0]?.id ?? ''}`;
    const g = groups.get(key);
    if (g) g.push(b);
    else groups.set(key, [b]);
  }
  for (const g of groups.values()) out.push(decision(g, g.reduce((n, b) => n + b.nodes, 0), false, epoch));
  return out;
}

/** A launch that keeps a pool at its `min` (`have`: the pool's size before it). */
export function minLaunch(o: PlanOffering, count: number, have: number, epoch: number): LaunchDecision {
  const subnet = o.subnets[0];
  const launchId = launchIdOf(['min', epoch, o.pool.name, o.type.name, o.capacityType, subnet?.id ?? '', count, have]);
  const d: LaunchDecision = {
    launchId,
    pool: o.pool.name,
    instanceType: o.type.name,
    count,
    capacityType: o.capacityType,
    forJobs: [],
    pricePerHour: o.price,
    reason: `pool ${o.pool.name} keeps at least ${o.pool.min} nodes and has ${have}; launching ${count} × ${offeringWords(o)} (cheapest, ${fmtPrice(o.price)} each)`,
  };
  if (subnet) {
    d.subnet = subnet.id;
    if (subnet.zone) d.zone = subnet.zone;
  }
  return d;
}

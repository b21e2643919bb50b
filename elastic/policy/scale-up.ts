// scale-up.ts - which jobs must burst, and what to launch for them: estimate the backlog on existing and incoming
// capacity, batch the triggers, bin-pack what is left onto the cheapest available offerings, and keep each pool at
// its `min`. Invariants: jobs that capacity in flight will serve cause no launch; nothing is launched while the
// batching window is open (except for `min`); every launch is within the pools' max and the spend cap.
import { isCloudPool } from '../config-types.ts';
import { stepBatcher } from './batcher.ts';
import { type BurstJob, binPack } from './bin-pack.ts';
import type { Budget } from './budget.ts';
import { buildSlots } from './capacity.ts';
import { type EstimateJob, estimate } from './estimate.ts';
import { fmtIds, fmtIn, plural } from './format.ts';
import { launchesFrom, minLaunch } from './launches.ts';
import { type PlanOffering, listOfferings } from './offerings.ts';
import { accepts, fitsEmpty, requiredProperties, shapeOf } from './shape.ts';
import type { BatcherState, LaunchDecision, PendingJob, PolicyInput } from './types.ts';

/** At most this many bursting jobs are packed per round; the rest wait for the next (bounds a round's work). */
export const MAX_BURST_JOBS_PER_ROUND = 500;

export interface ScaleUpResult {
  launch: LaunchDecision[];
  batcher: BatcherState;
  notes: string[];
  wakeAt?: number;
  /** Nodes the backlog is planned onto: scale-in must leave them alone. */
  reserved: Set<string>;
}

/** Queue order: priority, then time waiting, then id. */
export function queueOrder(a: PendingJob, b: PendingJob): number {
  return b.priority - a.priority || a.waitingSince - b.waitingSince || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Each job (held ones, priority 0, excepted) with its burst deadline: the least maxWaitBeforeBurst of the cloud pools that could run it. */
function estimateJobs(pending: readonly PendingJob[], all: readonly PlanOffering[]): EstimateJob[] {
  return pending.filter((j) => j.priority > 0).sort(queueOrder).map((job) => {
    const shape = shapeOf(job.request);
    let maxWait = Infinity;
    for (const o of all) {
      if (o.pool.maxWaitBeforeBurst < maxWait && accepts(shape, o.target) && fitsEmpty(shape, o.total)) maxWait = o.pool.maxWaitBeforeBurst;
    }
    return { job, shape, deadline: job.waitingSince + maxWait, maxWait };
  });
}

/** Keep every cloud pool at its `min`, launching the pool's cheapest available offering. */
function keepMinimum(input: PolicyInput, budget: Budget, live: readonly PlanOffering[], planned: readonly LaunchDecision[], notes: string[]): LaunchDecision[] {
  const out: LaunchDecision[] = [];
  for (const pool of input.config.pools) {
    if (!isCloudPool(pool) || pool.min === 0) continue;
    const nodes = input.nodes.filter((n) => n.pool === pool.name && (n.state === 'up' || n.state === 'joining')).length;
    const flying = input.inFlight.filter((f) => f.pool === pool.name).reduce((k, f) => k + f.count, 0);
    const launched = planned.filter((l) => l.pool === pool.name).reduce((k, l) => k + l.count, 0);
    const have = nodes + flying + launched;
    if (have >= pool.min) continue;
    const offer = live.filter((o) => o.pool === pool).sort((a, b) => a.price - b.price || a.order - b.order)[0];
    if (!offer) {
      notes.push(`pool ${pool.name} is below its min ${pool.min} (has ${have}) but no offering is available`);
      continue;
    }
    const count = Math.min(pool.min - have, budget.room(pool.name), budget.affordable(offer.price));
    if (count < pool.min - have) notes.push(`pool ${pool.name} is below its min ${pool.min} (has ${have}); max or maxSpendPerHour allows ${count} more`);
    if (count <= 0) continue;
    budget.take(pool.name, count, offer.price);
    out.push(minLaunch(offer, count, have, input.now));
  }
  return out;
}

/**
 * Decide the launches of one round.
 * @example scaleUp(input, new Budget(input.config, input.catalog, input.nodes, input.inFlight)).launch
 */
export function scaleUp(input: PolicyInput, budget: Budget): ScaleUpResult {
  const { now, config, catalog } = input;
  const notes: string[] = [];
  const all = listOfferings(config, catalog, [], now).offerings;
  const live = listOfferings(config, catalog, input.unavailableOfferings, now);
  for (const s of live.skipped) notes.push(`skipping ${s}`);

  const jobs = estimateJobs(input.pending, all);
  const slots = buildSlots(input.nodes, input.inFlight, now, config, catalog);
  const est = estimate(jobs, slots, now);

  const burst: BurstJob[] = [];
  const stuck = new Map<string, string[]>();
  for (const { item, why } of est.unplaced) {
    if (Number.isFinite(item.deadline)) {
      burst.push({ job: item.job, shape: item.shape, why });
    } else if (!all.some((o) => accepts(item.shape, o.target) && fitsEmpty(item.shape, o.total))) {
      // An infinite deadline: no cloud pool fits it (else its pools never burst for waiting: their choice, no note).
      const missing = [...requiredProperties(item.shape.constraint)].filter((p) => !all.some((o) => o.target.properties.has(p)));
      const cause = missing.length ? `need ${missing.join(', ')}, which no cloud pool offers` : 'fit no cloud pool (size or constraint)';
      stuck.set(cause, [...(stuck.get(cause) ?? []), item.job.id]);
    }
  }
  for (const [cause, ids] of stuck) notes.push(`${plural(ids.length, 'job')} (${fmtIds(ids)}) ${cause}: waiting for static nodes`);

  const step = stepBatcher(input.batcher, burst.map((b) => b.job.id), now, config.batch);
  const result: ScaleUpResult = { launch: [], batcher: step.state, notes, reserved: est.reserved };
  if (burst.length > 0 && !step.ready) {
    notes.push(`batching ${plural(burst.length, 'job')} (${fmtIds(burst.map((b) => b.job.id))}): window closes at ${fmtIn(step.closesAt!, now)}`);
    result.wakeAt = step.closesAt!;
  } else if (burst.length > 0) {
    const round = burst.slice(0, MAX_BURST_JOBS_PER_ROUND);
    if (burst.length > round.length) notes.push(`${burst.length - round.length} more bursting jobs wait for the next round`);
    const packed = binPack(round, live.offerings, budget);
    // The window this round closes (or now, without batching) makes the launch ids of this round.
    result.launch = launchesFrom(packed.bins, input.batcher.openedAt ?? now);
    const held = new Map<string, string[]>();
    for (const h of packed.held) {
      const fitsSome = all.some((o) => accepts(h.job.shape, o.target) && fitsEmpty(h.job.shape, o.total));
      const why = h.why === 'no available offering fits it' && fitsSome ? 'every offering that fits it had no capacity recently' : h.why;
      held.set(why, [...(held.get(why) ?? []), h.job.job.id]);
    }
    for (const [why, ids] of held) notes.push(`${fmtIds(ids)}: not launching (${why})`);
  }
  result.launch.push(...keepMinimum(input, budget, live.offerings, result.launch, notes));
  return result;
}

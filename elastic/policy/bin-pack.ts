// bin-pack.ts - turn jobs that must burst into new nodes at the least cost. Greedy, seeded by queue order: the
// first job left opens a group of fresh nodes on the offering that serves it (and the fillers it can take, longest
// first) at the lowest cost per core-second of work; fillers only use room the seed left. Invariants: every bin
// holds its seed; a bin never exceeds its nodes' capacity; an exclusive job shares nothing; no bin breaks the budget.
import type { Budget } from './budget.ts';
import { fmtPrice } from './format.ts';
import type { PlanOffering } from './offerings.ts';
import { type Demand, type JobShape, ZERO, accepts, add, copies, fits, fitsEmpty, nodesOn, scale, sub } from './shape.ts';
import type { PendingJob } from './types.ts';

/** A job that must burst, and why in words. */
export interface BurstJob {
  job: PendingJob;
  shape: JobShape;
  why: string;
}

/** A group of fresh nodes of one offering and the jobs planned onto them. */
export interface Bin {
  offering: PlanOffering;
  nodes: number;
  jobs: BurstJob[];
  /** All nodes in one cluster placement group, launched all-or-nothing (multi-node EFA). */
  placementGroup: boolean;
  /** Cores used per node by the plan, for reasons. */
  usedCores: number;
}

/** Duration assumed for an unlimited job when weighing offerings (a day). */
export const UNLIMITED_ESTIMATE = 86400;

function effDuration(j: PendingJob): number {
  return j.duration > 0 ? j.duration : UNLIMITED_ESTIMATE;
}

/** Per-node loads of a bin being built. */
interface Loads {
  total: Demand;
  used: Demand[];
  exclusive: boolean[];
}

/** Try to add a job to the loads; mutates them only on success. */
function place(shape: JobShape, l: Loads): boolean {
  const n = l.used.length;
  const next = l.used.slice();
  const excl = l.exclusive.slice();
  const isEmpty = (i: number) => next[i]!.cores === 0 && next[i]!.gpus === 0 && next[i]!.memoryMB === 0 && !excl[i];
  if (shape.kind === 'nodes') {
    let placed = 0;
    for (let i = 0; i < n && placed < shape.nodes; i++) {
      if (excl[i]) continue;
      if (shape.exclusive) {
        if (!isEmpty(i) || !fits(shape.perNode, l.total)) continue;
        next[i] = l.total;
        excl[i] = true;
      } else {
        if (!fits(shape.perNode, sub(l.total, next[i]!))) continue;
        next[i] = add(next[i]!, shape.perNode);
      }
      placed++;
    }
    if (placed < shape.nodes) return false;
  } else {
    let left = shape.slots;
    for (let i = 0; i < n && left > 0; i++) {
      if (excl[i]) continue;
      if (shape.exclusive) {
        if (!isEmpty(i)) continue;
        const k = copies(shape.perSlot, l.total);
        if (k < 1) continue;
        next[i] = l.total;
        excl[i] = true;
        left -= k;
      } else {
        const k = Math.min(copies(shape.perSlot, sub(l.total, next[i]!)), left);
        if (k < 1) continue;
        next[i] = add(next[i]!, scale(shape.perSlot, k));
        left -= k;
      }
    }
    if (left > 0) return false;
  }
  l.used = next;
  l.exclusive = excl;
  return true;
}

interface Candidate {
  bin: Bin;
  score: number;
  cost: number;
}

/** Build the best bin for `seed` on offering `o`, filling with `fillers` (jobs after the seed, filler order). */
function build(seed: BurstJob, o: PlanOffering, fillers: readonly BurstJob[]): Candidate | undefined {
  const nodes = nodesOn(seed.shape, o.total);
  if (nodes < 1) return undefined;
  const loads: Loads = { total: o.total, used: Array.from({ length: nodes }, () => ZERO), exclusive: Array(nodes).fill(false) };
  if (!place(seed.shape, loads)) return undefined;
  const jobs = [seed];
  if (!seed.shape.exclusive) {
    for (const f of fillers) {
      if (loads.used.every((u, i) => loads.exclusive[i] || u.cores >= o.total.cores)) break;
      if (f.shape.exclusive || !accepts(f.shape, o.target) || !fitsEmpty(f.shape, o.total)) continue;
      if (f.shape.kind === 'nodes' && f.shape.nodes > nodes) continue;
      if (place(f.shape, loads)) jobs.push(f);
    }
  }
  const longest = Math.max(...jobs.map((j) => effDuration(j.job)));
  const value = jobs.reduce((v, j) => v + Math.max(j.shape.totalCores, 1e-3) * effDuration(j.job), 0);
  const cost = o.price * nodes * longest;
  const multiNode = nodes >= 2 && (seed.shape.kind === 'slots' || seed.shape.nodes >= 2);
  const usedCores = Math.max(...loads.used.map((u) => u.cores));
  return { bin: { offering: o, nodes, jobs, placementGroup: multiNode && o.efa, usedCores }, score: cost / value, cost };
}

function better(a: Candidate, b: Candidate | undefined): boolean {
  if (!b) return true;
  const eps = 1e-12 * Math.max(a.score, b.score);
  if (a.score < b.score - eps) return true;
  if (a.score > b.score + eps) return false;
  if (a.cost !== b.cost) return a.cost < b.cost;
  if (a.bin.nodes !== b.bin.nodes) return a.bin.nodes < b.bin.nodes;
  return a.bin.offering.order < b.bin.offering.order;
}

export interface PackResult {
  bins: Bin[];
  /** Jobs no launch could be planned for, and why. */
  held: Array<{ job: BurstJob; why: string }>;
}

/**
 * Pack `jobs` (queue order: the first gets capacity first) onto fresh nodes of `offerings`, within `budget`
 * (which is taken from as bins are planned).
 * @example binPack(burst, listOfferings(config, catalog, unavailable, now).offerings, budget).bins
 */
export function binPack(jobs: readonly BurstJob[], offerings: readonly PlanOffering[], budget: Budget): PackResult {
  const index = new Map(jobs.map((j, i) => [j, i]));
  const fillOrder = [...jobs].sort(
    (a, b) => effDuration(b.job) - effDuration(a.job) || b.shape.totalCores - a.shape.totalCores || index.get(a)! - index.get(b)!,
  );
  const done = new Set<string>();
  const out: PackResult = { bins: [], held: [] };
  for (const seed of jobs) {
    if (done.has(seed.job.id)) continue;
    const fillers = fillOrder.filter((j) => j !== seed && !done.has(j.job.id));
    let best: Candidate | undefined;
    const refused = new Set<string>();
    for (const o of offerings) {
      if (!accepts(seed.shape, o.target) || !fitsEmpty(seed.shape, o.total)) continue;
      const nodes = nodesOn(seed.shape, o.total);
      const verdict = budget.check(o.pool.name, nodes, o.price);
      if (verdict === 'max') refused.add(`pool ${o.pool.name} is at its max (${o.pool.max})`);
      if (verdict === 'spend') refused.add(`${nodes} × ${o.type.name} at ${fmtPrice(o.price)} would pass maxSpendPerHour`);
      if (verdict !== 'ok') continue;
      const c = build(seed, o, fillers);
      if (c && better(c, best)) best = c;
    }
    if (!best) {
      const why = refused.size ? [...refused].join('; ') : 'no available offering fits it';
      out.held.push({ job: seed, why });
      done.add(seed.job.id);
      continue;
    }
    budget.take(best.bin.offering.pool.name, best.bin.nodes, best.bin.offering.price);
    for (const j of best.bin.jobs) done.add(j.job.id);
    out.bins.push(best.bin);
  }
  return out;
}

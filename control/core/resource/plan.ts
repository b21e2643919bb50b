// plan.ts - a request reduced to what the matcher needs (Need), per-node capacity, and the root-level prune.
// Invariants: a Plan lists distinct nodes, each with the slots it will hold (≥ 1); planning never changes the graph.

import type { ResourceRequest } from './types.ts';
import type { NodeVertex } from './node.ts';
import type { Aggregate } from './aggregates.ts';
import type { Thresholds } from './rank-index.ts';
import { InvalidInputError } from '../errors.ts';
import { compileConstraint } from '../constraint.ts';

/** A validated request: `nodes` set = node-level (each of `nodes` nodes holds `slots` slots). */
export interface Need {
  nodes: number | undefined;
  slots: number;
  c: number;
  g: number;
  m: number;
  exclusive: boolean;
  /** The compiled constraint, or null when there is none. */
  accept: ((n: NodeVertex) => boolean) | null;
}

/** One node of a plan and the number of slots it takes there (exclusive requests take the node whole anyway). */
export interface PlanItem {
  node: NodeVertex;
  slots: number;
}
export type Plan = PlanItem[];

function positiveInt(v: unknown, field: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new InvalidInputError(`must be an integer ≥ ${min}`, field);
  }
  return v;
}

/**
 * Validate a request and compile its constraint once.
 * @example needOf({nodes: 2, slots: 1, coresPerSlot: 4, gpusPerSlot: 0, exclusive: false})
 */
export function needOf(req: ResourceRequest): Need {
  const nodes = req.nodes === undefined ? undefined : positiveInt(req.nodes, 'nodes', 1);
  const slots = positiveInt(req.slots, 'slots', 1);
  const c = positiveInt(req.coresPerSlot, 'coresPerSlot', 1);
  const g = positiveInt(req.gpusPerSlot, 'gpusPerSlot', 0);
  const m = positiveInt(req.memoryMBPerSlot ?? 0, 'memoryMBPerSlot', 0);
  const accept = req.constraint ? compileConstraint(req.constraint) : null;
  return { nodes, slots, c, g, m, exclusive: req.exclusive === true, accept };
}

/** How many slots of `need` fit in `cores`/`gpus`/`memoryMB`. */
function fit(need: Need, cores: number, gpus: number, memoryMB: number): number {
  let k = Math.floor(cores / need.c);
  if (need.g > 0) k = Math.min(k, Math.floor(gpus / need.g));
  if (need.m > 0) k = Math.min(k, Math.floor(memoryMB / need.m));
  return k;
}

/** Slots of `need` node `n` can take now (0 if it is not up, rejected by the constraint, or busy for exclusive). */
export function capacity(n: NodeVertex, need: Need): number {
  if (n.state !== 'up') return 0;
  if (need.accept && !need.accept(n)) return 0;
  if (need.exclusive) return n.jobs === 0 ? fit(need, n.cores, n.gpus, n.memoryMB) : 0;
  return fit(need, n.freeCores, n.freeGpus, n.memoryMB);
}

/** Slots of `need` node `n` could take if it were up and empty. */
export function emptyCapacity(n: NodeVertex, need: Need): number {
  if (need.accept && !need.accept(n)) return 0;
  return fit(need, n.cores, n.gpus, n.memoryMB);
}

/** The per-node thresholds for the rank index: node-level requests need room for all `slots` on one node. */
export function thresholds(need: Need): Thresholds {
  const k = need.nodes === undefined ? 1 : need.slots;
  return { exclusive: need.exclusive, cores: k * need.c, gpus: k * need.g, memoryMB: k * need.m };
}

/** Total slots wanted (node-level: nodes × slots). */
export function totalSlots(need: Need): number {
  return need.nodes === undefined ? need.slots : need.nodes * need.slots;
}

/**
 * An upper bound, from a vertex's aggregates, on what its subtree can give: eligible nodes for a node-level request,
 * slots otherwise. Ignores memory and constraints (the exact search checks them). O(cores per node) at worst.
 * @example upperBound(topology.root, need) >= need.nodes
 */
export function upperBound(agg: Aggregate, need: Need): number {
  const cores = need.exclusive ? agg.fullCoreHist : agg.coreHist;
  const gpus = need.exclusive ? agg.fullGpuHist : agg.gpuHist;
  if (need.nodes !== undefined) {
    if (cores.max < need.slots * need.c) return 0;
    let n = cores.countAtLeast(need.slots * need.c);
    if (need.g > 0) n = Math.min(n, gpus.countAtLeast(need.slots * need.g));
    return n;
  }
  if (!need.exclusive && need.c === 1 && need.g === 0) return agg.freeCores;
  let k = cores.sumFloorDiv(need.c);
  if (need.g > 0) k = Math.min(k, gpus.sumFloorDiv(need.g));
  return k;
}

/** Can the subtree possibly satisfy the whole request? Cheap: false means certainly not. */
export function mayFit(agg: Aggregate, need: Need): boolean {
  const slots = totalSlots(need);
  if (!need.exclusive && (agg.freeCores < need.c * slots || agg.freeGpus < need.g * slots)) return false;
  return upperBound(agg, need) >= (need.nodes ?? need.slots);
}

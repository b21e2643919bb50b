// match-ordered.ts - plans for the policies that walk nodes in one global order: first (ascending rank),
// high (descending rank) and spread (least loaded first, one slot per node where possible).
// Invariant: pure planning over the rank index; returns null (and the graph is untouched) when the request does not fit.

import type { Need, Plan } from './plan.ts';
import { capacity, thresholds } from './plan.ts';
import type { RankIndex } from './rank-index.ts';
import type { NodeVertex } from './node.ts';

/**
 * Pack the request onto nodes in rank order: each node takes as many slots as it can (node-level requests: exactly
 * `slots` on each of `nodes` nodes).
 * @example planOrdered(index, need, false) // lowest ranks first
 */
export function planOrdered(index: RankIndex, need: Need, descending: boolean): Plan | null {
  const plan: Plan = [];
  if (need.nodes !== undefined) {
    const want = need.nodes;
    const done = index.scan(descending, thresholds(need), (node) => {
      if (capacity(node, need) >= need.slots) plan.push({ node, slots: need.slots });
      return plan.length === want;
    });
    return done ? plan : null;
  }
  let remaining = need.slots;
  const done = index.scan(descending, thresholds(need), (node) => {
    const k = Math.min(capacity(node, need), remaining);
    if (k > 0) {
      plan.push({ node, slots: k });
      remaining -= k;
    }
    return remaining === 0;
  });
  return done ? plan : null;
}

/**
 * Spread the request over the least loaded nodes: node-level requests take the `nodes` least loaded nodes;
 * slot requests put one slot on each of the `slots` least loaded nodes, or deal slots round-robin over every
 * eligible node (least loaded first) when there are fewer nodes than slots.
 * @example planSpread(index, need)
 */
export function planSpread(index: RankIndex, need: Need): Plan | null {
  const t = thresholds(need);
  if (need.nodes !== undefined) {
    const plan: Plan = [];
    const want = need.nodes;
    const done = index.leastLoaded(t, (node) => {
      if (capacity(node, need) >= need.slots) plan.push({ node, slots: need.slots });
      return plan.length === want;
    });
    return done ? plan : null;
  }
  const nodes: NodeVertex[] = [];
  const caps: number[] = [];
  let total = 0;
  index.leastLoaded(t, (node) => {
    const cap = capacity(node, need);
    if (cap > 0) {
      nodes.push(node);
      caps.push(cap);
      total += cap;
    }
    return nodes.length === need.slots;
  });
  if (total < need.slots) return null;
  const slots = new Array<number>(nodes.length).fill(0);
  let remaining = need.slots;
  while (remaining > 0) {
    for (let i = 0; i < nodes.length && remaining > 0; i++) {
      if (slots[i]! < caps[i]!) {
        slots[i]!++;
        remaining--;
      }
    }
  }
  return nodes.map((node, i) => ({ node, slots: slots[i]! }));
}

// match-locality.ts - the locality policy: fewest groups (placement groups, racks), then fewest nodes.
// Order of preference: one group (the smallest that fits), else the groups of one zone, else groups anywhere;
// spanning takes the largest groups first and closes with the smallest group that holds the remainder.
// Invariant: pure planning over the topology's aggregates; exact per-node checks only inside candidate groups.

import type { Need, Plan } from './plan.ts';
import { capacity, upperBound } from './plan.ts';
import type { GroupVertex, Topology } from './aggregates.ts';
import type { NodeVertex } from './node.ts';

/** A group's exact offer: eligible nodes (rank order) and their capacities; amount = nodes (node-level) or slots. */
interface Offer {
  group: GroupVertex;
  nodes: NodeVertex[];
  caps: number[];
  amount: number;
}

function offerOf(group: GroupVertex, need: Need): Offer {
  const nodes: NodeVertex[] = [];
  const caps: number[] = [];
  let amount = 0;
  const min = need.nodes === undefined ? 1 : need.slots;
  for (const node of group.nodes) {
    const cap = capacity(node, need);
    if (cap < min) continue;
    nodes.push(node);
    caps.push(cap);
    amount += need.nodes === undefined ? cap : 1;
  }
  return { group, nodes, caps, amount };
}

const firstRank = (g: GroupVertex): number => g.nodes[0]?.rank ?? 0;

/** Take `want` from the offers (nodes in rank order for node-level requests, fullest-capacity nodes first for slots). */
function take(offers: Offer[], need: Need, want: number): Plan {
  const plan: Plan = [];
  let remaining = want;
  for (const o of offers) {
    if (need.nodes !== undefined) {
      for (let i = 0; i < o.nodes.length && remaining > 0; i++, remaining--) plan.push({ node: o.nodes[i]!, slots: need.slots });
      continue;
    }
    const idx = o.nodes.map((_, i) => i).sort((a, b) => o.caps[b]! - o.caps[a]! || o.nodes[a]!.rank - o.nodes[b]!.rank);
    for (const i of idx) {
      if (remaining === 0) break;
      const k = Math.min(o.caps[i]!, remaining);
      plan.push({ node: o.nodes[i]!, slots: k });
      remaining -= k;
    }
  }
  return plan;
}

/** Choose the fewest offers covering `want`: largest first, then the smallest one that covers what is left. */
function span(offers: Offer[], want: number): Offer[] | null {
  const sorted = offers.filter((o) => o.amount > 0).sort((a, b) => b.amount - a.amount || firstRank(a.group) - firstRank(b.group));
  const chosen: Offer[] = [];
  let remaining = want;
  let lo = 0;
  while (remaining > 0) {
    if (lo >= sorted.length) return null;
    let closer = -1;
    for (let i = sorted.length - 1; i >= lo; i--) {
      if (sorted[i]!.amount >= remaining) {
        closer = i;
        break;
      }
    }
    if (closer >= 0) {
      chosen.push(sorted[closer]!);
      return chosen;
    }
    chosen.push(sorted[lo]!);
    remaining -= sorted[lo]!.amount;
    lo++;
  }
  return chosen;
}

/**
 * Plan `need` for locality. Returns null when the whole graph cannot hold it.
 * @example planLocality(topology, needOf({nodes: 4, slots: 1, coresPerSlot: 96, gpusPerSlot: 0, exclusive: true}))
 */
export function planLocality(topo: Topology, need: Need): Plan | null {
  const want = need.nodes ?? need.slots;
  const offers = new Map<GroupVertex, Offer>();
  const exact = (g: GroupVertex): Offer => {
    let o = offers.get(g);
    if (!o) {
      o = offerOf(g, need);
      offers.set(g, o);
    }
    return o;
  };

  // 1. One group: the smallest (by its aggregates) that really fits.
  const single: Array<{ group: GroupVertex; ub: number }> = [];
  const zoneUb = new Map<GroupVertex['zone'], number>();
  for (const zone of topo.zones) {
    const zub = upperBound(zone.agg, need);
    zoneUb.set(zone, zub);
    if (zub < want) continue;
    for (const group of zone.groups) {
      const ub = upperBound(group.agg, need);
      if (ub >= want) single.push({ group, ub });
    }
  }
  single.sort((a, b) => a.ub - b.ub || firstRank(a.group) - firstRank(b.group));
  for (const { group } of single) {
    const o = exact(group);
    if (o.amount >= want) return take([o], need, want);
  }

  // 2. The groups of one zone: the smallest zone that fits.
  const zones = topo.zones.filter((z) => (zoneUb.get(z) ?? 0) >= want).sort((a, b) => (zoneUb.get(a) ?? 0) - (zoneUb.get(b) ?? 0));
  for (const zone of zones) {
    const chosen = span(zone.groups.filter((g) => upperBound(g.agg, need) > 0).map(exact), want);
    if (chosen) return take(chosen, need, want);
  }

  // 3. Groups anywhere.
  if (upperBound(topo.root, need) < want) return null;
  const all: Offer[] = [];
  for (const zone of topo.zones) {
    if ((zoneUb.get(zone) ?? 0) === 0) continue;
    for (const g of zone.groups) if (upperBound(g.agg, need) > 0) all.push(exact(g));
  }
  const chosen = span(all, want);
  return chosen ? take(chosen, need, want) : null;
}

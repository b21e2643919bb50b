// aggregates.ts - free-resource aggregates kept on every zone, group and the cluster root, updated incrementally.
// Invariant: for each vertex, every field equals a recomputation over the up nodes of its subtree (totals over all
// nodes); a node's contribution is removed (detach) before it changes and added back (attach) after, along its path.

import type { NodeVertex } from './node.ts';

/** Counts of nodes by an integer value (free cores, free GPUs...), with the running max and suffix/floor sums. */
export class Histogram {
  counts: Int32Array = new Int32Array(8);
  private maxHint = 0;

  /** Add `delta` nodes having `value`. */
  add(value: number, delta: number): void {
    if (value >= this.counts.length) {
      const grown = new Int32Array(Math.max(value + 1, this.counts.length * 2));
      grown.set(this.counts);
      this.counts = grown;
    }
    this.counts[value] = this.counts[value]! + delta;
    if (delta > 0 && value > this.maxHint) this.maxHint = value;
  }

  /** The largest value with a non-zero count (0 when empty). @example h.max // 96 */
  get max(): number {
    let m = this.maxHint;
    while (m > 0 && this.counts[m] === 0) m--;
    this.maxHint = m;
    return m;
  }

  /** How many nodes have a value ≥ `min`. @example h.countAtLeast(48) */
  countAtLeast(min: number): number {
    let n = 0;
    for (let v = this.max; v >= min && v >= 0; v--) n += this.counts[v]!;
    return n;
  }

  /** Σ count(v) · ⌊v / per⌋: how many items of size `per` fit, packing each node separately. */
  sumFloorDiv(per: number): number {
    let n = 0;
    for (let v = this.max; v >= per; v--) n += this.counts[v]! * Math.floor(v / per);
    return n;
  }
}

/** What a subtree offers. Free counts and histograms cover up nodes only; `total*` cover every node. */
export class Aggregate {
  totalNodes = 0;
  totalCores = 0;
  totalGpus = 0;
  upNodes = 0;
  /** Up nodes with nothing allocated. */
  freeNodes = 0;
  freeCores = 0;
  freeGpus = 0;
  /** Up nodes by free cores / free GPUs. */
  readonly coreHist = new Histogram();
  readonly gpuHist = new Histogram();
  /** Fully free up nodes by total cores / GPUs (what an exclusive request can take). */
  readonly fullCoreHist = new Histogram();
  readonly fullGpuHist = new Histogram();

  /** Add (sign 1) or remove (sign −1) one node's contribution. */
  apply(n: NodeVertex, sign: 1 | -1): void {
    this.totalNodes += sign;
    this.totalCores += sign * n.cores;
    this.totalGpus += sign * n.gpus;
    if (n.state !== 'up') return;
    this.upNodes += sign;
    this.freeCores += sign * n.freeCores;
    this.freeGpus += sign * n.freeGpus;
    this.coreHist.add(n.freeCores, sign);
    this.gpuHist.add(n.freeGpus, sign);
    if (n.jobs === 0) {
      this.freeNodes += sign;
      this.fullCoreHist.add(n.cores, sign);
      this.fullGpuHist.add(n.gpus, sign);
    }
  }

  get maxFreeCores(): number {
    return this.coreHist.max;
  }

  get maxFreeGpus(): number {
    return this.gpuHist.max;
  }
}

export class GroupVertex {
  readonly agg = new Aggregate();
  /** Members, ascending by rank. */
  readonly nodes: NodeVertex[] = [];
  constructor(
    readonly name: string,
    readonly zone: ZoneVertex,
  ) {}
}

export class ZoneVertex {
  readonly agg = new Aggregate();
  readonly groups: GroupVertex[] = [];
  constructor(readonly name: string) {}
}

/** cluster → zone → group → node. Zones and groups appear with their first node and go with their last. */
export class Topology {
  readonly root = new Aggregate();
  readonly zones: ZoneVertex[] = [];

  /** The group vertex holding `n`. */
  group(n: NodeVertex): GroupVertex {
    const g = n.home;
    if (!g) throw new Error(`node rank ${n.rank} is not in the topology`);
    return g;
  }

  insert(n: NodeVertex): void {
    let zone = this.zones.find((z) => z.name === n.zone);
    if (!zone) {
      zone = new ZoneVertex(n.zone);
      this.zones.push(zone);
    }
    let group = zone.groups.find((g) => g.name === n.group);
    if (!group) {
      group = new GroupVertex(n.group, zone);
      zone.groups.push(group);
    }
    const list = group.nodes;
    if (list.length === 0 || list[list.length - 1]!.rank < n.rank) list.push(n);
    else list.splice(lowerBound(list, n.rank), 0, n);
    n.home = group;
    this.attach(n);
  }

  remove(n: NodeVertex): void {
    this.detach(n);
    const group = this.group(n);
    group.nodes.splice(lowerBound(group.nodes, n.rank), 1);
    n.home = null;
    const zone = group.zone;
    if (group.nodes.length === 0) zone.groups.splice(zone.groups.indexOf(group), 1);
    if (zone.groups.length === 0) this.zones.splice(this.zones.indexOf(zone), 1);
  }

  /** Remove `n`'s contribution from its path (before changing it). */
  detach(n: NodeVertex): void {
    const g = this.group(n);
    g.agg.apply(n, -1);
    g.zone.agg.apply(n, -1);
    this.root.apply(n, -1);
  }

  /** Add `n`'s contribution back (after changing it). */
  attach(n: NodeVertex): void {
    const g = this.group(n);
    g.agg.apply(n, 1);
    g.zone.agg.apply(n, 1);
    this.root.apply(n, 1);
  }
}

/** Index of the first node with rank ≥ `rank` in a rank-sorted list. */
export function lowerBound(list: readonly NodeVertex[], rank: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.rank < rank) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

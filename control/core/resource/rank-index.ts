// rank-index.ts - the nodes in rank order under a max-segment tree of free resources, for the rank-ordered
// policies (first, high) and the least-loaded-first search (spread).
// Invariants: after ensure(), leaf p holds order[p]'s values (−1 when the node is not up, or for exclusive fields
// when anything is allocated on it) and every inner entry is the max of its two children. Inserts and removals
// only mark the tree stale; it is rebuilt once, lazily, before the next search.

import type { NodeVertex } from './node.ts';
import { lowerBound } from './aggregates.ts';

/** Thresholds a node (or a subtree's maxima) must meet to be worth visiting. */
export interface Thresholds {
  exclusive: boolean;
  cores: number;
  gpus: number;
  memoryMB: number;
}

/** Visitor: return true to stop the search. */
export type Visit = (node: NodeVertex) => boolean;

const POS_BITS = 4194304; // 2^22: nodes per graph this index supports

export class RankIndex {
  private readonly order: NodeVertex[] = [];
  private stale = true;
  private size = 1;
  private cores = new Int32Array(2);
  private gpus = new Int32Array(2);
  private fullCores = new Int32Array(2);
  private fullGpus = new Int32Array(2);
  private mem = new Float64Array(2);

  insert(n: NodeVertex): void {
    const o = this.order;
    if (o.length >= POS_BITS) throw new Error(`the resource graph holds at most ${POS_BITS} nodes`);
    if (o.length === 0 || o[o.length - 1]!.rank < n.rank) {
      o.push(n);
      // Appending within the tree's capacity needs only this leaf's path; anything else rebuilds lazily.
      if (!this.stale && o.length <= this.size) {
        n.pos = o.length - 1;
        this.update(n);
        return;
      }
    } else {
      o.splice(lowerBound(o, n.rank), 0, n);
    }
    this.stale = true;
  }

  remove(n: NodeVertex): void {
    this.order.splice(lowerBound(this.order, n.rank), 1);
    n.pos = -1;
    this.stale = true;
  }

  /** Nodes ascending by rank (do not mutate). */
  get nodes(): readonly NodeVertex[] {
    return this.order;
  }

  /** Refresh `n`'s leaf and its path to the root after its state or occupancy changed. */
  update(n: NodeVertex): void {
    if (this.stale) return;
    let i = this.size + n.pos;
    this.setLeaf(i, n);
    for (i >>>= 1; i >= 1; i >>>= 1) this.pull(i);
  }

  /**
   * Visit nodes meeting `t` in rank order (ascending, or descending when `descending`), skipping every subtree whose
   * maxima cannot meet it, until `visit` returns true. Returns true if stopped by `visit`.
   * @example idx.scan(false, {exclusive: false, cores: 1, gpus: 0, memoryMB: 0}, (n) => n.freeCores > 4)
   */
  scan(descending: boolean, t: Thresholds, visit: Visit): boolean {
    this.ensure();
    const stack: number[] = [1];
    const size = this.size;
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (!this.meets(i, t)) continue;
      if (i >= size) {
        if (visit(this.order[i - size]!)) return true;
      } else if (descending) {
        stack.push(2 * i, 2 * i + 1);
      } else {
        stack.push(2 * i + 1, 2 * i);
      }
    }
    return false;
  }

  /**
   * Visit nodes meeting `t` from the least loaded (most free cores; for exclusive requests, most cores) to the most,
   * ties by lower rank, until `visit` returns true. Costs O(k log n) for k nodes visited.
   * @example idx.leastLoaded({exclusive: false, cores: 1, gpus: 0, memoryMB: 0}, (n) => ++seen === 4)
   */
  leastLoaded(t: Thresholds, visit: Visit): boolean {
    this.ensure();
    const key = t.exclusive ? this.fullCores : this.cores;
    const heap = new MaxHeap();
    const size = this.size;
    const depth = Math.log2(size);
    const keyOf = (i: number): number => {
      const level = 31 - Math.clz32(i);
      const leftmost = (i << (depth - level)) - size;
      return key[i]! * POS_BITS + (POS_BITS - 1 - leftmost);
    };
    if (this.meets(1, t)) heap.push(keyOf(1), 1);
    while (heap.length > 0) {
      const i = heap.pop();
      if (i >= size) {
        if (visit(this.order[i - size]!)) return true;
        continue;
      }
      for (const c of [2 * i, 2 * i + 1]) if (this.meets(c, t)) heap.push(keyOf(c), c);
    }
    return false;
  }

  private meets(i: number, t: Thresholds): boolean {
    const c = t.exclusive ? this.fullCores : this.cores;
    const g = t.exclusive ? this.fullGpus : this.gpus;
    return c[i]! >= t.cores && g[i]! >= t.gpus && this.mem[i]! >= t.memoryMB;
  }

  private ensure(): void {
    if (!this.stale) return;
    const n = this.order.length;
    let size = 1;
    while (size < n) size *= 2;
    this.size = size;
    this.cores = new Int32Array(2 * size).fill(-1);
    this.gpus = new Int32Array(2 * size).fill(-1);
    this.fullCores = new Int32Array(2 * size).fill(-1);
    this.fullGpus = new Int32Array(2 * size).fill(-1);
    this.mem = new Float64Array(2 * size).fill(-1);
    for (let p = 0; p < n; p++) {
      const node = this.order[p]!;
      node.pos = p;
      this.setLeaf(size + p, node);
    }
    for (let i = size - 1; i >= 1; i--) this.pull(i);
    this.stale = false;
  }

  private setLeaf(i: number, n: NodeVertex): void {
    const up = n.state === 'up';
    const full = up && n.jobs === 0;
    this.cores[i] = up ? n.freeCores : -1;
    this.gpus[i] = up ? n.freeGpus : -1;
    this.fullCores[i] = full ? n.cores : -1;
    this.fullGpus[i] = full ? n.gpus : -1;
    this.mem[i] = up ? n.memoryMB : -1;
  }

  private pull(i: number): void {
    const l = 2 * i;
    const r = l + 1;
    this.cores[i] = Math.max(this.cores[l]!, this.cores[r]!);
    this.gpus[i] = Math.max(this.gpus[l]!, this.gpus[r]!);
    this.fullCores[i] = Math.max(this.fullCores[l]!, this.fullCores[r]!);
    this.fullGpus[i] = Math.max(this.fullGpus[l]!, this.fullGpus[r]!);
    this.mem[i] = Math.max(this.mem[l]!, this.mem[r]!);
  }
}

/** A binary max-heap of (key, value) pairs of numbers. */
class MaxHeap {
  private keys: number[] = [];
  private vals: number[] = [];

  get length(): number {
    return this.keys.length;
  }

  push(key: number, val: number): void {
    const k = this.keys;
    const v = this.vals;
    let i = k.length;
    k.push(key);
    v.push(val);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (k[p]! >= key) break;
      k[i] = k[p]!;
      v[i] = v[p]!;
      i = p;
    }
    k[i] = key;
    v[i] = val;
  }

  /** Remove and return the value with the largest key; the heap must not be empty. */
  pop(): number {
    const k = this.keys;
    const v = this.vals;
    const top = v[0]!;
    const lastK = k.pop()!;
    const lastV = v.pop()!;
    const n = k.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const c = l + 1 < n && k[l + 1]! > k[l]! ? l + 1 : l;
        if (k[c]! <= lastK) break;
        k[i] = k[c]!;
        v[i] = v[c]!;
        i = c;
      }
      k[i] = lastK;
      v[i] = lastV;
    }
    return top;
  }
}

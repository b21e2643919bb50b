// testing.ts - helpers for the resource and queue tests: graph builders, a deep snapshot of graph state, and a
// brute-force checker of every invariant the graph keeps (aggregates, occupancy, exclusivity of ids).
// Invariant: read-only with respect to the graph; used by tests and the bench, never by production code.

import type { NodeInventory } from './types.ts';
import type { ResourceGraph } from './graph.ts';
import { Aggregate } from './aggregates.ts';
import type { NodeVertex } from './node.ts';
import { rankShares } from './rv1.ts';

/** An inventory with sensible defaults. @example inv('n0', {cores: 8, group: 'a'}) */
export function inv(hostname: string, over: Partial<NodeInventory> = {}): NodeInventory {
  return { hostname, cores: 4, sockets: 1, gpus: 0, memoryMB: 16384, properties: [], ...over };
}

/** A graph of `count` nodes n<rank> with ranks 0..count−1. @example grid(8, (r) => ({group: r < 4 ? 'a' : 'b'})) */
export function grid(graph: ResourceGraph, count: number, over: (rank: number) => Partial<NodeInventory> = () => ({})): ResourceGraph {
  for (let r = 0; r < count; r++) graph.addNode(r, inv(`n${r}`, over(r)));
  return graph;
}

function trim(a: Int32Array): number[] {
  let n = a.length;
  while (n > 0 && a[n - 1] === 0) n--;
  return [...a.subarray(0, n)];
}

function aggData(a: Aggregate): Record<string, unknown> {
  return {
    totalNodes: a.totalNodes,
    totalCores: a.totalCores,
    totalGpus: a.totalGpus,
    upNodes: a.upNodes,
    freeNodes: a.freeNodes,
    freeCores: a.freeCores,
    freeGpus: a.freeGpus,
    maxFreeCores: a.maxFreeCores,
    maxFreeGpus: a.maxFreeGpus,
    coreHist: trim(a.coreHist.counts),
    gpuHist: trim(a.gpuHist.counts),
    fullCoreHist: trim(a.fullCoreHist.counts),
    fullGpuHist: trim(a.fullGpuHist.counts),
  };
}

function nodeData(n: NodeVertex): Record<string, unknown> {
  return {
    rank: n.rank,
    state: n.state,
    jobs: n.jobs,
    freeCores: n.freeCores,
    freeGpus: n.freeGpus,
    coreBits: [...n.coreBits],
    gpuBits: [...n.gpuBits],
    socketFreeCores: [...n.socketFreeCores],
    socketFreeGpus: [...n.socketFreeGpus],
  };
}

/** Everything observable about the graph's state, as plain data (for deep-equal comparisons). */
export function snapshot(graph: ResourceGraph): unknown {
  const allocs = graph.jobs().sort().map((id) => [id, graph.allocationOf(id)]);
  const topo = graph.topology;
  return {
    nodes: graph.rankIndex.nodes.map(nodeData),
    allocs,
    root: aggData(topo.root),
    zones: topo.zones.map((z) => ({ name: z.name, agg: aggData(z.agg), groups: z.groups.map((g) => ({ name: g.name, agg: aggData(g.agg), ranks: g.nodes.map((n) => n.rank) })) })),
  };
}

/** Recompute the aggregates of a set of nodes from scratch. */
function brute(nodes: readonly NodeVertex[]): Record<string, unknown> {
  const a = new Aggregate();
  for (const n of nodes) a.apply(n, 1);
  return aggData(a);
}

/**
 * Throw if any invariant fails: aggregates equal a recomputation, per-node counts equal their bitsets, no id held
 * by two jobs, every allocated id belongs to exactly one job, and rank-index searches equal brute-force filters.
 */
export function checkInvariants(graph: ResourceGraph): void {
  const fail = (what: string, got: unknown, want: unknown): never => {
    throw new Error(`${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  };
  const same = (what: string, got: unknown, want: unknown): void => {
    if (JSON.stringify(got) !== JSON.stringify(want)) fail(what, got, want);
  };
  const topo = graph.topology;
  const all = graph.rankIndex.nodes;
  same('root aggregates', aggData(topo.root), brute(all));
  for (const z of topo.zones) {
    same(`zone ${z.name}`, aggData(z.agg), brute(z.groups.flatMap((g) => g.nodes)));
    for (const g of z.groups) same(`group ${z.name}/${g.name}`, aggData(g.agg), brute(g.nodes));
  }
  // Ownership: rebuild occupancy from the allocations.
  const owner = new Map<string, string>();
  const jobsOn = new Map<number, number>();
  for (const id of graph.jobs()) {
    for (const [rank, share] of rankShares(graph.allocationOf(id)!)) {
      jobsOn.set(rank, (jobsOn.get(rank) ?? 0) + 1);
      for (const c of share.cores) {
        const k = `${rank}:c${c}`;
        if (owner.has(k)) fail(`core ${k} held twice`, id, owner.get(k));
        owner.set(k, id);
      }
      for (const c of share.gpus) {
        const k = `${rank}:g${c}`;
        if (owner.has(k)) fail(`gpu ${k} held twice`, id, owner.get(k));
        owner.set(k, id);
      }
    }
  }
  for (const n of all) {
    const cores = n.allocatedCores();
    const gpus = n.allocatedGpus();
    same(`rank ${n.rank} free cores`, n.freeCores, n.cores - cores.length);
    same(`rank ${n.rank} free gpus`, n.freeGpus, n.gpus - gpus.length);
    same(`rank ${n.rank} jobs`, n.jobs, jobsOn.get(n.rank) ?? 0);
    for (const c of cores) if (!owner.has(`${n.rank}:c${c}`)) fail(`rank ${n.rank} core ${c} allocated to nobody`, c, null);
    for (const c of gpus) if (!owner.has(`${n.rank}:g${c}`)) fail(`rank ${n.rank} gpu ${c} allocated to nobody`, c, null);
    const sc = new Array<number>(n.sockets).fill(0);
    const sg = new Array<number>(n.sockets).fill(0);
    for (let c = 0; c < n.cores; c++) if (n.isCoreFree(c)) sc[n.coreSocket(c)]!++;
    for (let c = 0; c < n.gpus; c++) if (n.isGpuFree(c)) sg[n.gpuSocket(c)]!++;
    same(`rank ${n.rank} socket free cores`, [...n.socketFreeCores], sc);
    same(`rank ${n.rank} socket free gpus`, [...n.socketFreeGpus], sg);
  }
  for (const exclusive of [false, true]) {
    for (const t of [{ cores: 1, gpus: 0 }, { cores: 3, gpus: 1 }, { cores: 8, gpus: 0 }]) {
      const th = { exclusive, ...t, memoryMB: 0 };
      const got: number[] = [];
      graph.rankIndex.scan(false, th, (n) => (got.push(n.rank), false));
      const want = all
        .filter((n) => n.state === 'up' && (exclusive ? n.jobs === 0 && n.cores >= t.cores && n.gpus >= t.gpus : n.freeCores >= t.cores && n.freeGpus >= t.gpus))
        .map((n) => n.rank);
      same(`rank index scan ${JSON.stringify(th)}`, got, want);
    }
  }
}

// graph.ts - the resource graph (cluster → zone → group → node → socket → core/gpu) and its matcher API.
// Invariants: allocation is all or nothing (a failed call changes nothing); no core or GPU has two holders; every
// change to a node detaches it from the aggregates first and re-attaches it after; down and drained nodes are never
// matched, but what is allocated on them stays until released.

import type { MatchPolicy, NodeInventory, ResourceRequest, Rv1 } from './types.ts';
import { NodeVertex, type NodeShare, type NodeState } from './node.ts';
import { Topology } from './aggregates.ts';
import { RankIndex } from './rank-index.ts';
import { capacity, emptyCapacity, mayFit, needOf, type Need, type Plan } from './plan.ts';
import { planOrdered, planSpread } from './match-ordered.ts';
import { planLocality } from './match-locality.ts';
import { buildRv1, hostnames, rankShares } from './rv1.ts';
import { summarize, type ResourceSummary } from './summary.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.ts';

export interface MatchOptions {
  policy: MatchPolicy;
  /** Start time, seconds since the epoch. */
  now: number;
  /** Seconds; 0 = unlimited (R expiration 0). */
  duration: number;
}

/** A node as callers see it. */
export interface NodeInfo {
  rank: number;
  hostname: string;
  state: NodeState;
  zone: string;
  group: string;
  sockets: number;
  cores: number;
  gpus: number;
  memoryMB: number;
  freeCores: number;
  freeGpus: number;
  properties: string[];
}

interface Allocation {
  R: Rv1;
  shares: Array<{ node: NodeVertex; share: NodeShare }>;
}

const POLICIES: readonly MatchPolicy[] = ['first', 'high', 'locality', 'spread'];

function checkInventory(rank: number, inv: NodeInventory): void {
  if (!Number.isInteger(rank) || rank < 0) throw new InvalidInputError('must be an integer ≥ 0', 'rank');
  if (typeof inv.hostname !== 'string' || inv.hostname === '') throw new InvalidInputError('must be a non-empty string', 'hostname');
  for (const [k, v, min] of [['cores', inv.cores, 1], ['gpus', inv.gpus, 0], ['sockets', inv.sockets ?? 1, 1]] as const) {
    if (!Number.isInteger(v) || v < min) throw new InvalidInputError(`must be an integer ≥ ${min}`, k);
  }
  if (typeof inv.memoryMB !== 'number' || !(inv.memoryMB >= 0)) throw new InvalidInputError('must be a number ≥ 0', 'memoryMB');
}

export class ResourceGraph {
  private readonly byRank = new Map<number, NodeVertex>();
  private readonly hosts = new Set<string>();
  private readonly allocs = new Map<string, Allocation>();
  /** @internal The topology and its aggregates (read-only use: tests, bench). */
  readonly topology = new Topology();
  /** @internal The rank-ordered index (read-only use: tests, bench). */
  readonly rankIndex = new RankIndex();

  /**
   * Add a node, up and empty. Throws ConflictError if the rank or hostname is taken.
   * @example g.addNode(0, {hostname: 'n0', cores: 96, sockets: 2, gpus: 0, memoryMB: 384000, properties: ['efa'], group: 'pg1'})
   */
  addNode(rank: number, inv: NodeInventory): void {
    checkInventory(rank, inv);
    if (this.byRank.has(rank)) throw new ConflictError(`rank ${rank} is already in the resource graph`);
    if (this.hosts.has(inv.hostname)) throw new ConflictError(`host ${inv.hostname} is already in the resource graph`);
    const node = new NodeVertex(rank, inv);
    this.byRank.set(rank, node);
    this.hosts.add(node.hostname);
    this.topology.insert(node);
    this.rankIndex.insert(node);
  }

  /** Remove a node holding nothing; ConflictError if a job holds resources on it. @example g.removeNode(3) */
  removeNode(rank: number): void {
    const node = this.get(rank);
    if (node.jobs > 0) throw new ConflictError(`node ${node.hostname} (rank ${rank}) still holds resources of ${node.jobs} job(s)`);
    this.topology.remove(node);
    this.rankIndex.remove(node);
    this.byRank.delete(rank);
    this.hosts.delete(node.hostname);
  }

  /** Mark a node up, down or drained. @example g.setNodeState(3, 'drained') */
  setNodeState(rank: number, state: NodeState): void {
    if (state !== 'up' && state !== 'down' && state !== 'drained') throw new InvalidInputError('must be up, down or drained', 'state');
    const node = this.get(rank);
    if (node.state === state) return;
    this.change(node, () => {
      node.state = state;
    });
  }

  /** Is `rank` in the graph? @example g.hasNode(3) */
  hasNode(rank: number): boolean {
    return this.byRank.has(rank);
  }

  /** One node, or undefined. @example g.node(3)?.freeCores */
  node(rank: number): NodeInfo | undefined {
    const n = this.byRank.get(rank);
    return n && info(n);
  }

  /** Every node, ascending by rank. @example g.nodes().filter((n) => n.state === 'down') */
  nodes(): NodeInfo[] {
    return this.rankIndex.nodes.map(info);
  }

  get size(): number {
    return this.byRank.size;
  }

  /**
   * Allocate `req` to `jobId` all or nothing; returns R, or null (graph unchanged) when it does not fit now.
   * @example g.match('ƒ2MU1GM7V', {slots: 4, coresPerSlot: 1, gpusPerSlot: 0, exclusive: false}, {policy: 'first', now: 1700000000, duration: 3600})
   */
  match(jobId: string, req: ResourceRequest, opts: MatchOptions): Rv1 | null {
    if (this.allocs.has(jobId)) throw new ConflictError(`job ${jobId} already holds resources`);
    if (!POLICIES.includes(opts.policy)) throw new InvalidInputError(`must be one of ${POLICIES.join(', ')}`, 'policy');
    const need = needOf(req);
    if (!mayFit(this.topology.root, need)) return null;
    const plan = this.plan(need, opts.policy);
    if (!plan) return null;
    const shares: Allocation['shares'] = [];
    for (const { node, slots } of plan) {
      this.change(node, () => {
        shares.push({ node, share: need.exclusive ? node.takeAll() : node.takeSlots(slots, need.c, need.g) });
      });
    }
    const R = rOf(shares, opts.now, opts.duration > 0 ? opts.now + opts.duration : 0);
    this.allocs.set(jobId, { R, shares });
    return R;
  }

  /**
   * Re-apply a known allocation (rebuilding after a restart). Throws, changing nothing, if a rank is missing, an id is
   * out of range or already held, or the nodelist disagrees with the ranks' hostnames. Allowed on down/drained nodes.
   * @example g.allocateExact('ƒ2MU1GM7V', job.R)
   */
  allocateExact(jobId: string, R: Rv1): void {
    if (this.allocs.has(jobId)) throw new ConflictError(`job ${jobId} already holds resources`);
    const planned = this.sharesOf(R, jobId);
    const hosts = R.execution.nodelist.length > 0 ? hostnames(R) : null;
    planned.forEach(({ node, share }, i) => {
      const what = `allocating ${jobId} on ${node.hostname} (rank ${node.rank})`;
      if (hosts && hosts[i] !== node.hostname) throw new ConflictError(`${what}: R names host ${hosts[i]}`);
      for (const id of share.cores) if (!node.isCoreFree(id)) throw new ConflictError(`${what}: core ${id} is already allocated`);
      for (const id of share.gpus) if (!node.isGpuFree(id)) throw new ConflictError(`${what}: gpu ${id} is already allocated`);
    });
    for (const { node, share } of planned) this.change(node, () => node.takeIds(share));
    this.allocs.set(jobId, { R, shares: planned });
  }

  /**
   * Hold, under `jobId`, whatever part of R is free now (missing ranks and held ids are skipped); returns the R held.
   * The EASY policy uses it to keep a reservation's free resources from backfill.
   * @example g.allocateAvailable('reservation', R)
   */
  allocateAvailable(jobId: string, R: Rv1): Rv1 {
    if (this.allocs.has(jobId)) throw new ConflictError(`job ${jobId} already holds resources`);
    const shares: Allocation['shares'] = [];
    for (const [rank, want] of rankShares(R)) {
      const node = this.byRank.get(rank);
      if (!node) continue;
      const share = {
        cores: want.cores.filter((id) => id < node.cores && node.isCoreFree(id)),
        gpus: want.gpus.filter((id) => id < node.gpus && node.isGpuFree(id)),
      };
      if (share.cores.length + share.gpus.length === 0) continue;
      this.change(node, () => node.takeIds(share));
      shares.push({ node, share });
    }
    const held = rOf(shares, R.execution.starttime, R.execution.expiration);
    this.allocs.set(jobId, { R: held, shares });
    return held;
  }

  /** Free everything `jobId` holds and return its R (as allocated). NotFoundError if it holds nothing. */
  release(jobId: string): Rv1 {
    const a = this.allocs.get(jobId);
    if (!a) throw new NotFoundError(`job ${jobId} holds no resources`);
    for (const { node, share } of a.shares) this.change(node, () => node.giveBack(share));
    this.allocs.delete(jobId);
    return a.R;
  }

  /** The R `jobId` holds (do not mutate), or undefined. */
  allocationOf(jobId: string): Rv1 | undefined {
    return this.allocs.get(jobId)?.R;
  }

  /** Ids of the jobs holding resources. */
  jobs(): string[] {
    return [...this.allocs.keys()];
  }

  /** Counts for `resource list`. O(nodes). */
  summary(): ResourceSummary {
    return summarize(this.rankIndex.nodes);
  }

  /**
   * Could `req` ever be satisfied here, were every node up and empty? O(nodes). Use it to refuse at submit a job
   * too big for the instance. @example g.canEverSatisfy({nodes: 5000, slots: 1, coresPerSlot: 1, gpusPerSlot: 0, exclusive: true})
   */
  canEverSatisfy(req: ResourceRequest): boolean {
    const need = needOf(req);
    const root = this.topology.root;
    if (root.totalCores < need.c * (need.nodes ?? 1) * need.slots || root.totalGpus < need.g * (need.nodes ?? 1) * need.slots) return false;
    let have = 0;
    const want = need.nodes ?? need.slots;
    for (const n of this.rankIndex.nodes) {
      const cap = emptyCapacity(n, need);
      have += need.nodes === undefined ? cap : cap >= need.slots ? 1 : 0;
      if (have >= want) return true;
    }
    return false;
  }

  private plan(need: Need, policy: MatchPolicy): Plan | null {
    switch (policy) {
      case 'first':
        return planOrdered(this.rankIndex, need, false);
      case 'high':
        return planOrdered(this.rankIndex, need, true);
      case 'spread':
        return planSpread(this.rankIndex, need);
      case 'locality':
        return planLocality(this.topology, need);
    }
  }

  /** Parse R against the graph: every rank present, ids in range. Changes nothing. */
  private sharesOf(R: Rv1, jobId: string): Allocation['shares'] {
    const out: Allocation['shares'] = [];
    for (const [rank, share] of rankShares(R)) {
      const node = this.byRank.get(rank);
      if (!node) throw new ConflictError(`allocating ${jobId}: rank ${rank} is not in the resource graph`);
      const bad = share.cores.find((id) => id >= node.cores) ?? share.gpus.find((id) => id >= node.gpus);
      if (bad !== undefined) throw new ConflictError(`allocating ${jobId}: ${node.hostname} has no core or gpu ${bad}`);
      out.push({ node, share });
    }
    return out;
  }

  private get(rank: number): NodeVertex {
    const n = this.byRank.get(rank);
    if (!n) throw new NotFoundError(`rank ${rank} is not in the resource graph`);
    return n;
  }

  /** Apply `fn` to `node` keeping the aggregates and the rank index exact. */
  private change(node: NodeVertex, fn: () => void): void {
    this.topology.detach(node);
    fn();
    this.topology.attach(node);
    this.rankIndex.update(node);
  }
}

function rOf(shares: Allocation['shares'], starttime: number, expiration: number): Rv1 {
  return buildRv1(
    shares.map(({ node, share }) => ({ rank: node.rank, hostname: node.hostname, cores: share.cores, gpus: share.gpus, properties: node.properties })),
    starttime,
    expiration,
  );
}

function info(n: NodeVertex): NodeInfo {
  return {
    rank: n.rank,
    hostname: n.hostname,
    state: n.state,
    zone: n.zone,
    group: n.group,
    sockets: n.sockets,
    cores: n.cores,
    gpus: n.gpus,
    memoryMB: n.memoryMB,
    freeCores: n.freeCores,
    freeGpus: n.freeGpus,
    properties: [...n.properties].sort(),
  };
}

// scheduler.ts - the scheduler loop of one instance: hold the lease, keep the queue and the resource graph in
// memory, run a pass (control/core/queue decides), commit the allocations fenced by the lease, dispatch them.
// Invariants: only the lease holder commits allocations (every commit carries its fencing token); the graph holds
// exactly the allocations of running jobs plus those being committed; a commit that fails releases its resources;
// when the lease changes hands or the cache is stale, everything is rebuilt from the table (restart is replay).
import { encodeFluid } from '../core/fluid.ts';
import { exceptionEvents } from '../core/job/index.ts';
import { schedulePass, type PendingJob, type QueuePolicy } from '../core/queue/index.ts';
import { ResourceGraph } from '../core/resource/graph.ts';
import { rankList, rankShares } from '../core/resource/rv1.ts';
import type { MatchPolicy, NodeInventory, ResourceRequest, Rv1 } from '../core/resource/types.ts';
import type { JobManager } from '../jobs/job-manager.ts';
import { allocationAttributes, type JobState } from '../jobs/job-state.ts';
import type { ActiveEntry, JobTable, LeaseFence } from '../store/jobs.ts';
import { fromHex16, hex16 } from '../store/keys.ts';
import type { LeaseTable } from '../store/lease.ts';
import type { NodeItem, NodeTable } from '../store/nodes.ts';
import { nodeGraphState } from './node-state.ts';

/** On Lambda, how often the whole pending queue is re-read (seconds); in between only newer jobs are. */
const FULL_QUEUE_READ_SECONDS = 60;
/** Newer-job reads start this far (10 s of FLUID timestamp: ids carry ms << 24) before the newest id seen. */
const QUEUE_READ_MARGIN = 10_000n << 24n;

export interface SchedulerOptions {
  iid: string;
  /** Unique name of this scheduler process (lease holder). */
  holder: string;
  queue: QueuePolicy;
  match: MatchPolicy;
  /** Seconds a lease lasts unless renewed. */
  leaseSeconds?: number;
  /**
   * True where this process does not see every change as it happens (Lambda): every pass re-reads nodes, running
   * jobs and new submissions from the table. False in local mode, where the job manager feeds the scheduler.
   */
  reconcileEachPass?: boolean;
}

export interface SchedulerDeps {
  jobs: JobTable;
  nodes: NodeTable;
  lease: LeaseTable;
  manager: JobManager;
  /** Seconds since the epoch. */
  clock: () => number;
  /** Send `job.start` for a newly allocated job to its nodes. */
  dispatch: (job: JobState) => void;
  log?: (line: string) => void;
}

/**
 * Capacity the instance can add (elastic pools, elastic/feasibility.ts): a job the graph can never satisfy but a pool
 * could grow nodes for is not unsatisfiable; it waits while the elastic loop launches them.
 */
export interface GrowCapacity {
  /** Could some pool launch nodes that run this request? */
  canGrow(req: ResourceRequest): boolean;
  /** Why no pool could (for the refusal), when canGrow is false. */
  whyNot(req: ResourceRequest): string;
}

interface Queued extends PendingJob {
  bid: bigint;
}

export class Scheduler {
  private graph = new ResourceGraph();
  private queue = new Map<string, Queued>();
  private running = new Map<string, number>();
  /** The newest pending job id seen, and when the whole queue was last read (Lambda's incremental queue reads). */
  private newestPending = 0n;
  private queueReadAt = 0;
  /** Node changes heard while a rebuild reads the table (undefined when not rebuilding). */
  private changedDuringRebuild: NodeItem[] | undefined;
  /** Nodes removed while a rebuild reads the table (their items may still be in what it read). */
  private removedDuringRebuild: NodeItem[] | undefined;
  private growth: GrowCapacity | undefined;
  /** Allocations decided but not yet durable. */
  private readonly committing = new Set<string>();
  private fence: LeaseFence | undefined;
  /** When the lease must be renewed (seconds since the epoch). */
  private leaseRenewAt = 0;
  private built = false;
  private passing: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** Completes when the commits started by passes so far have settled (tests and shutdown wait on it). */
  private commits = new Set<Promise<void>>();

  constructor(
    private readonly opts: SchedulerOptions,
    private readonly deps: SchedulerDeps,
  ) {}

  /** Ask for a pass; passes never overlap, and requests made during one coalesce into one more. */
  trigger(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.passing) {
      this.again = true;
      return this.passing;
    }
    this.passing = (async () => {
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again && !this.stopped);
      } finally {
        this.passing = undefined;
      }
    })();
    return this.passing;
  }

  /** Waits for the current pass and the commits already started. */
  async settle(): Promise<void> {
    while (this.passing || this.commits.size) {
      await this.passing;
      await Promise.all([...this.commits]);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.settle();
    if (this.fence) await this.deps.lease.release(this.fence, this.deps.clock());
  }

  // ---- feeding (local mode: the job manager and the agent handler call these) ----

  queued(jobs: JobState[]): void {
    for (const j of jobs) this.enqueue(j.item.id, j.item.req, j.item.dur, j.view.priority ?? 0, j.item.tsub, j.view.state);
    void this.trigger();
  }

  dequeued(id: bigint): void {
    this.queue.delete(hex16(id));
    void this.trigger();
  }

  requeued(job: JobState): void {
    this.queued([job]);
  }

  freed(job: JobState): void {
    const key = hex16(job.item.id);
    if (this.graph.allocationOf(key)) this.graph.release(key);
    this.running.delete(key);
    void this.trigger();
  }

  /** A node joined or changed (inventory, online, drained). */
  nodeChanged(node: NodeItem): void {
    this.applyNode(node);
    this.changedDuringRebuild?.push(node);
    void this.trigger();
  }

  /** A node left for good (its item was deleted: the elastic loop removed it once its instance was gone). */
  nodeRemoved(node: NodeItem): void {
    this.removedDuringRebuild?.push(node);
    this.removeNode(node);
  }

  /** Consult this elastic capacity before calling a job unsatisfiable (undefined: the graph alone decides). */
  growWith(capacity: GrowCapacity | undefined): void {
    this.growth = capacity;
  }

  /** Why a request can never run on this instance, or undefined (the graph or an elastic pool could run it). */
  unsatisfiable(req: ResourceRequest): string | undefined {
    if (this.graph.canEverSatisfy(req) || this.growth?.canGrow(req)) return undefined;
    const nodes = this.graph.nodes();
    const cores = nodes.reduce((n, x) => n + x.cores, 0);
    const gpus = nodes.reduce((n, x) => n + x.gpus, 0);
    const why = `the instance has ${nodes.length} node(s), ${cores} core(s) and ${gpus} GPU(s) in all`;
    return this.growth ? `${why}, and no elastic pool can grow for it: ${this.growth.whyNot(req)}` : why;
  }

  /** The resource graph (read-only use: the resource listing). */
  get resources(): ResourceGraph {
    return this.graph;
  }

  get queueLength(): number {
    return this.queue.size;
  }

  /** How many jobs hold resources on each rank. */
  jobsPerRank(): Map<number, number> {
    const counts = new Map<number, number>();
    for (const key of this.running.keys()) {
      const R = this.graph.allocationOf(key);
      if (R) for (const r of rankList(R)) counts.set(r, (counts.get(r) ?? 0) + 1);
    }
    return counts;
  }

  /**
   * A read-only view for the elastic policy: the jobs waiting in the queue and each node's usage (running jobs,
   * free cores and GPUs, when its jobs' time limits end). Copies only; nothing here changes the scheduler.
   * @example scheduler.snapshot().pending.length // jobs still waiting after the last pass
   */
  snapshot(): SchedulerSnapshot {
    const perRank = new Map<number, { jobs: number; busyUntil: number | undefined }>();
    for (const [key, expiration] of this.running) {
      const R = this.graph.allocationOf(key);
      if (!R) continue;
      for (const r of rankList(R)) {
        const u = perRank.get(r) ?? { jobs: 0, busyUntil: 0 };
        u.jobs++;
        // An expiration of 0 is no time limit: the node is busy for an unknown time.
        u.busyUntil = u.busyUntil === undefined || !(expiration > 0) ? undefined : Math.max(u.busyUntil, expiration);
        perRank.set(r, u);
      }
    }
    return {
      built: this.built,
      pending: [...this.queue.values()].map((q) => ({ id: q.bid, request: q.request, duration: q.duration, priority: q.priority, t_submit: q.t_submit })),
      nodes: this.graph.nodes().map((n) => {
        const u = perRank.get(n.rank);
        const node: SnapshotNode = {
          rank: n.rank, hostname: n.hostname, state: n.state, cores: n.cores, freeCores: n.freeCores, gpus: n.gpus, freeGpus: n.freeGpus,
          memoryMB: n.memoryMB, jobs: u?.jobs ?? 0,
        };
        if (u && u.busyUntil !== undefined) node.busyUntil = u.busyUntil;
        return node;
      }),
    };
  }

  // ---- the pass ----

  private async pass(): Promise<void> {
    const now = this.deps.clock();
    const ttl = this.opts.leaseSeconds ?? 30;
    // Renew only when half the lease is gone: a pass must not cost a write (commits check the fence anyway).
    let fence = this.fence;
    if (!fence || now >= this.leaseRenewAt) {
      fence = await this.deps.lease.acquire(this.opts.iid, this.opts.holder, ttl, now, this.fence);
      this.leaseRenewAt = fence ? now + ttl / 2 : 0;
    }
    if (!fence) {
      // Another scheduler holds the lease: forget everything; rebuild if it comes back to us.
      this.fence = undefined;
      this.leaseRenewAt = 0;
      this.built = false;
      return;
    }
    if (!this.built || !this.fence || fence.token !== this.fence.token) await this.rebuild();
    else if (this.opts.reconcileEachPass) await this.reconcile();
    this.fence = fence;

    const decision = schedulePass(this.graph, [...this.queue.values()], [...this.running].map(([id, expiration]) => ({ id, expiration })), {
      queue: this.opts.queue,
      match: this.opts.match,
      now,
    });
    for (const u of decision.unsatisfiable) {
      // Too big for the graph but not for an elastic pool: it stays queued while nodes are launched for it. (An
      // invalid request, try-match.ts, is refused whatever the pools could do.)
      const req = this.queue.get(u.id)?.request;
      const invalid = u.reason.startsWith('invalid request');
      if (req && !invalid && this.growth?.canGrow(req)) continue;
      this.refuse(u.id, req && !invalid && this.growth ? `${u.reason}; no elastic pool can grow for it: ${this.growth.whyNot(req)}` : u.reason);
    }
    for (const a of decision.alloc) {
      const queued = this.queue.get(a.id);
      this.queue.delete(a.id);
      if (!queued) {
        this.graph.release(a.id);
        continue;
      }
      this.track(this.commitAllocation(queued.bid, a.id, a.R, fence));
    }
  }

  private track(p: Promise<void>): void {
    this.commits.add(p);
    void p.finally(() => this.commits.delete(p));
  }

  private async commitAllocation(id: bigint, key: string, R: Rv1, fence: LeaseFence): Promise<void> {
    this.running.set(key, R.execution.expiration);
    this.committing.add(key);
    try {
      const out = await this.deps.manager.committer.commit(
        id,
        (job) => {
          if (job.view.state !== 'SCHED' || job.view.allocated) return null;
          return { events: [{ timestamp: this.deps.clock(), name: 'alloc' }], set: allocationAttributes(R) };
        },
        fence,
      );
      if (out.status === 'applied') {
        this.deps.dispatch(out.job);
        return;
      }
      if (out.status === 'lease-lost') {
        this.built = false;
        this.leaseRenewAt = 0;
      }
    } catch (err) {
      this.deps.log?.(`scheduler: allocating ${encodeFluid(id)} failed: ${(err as Error).message}`);
    } finally {
      this.committing.delete(key);
    }
    // Not allocated after all (cancelled meanwhile, lease lost, or an error): give the resources back.
    this.running.delete(key);
    if (this.graph.allocationOf(key)) this.graph.release(key);
    void this.trigger();
  }

  /** A job this instance can never run: a fatal exception, as Flux's scheduler raises "unsatisfiable request". */
  private refuse(key: string, reason: string): void {
    const queued = this.queue.get(key);
    this.queue.delete(key);
    if (!queued) return;
    this.track(
      this.deps.manager.committer
        .commit(queued.bid, (job) => {
          const events = exceptionEvents(job.view, { type: 'alloc', note: `unsatisfiable request: ${reason}`, timestamp: this.deps.clock() });
          return events.length ? { events } : null;
        })
        .then(() => undefined, (err) => this.deps.log?.(`scheduler: refusing ${encodeFluid(queued.bid)}: ${(err as Error).message}`)),
    );
  }

  // ---- state from the table ----

  private enqueue(id: bigint, req: ResourceRequest, dur: number, priority: number, tsub: number, state: string): void {
    if (id > this.newestPending) this.newestPending = id;
    const key = hex16(id);
    if (state !== 'SCHED' || this.running.has(key)) return;
    this.queue.set(key, { id: key, bid: id, priority, t_submit: tsub, request: req, duration: dur });
  }

  private removeNode(node: NodeItem): void {
    const known = this.graph.node(node.rank);
    if (!known || known.hostname !== node.name) return;
    try {
      this.graph.removeNode(node.rank);
    } catch (err) {
      // Still holds an allocation (should not happen: the node is removed once nothing runs there): keep it down.
      this.graph.setNodeState(node.rank, 'down');
      this.deps.log?.(`scheduler: node ${node.name} removed while it holds resources: ${(err as Error).message}`);
    }
  }

  private applyNode(node: NodeItem): void {
    const inventory = { ...node.inventory, hostname: node.name };
    const known = this.graph.node(node.rank);
    // A node that came back with a different inventory is re-added, once nothing is allocated on it.
    if (known && !sameInventory(known, inventory) && known.freeCores === known.cores && known.freeGpus === known.gpus) this.graph.removeNode(node.rank);
    if (!this.graph.hasNode(node.rank)) this.graph.addNode(node.rank, inventory);
    this.graph.setNodeState(node.rank, nodeGraphState(node));
  }

  /** Restart is replay: the graph from the nodes, allocations from running jobs' R, the queue from pending jobs. */
  private async rebuild(): Promise<void> {
    // Node changes that arrive while we read go to the graph being replaced: remember them and apply them again.
    this.changedDuringRebuild = [];
    this.removedDuringRebuild = [];
    const [nodes, running, pending] = await Promise.all([
      this.deps.nodes.list(this.opts.iid),
      this.deps.jobs.queryActive(this.opts.iid, 'running'),
      this.deps.jobs.queryActive(this.opts.iid, 'pending'),
    ]);
    const fed = [...this.queue.values()];
    this.graph = new ResourceGraph();
    this.queue = new Map();
    this.running = new Map();
    for (const n of nodes) this.applyNode(n);
    for (const n of this.changedDuringRebuild) this.applyNode(n);
    for (const n of this.removedDuringRebuild) this.removeNode(n);
    this.changedDuringRebuild = undefined;
    this.removedDuringRebuild = undefined;
    this.adoptRunning(running);
    for (const p of pending) this.enqueue(p.id, p.req, p.dur, p.priority ?? 0, p.tsub, p.st);
    // Submissions that arrived while we read stay queued (a stale one fails its conditional commit harmlessly).
    for (const q of fed) if (!this.queue.has(q.id) && !this.running.has(q.id)) this.queue.set(q.id, q);
    this.built = true;
    this.queueReadAt = this.deps.clock();
    this.deps.log?.(`scheduler: rebuilt: ${nodes.length} node(s), ${this.running.size} running, ${this.queue.size} pending`);
  }

  /**
   * Re-applies the allocations of running jobs, oldest first (by R's starttime). Two allocations can overlap after a
   * crash: local mode frees a job's resources as soon as its nodes report exit, before its completion is durable, so
   * a later job may hold them durably while the earlier job still looks running. The later one is what runs there:
   * it evicts the earlier from the graph (that job's agent re-reports its exit, and its completion follows).
   */
  private adoptRunning(entries: readonly ActiveEntry[]): void {
    const sorted = entries.filter((r) => r.R).sort((a, b) => a.R!.execution.starttime - b.R!.execution.starttime);
    for (const r of sorted) {
      const key = hex16(r.id);
      if (this.running.has(key)) continue;
      const R = r.R!;
      for (const other of [...this.running.keys()]) {
        const held = this.graph.allocationOf(other);
        if (held && overlaps(held, R)) {
          this.graph.release(other);
          this.deps.log?.(`scheduler: ${encodeFluid(fromHex16(other))} yields its resources to the later allocation of ${encodeFluid(r.id)}`);
        }
      }
      try {
        this.graph.allocateExact(key, R);
        this.running.set(key, R.execution.expiration);
      } catch (err) {
        this.deps.log?.(`scheduler: cannot re-apply the allocation of ${encodeFluid(r.id)}: ${(err as Error).message}`);
      }
    }
  }

  /** Lambda: catch up with what other functions wrote since the last pass (nodes, completions, submissions). */
  private async reconcile(): Promise<void> {
    // The queue is not re-read whole on every pass (4,000 pending jobs cost ~0.5 s on DynamoDB Local): only jobs newer
    // than the newest seen, less a margin for ids of other containers' generators and for index lag, and the whole
    // queue once a minute (urgency changes, jobs cancelled while pending).
    const now = this.deps.clock();
    const whole = now - this.queueReadAt >= FULL_QUEUE_READ_SECONDS || this.newestPending === 0n;
    const after = whole ? undefined : this.newestPending > QUEUE_READ_MARGIN ? this.newestPending - QUEUE_READ_MARGIN : 0n;
    const [nodes, running, pending] = await Promise.all([
      this.deps.nodes.list(this.opts.iid),
      this.deps.jobs.queryActive(this.opts.iid, 'running'),
      this.deps.jobs.queryActive(this.opts.iid, 'pending', after),
    ]);
    for (const n of nodes) this.applyNode(n);
    // The index is eventually consistent: a job missing from it is released only once a consistent read of the
    // job itself confirms it is inactive (else a lagging index could free cores a job still uses).
    const listed = new Set(running.map((r) => hex16(r.id)));
    const missing = [...this.running.keys()].filter((k) => !listed.has(k) && !this.committing.has(k));
    if (missing.length) {
      for (const item of await this.deps.jobs.getMany(missing.map(fromHex16), ['st'], true)) {
        const key = hex16(item.id);
        if (item.st !== 'INACTIVE') continue;
        if (this.graph.allocationOf(key)) this.graph.release(key);
        this.running.delete(key);
      }
    }
    this.adoptRunning(running);
    if (whole) {
      const stillPending = new Set(pending.map((p) => hex16(p.id)));
      for (const key of [...this.queue.keys()]) if (!stillPending.has(key)) this.queue.delete(key);
      this.queueReadAt = now;
    }
    for (const p of pending) this.enqueue(p.id, p.req, p.dur, p.priority ?? 0, p.tsub, p.st);
  }
}

export type { NodeInventory };

/** One node of a scheduler snapshot. */
export interface SnapshotNode {
  rank: number;
  hostname: string;
  state: 'up' | 'down' | 'drained';
  cores: number;
  freeCores: number;
  gpus: number;
  freeGpus: number;
  memoryMB: number;
  /** Jobs holding resources on it. */
  jobs: number;
  /** Latest time limit (seconds since the epoch) of its jobs; absent when it runs none or one has no limit. */
  busyUntil?: number;
}

/** What `Scheduler.snapshot()` returns. */
export interface SchedulerSnapshot {
  /** False until the first pass has rebuilt the queue and graph from the table. */
  built: boolean;
  pending: Array<{ id: bigint; request: ResourceRequest; duration: number; priority: number; t_submit: number }>;
  nodes: SnapshotNode[];
}

/** Do two allocations share a core or a GPU? */
function overlaps(a: Rv1, b: Rv1): boolean {
  const sa = rankShares(a);
  for (const [rank, share] of rankShares(b)) {
    const other = sa.get(rank);
    if (!other) continue;
    const cores = new Set(other.cores);
    const gpus = new Set(other.gpus);
    if (share.cores.some((c) => cores.has(c)) || share.gpus.some((g) => gpus.has(g))) return true;
  }
  return false;
}

function sameInventory(a: { cores: number; gpus: number; memoryMB: number; sockets: number; properties: string[]; zone: string; group: string }, b: NodeInventory): boolean {
  return (
    a.cores === b.cores &&
    a.gpus === b.gpus &&
    a.memoryMB === b.memoryMB &&
    a.sockets === (b.sockets ?? 1) &&
    a.zone === (b.zone ?? 'default') &&
    a.group === (b.group ?? 'default') &&
    a.properties.join('\u0000') === [...b.properties].sort().join('\u0000')
  );
}

// cluster.ts - the simulated cluster: the real ResourceGraph and queue policy from control/core, the nodes with their
// pools and instances, and the jobs pending and running. Invariants: a node's running set is exactly the jobs whose
// R names it; removing a node first finds the jobs still on it from R (not from bookkeeping), so a kill is detected.
import { schedulePass } from '../../control/core/queue/index.ts';
import type { PendingJob as QueueJob, QueuePolicy } from '../../control/core/queue/index.ts';
import { ResourceGraph } from '../../control/core/resource/graph.ts';
import { rankShares } from '../../control/core/resource/rv1.ts';
import type { MatchPolicy, NodeInventory, Rv1 } from '../../control/core/resource/types.ts';
import type { CapacityType } from '../catalog.ts';
import type { PendingJob, PolicyNode } from '../policy/types.ts';
import type { SimJob } from './workload.ts';

export interface SimNode {
  name: string;
  rank: number;
  pool: string;
  state: 'up' | 'drained' | 'down';
  inventory: NodeInventory;
  cloud: boolean;
  instanceId?: string;
  instanceType?: string;
  capacityType?: CapacityType;
  launchedAt?: number;
  drainedBy?: 'elastic' | 'admin';
  idleSince?: number;
  running: Set<string>;
}

export interface RunningJob {
  job: SimJob;
  start: number;
  /** Ends the run; bumped on requeue so a stale finish event is ignored. */
  run: number;
  R: Rv1;
  /** Cores per node name, from R's ranks. */
  cores: Map<string, number>;
}

/** The cluster state the simulator drives. */
export class SimCluster {
  readonly graph = new ResourceGraph();
  readonly nodes = new Map<string, SimNode>();
  readonly pending = new Map<string, SimJob>();
  readonly running = new Map<string, RunningJob>();
  private readonly byRank = new Map<number, SimNode>();
  private nextRank = 0;
  private runs = 0;

  constructor(private readonly queue: QueuePolicy, private readonly match: MatchPolicy) {}

  addNode(n: Omit<SimNode, 'rank' | 'running' | 'state'>, now: number): SimNode {
    const node: SimNode = { ...n, rank: this.nextRank++, state: 'up', running: new Set(), idleSince: now };
    this.graph.addNode(node.rank, node.inventory);
    this.nodes.set(node.name, node);
    this.byRank.set(node.rank, node);
    return node;
  }

  setState(node: SimNode, state: SimNode['state']): void {
    node.state = state;
    this.graph.setNodeState(node.rank, state);
  }

  /** The jobs whose R holds resources on `node`, found from the graph's allocations. */
  jobsOn(node: SimNode): string[] {
    return this.graph.jobs().filter((id) => {
      const R = this.graph.allocationOf(id);
      return R !== undefined && rankShares(R).has(node.rank);
    });
  }

  /** Take a job off the graph and its nodes; returns it (or undefined if it was not running). */
  stop(jobId: string, now: number): RunningJob | undefined {
    const r = this.running.get(jobId);
    if (!r) return undefined;
    this.graph.release(jobId);
    this.running.delete(jobId);
    for (const name of r.cores.keys()) {
      const node = this.nodes.get(name);
      if (!node) continue;
      node.running.delete(jobId);
      if (node.running.size === 0) node.idleSince = now;
    }
    return r;
  }

  /** Remove a node from the graph: it must hold nothing (stop its jobs first). */
  removeNode(node: SimNode): void {
    this.graph.removeNode(node.rank);
    this.nodes.delete(node.name);
    this.byRank.delete(node.rank);
  }

  /** Run one scheduling pass; returns the jobs started, with their finish times and run numbers. */
  schedule(now: number): Array<{ id: string; finishAt: number; run: number }> {
    if (this.pending.size === 0) return [];
    const pending: QueueJob[] = [...this.pending.values()].map((j) => ({ id: j.id, priority: j.priority ?? 16, t_submit: j.submitAt, request: j.request, duration: j.limit }));
    const running = [...this.running.values()].map((r) => ({ id: r.job.id, expiration: r.R.execution.expiration }));
    const d = schedulePass(this.graph, pending, running, { queue: this.queue, match: this.match, now });
    const started: Array<{ id: string; finishAt: number; run: number }> = [];
    for (const { id, R } of d.alloc) {
      const job = this.pending.get(id)!;
      this.pending.delete(id);
      const cores = new Map<string, number>();
      for (const [rank, share] of rankShares(R)) cores.set(this.byRank.get(rank)!.name, share.cores.length);
      const run = ++this.runs;
      this.running.set(id, { job, start: now, run, R, cores });
      for (const name of cores.keys()) {
        const node = this.nodes.get(name)!;
        node.running.add(id);
        delete node.idleSince;
      }
      started.push({ id, finishAt: now + job.runtime, run });
    }
    return started;
  }

  /** The policy's view of the pending jobs. */
  pendingForPolicy(): PendingJob[] {
    return [...this.pending.values()].map((j) => ({ id: j.id, request: j.request, duration: j.limit, waitingSince: j.submitAt, priority: j.priority ?? 16 }));
  }

  /** The policy's view of the nodes (free resources from the graph). */
  nodesForPolicy(): PolicyNode[] {
    return [...this.nodes.values()].map((n) => {
      const info = this.graph.node(n.rank)!;
      let busyUntil: number | undefined = 0;
      for (const id of n.running) {
        const exp = this.running.get(id)!.R.execution.expiration;
        busyUntil = exp === 0 || busyUntil === undefined ? undefined : Math.max(busyUntil, exp);
      }
      const p: PolicyNode = {
        name: n.name,
        pool: n.pool,
        state: n.state,
        inventory: n.inventory,
        rank: n.rank,
        runningJobs: n.running.size,
        // The graph does not track memory: assume it is used in proportion to cores.
        free: { cores: info.freeCores, gpus: info.freeGpus, memoryMB: Math.floor((n.inventory.memoryMB * info.freeCores) / info.cores) },
      };
      if (n.running.size > 0 && busyUntil !== undefined) p.busyUntil = busyUntil;
      if (n.idleSince !== undefined && n.running.size === 0) p.idleSince = n.idleSince;
      if (n.instanceId) p.instanceId = n.instanceId;
      if (n.instanceType) p.instanceType = n.instanceType;
      if (n.capacityType) p.capacityType = n.capacityType;
      if (n.launchedAt !== undefined) p.launchedAt = n.launchedAt;
      if (n.drainedBy) p.drainedBy = n.drainedBy;
      return p;
    });
  }
}

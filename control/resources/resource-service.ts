// resource-service.ts - `flurry resource list|drain|undrain`: what the instance has, what is free, allocated,
// down or drained. Local mode answers from the scheduler's live graph; elsewhere the graph is rebuilt from the
// table (nodes and running jobs' R) for the answer.
import { ForbiddenError, InvalidInputError, NotFoundError } from '../core/errors.ts';
import { expandHostlist } from '../core/hostlist.ts';
import { ResourceGraph } from '../core/resource/graph.ts';
import { rankList } from '../core/resource/rv1.ts';
import type { Scheduler } from '../scheduler/scheduler.ts';
import { nodeGraphState } from '../scheduler/node-state.ts';
import type { Caller, NodeListing, ResourceListing, ResourceService } from '../services.ts';
import type { JobTable } from '../store/jobs.ts';
import type { NodeItem, NodeTable } from '../store/nodes.ts';

export interface ResourceServiceDeps {
  iid: string;
  nodes: NodeTable;
  jobs: JobTable;
  /** The live scheduler (local mode), or undefined to rebuild from the table. */
  scheduler?: Scheduler;
  /** Seconds since the epoch. */
  clock: () => number;
  nodeChanged: (node: NodeItem) => void;
}

export class Resources implements ResourceService {
  constructor(private readonly deps: ResourceServiceDeps) {}

  async list(_caller: Caller): Promise<ResourceListing> {
    const items = await this.deps.nodes.list(this.deps.iid);
    let graph: ResourceGraph;
    let perRank: Map<number, number>;
    if (this.deps.scheduler) {
      graph = this.deps.scheduler.resources;
      perRank = this.deps.scheduler.jobsPerRank();
    } else {
      graph = new ResourceGraph();
      perRank = new Map();
      for (const n of items) {
        graph.addNode(n.rank, { ...n.inventory, hostname: n.name });
        graph.setNodeState(n.rank, nodeGraphState(n));
      }
      for (const r of await this.deps.jobs.queryActive(this.deps.iid, 'running')) {
        if (!r.R) continue;
        try {
          graph.allocateExact(String(r.id), r.R);
          for (const rank of rankList(r.R)) perRank.set(rank, (perRank.get(rank) ?? 0) + 1);
        } catch {
          // an allocation on a node that left: nothing to show for it
        }
      }
    }
    const byName = new Map(items.map((n) => [n.name, n]));
    const s = graph.summary();
    const counts = (c: { nodes: number; cores: number; gpus: number; nodelist: string }) => ({ nnodes: c.nodes, ncores: c.cores, ngpus: c.gpus, nodelist: c.nodelist });
    const nodes: NodeListing[] = graph.nodes().map((n) => {
      const item = byName.get(n.hostname);
      const listing: NodeListing = {
        name: n.hostname,
        rank: n.rank,
        state: n.state,
        cores: n.cores,
        coresFree: n.freeCores,
        gpus: n.gpus,
        gpusFree: n.freeGpus,
        memoryMB: n.memoryMB,
        properties: n.properties,
        jobs: perRank.get(n.rank) ?? 0,
      };
      if (item?.drained) listing.drainReason = item.drained.reason;
      if (item?.pool) listing.pool = item.pool;
      return listing;
    });
    return { nodes, free: counts(s.free), allocated: counts(s.allocated), down: counts(s.down), drained: counts(s.drained) };
  }

  async drain(caller: Caller, targets: string, reason: string): Promise<{ nodes: string[] }> {
    const nodes = await this.targets(caller, targets);
    const at = this.deps.clock();
    for (const n of nodes) await this.change(n, { drained: { reason: reason || 'drained by ' + caller.user, at } });
    return { nodes: nodes.map((n) => n.name) };
  }

  async undrain(caller: Caller, targets: string): Promise<{ nodes: string[] }> {
    const nodes = await this.targets(caller, targets);
    for (const n of nodes) await this.change(n, { drained: null });
    return { nodes: nodes.map((n) => n.name) };
  }

  private async change(node: NodeItem, changes: Partial<Record<keyof NodeItem, unknown>>): Promise<void> {
    await this.deps.nodes.update(this.deps.iid, node.name, changes);
    const fresh = await this.deps.nodes.get(this.deps.iid, node.name);
    if (fresh) this.deps.nodeChanged(fresh);
  }

  private async targets(caller: Caller, targets: string): Promise<NodeItem[]> {
    if (caller.role !== 'owner') throw new ForbiddenError('only the instance owner may drain or undrain nodes');
    const names = expandHostlist(targets);
    if (!names.length) throw new InvalidInputError('must name at least one node', 'targets');
    const all = new Map((await this.deps.nodes.list(this.deps.iid)).map((n) => [n.name, n]));
    const unknown = names.filter((n) => !all.has(n));
    if (unknown.length) throw new NotFoundError(`unknown node(s): ${unknown.join(', ')}`);
    return names.map((n) => all.get(n)!);
  }
}

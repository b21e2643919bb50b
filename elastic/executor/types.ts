// types.ts - what the elastic executor reads and acts through: the node table (a subset of control/store/nodes.ts),
// a view of the cluster (pending jobs and node usage: from the live scheduler in local mode, from the table on
// Lambda), and the providers of each pool. Invariants: interfaces only; the executor never reaches around them, so a
// test can give it memory doubles and the FakeProvider.
import type { ResourceRequest } from '../../control/core/resource/types.ts';
import type { NodeItem } from '../../control/store/nodes.ts';
import type { CloudProvider } from '../provider.ts';

/** The node table as the executor uses it (NodeTable fits). */
export interface NodeAccess {
  list(iid: string): Promise<NodeItem[]>;
  get(iid: string, name: string): Promise<NodeItem | undefined>;
  /** `null` removes an attribute; false when the node does not exist (any more). */
  update(iid: string, name: string, changes: Partial<Record<keyof NodeItem, unknown>>): Promise<boolean>;
  remove(iid: string, name: string): Promise<void>;
}

/** A job waiting for resources, as the view reports it. */
export interface ViewJob {
  /** f58 id. */
  id: string;
  request: ResourceRequest;
  duration: number;
  priority: number;
  /** When it was submitted (seconds): how long it has waited. */
  waitingSince: number;
}

/** What runs on one node. */
export interface NodeUsage {
  jobs: number;
  freeCores?: number;
  freeGpus?: number;
  /** Latest end of its jobs' time limits; absent with jobs = one has no limit. */
  busyUntil?: number;
}

/** The cluster as the policy needs it, beyond the node table. */
export interface ClusterView {
  pending: ViewJob[];
  /** By node name; a node absent here runs nothing. */
  usage: Map<string, NodeUsage>;
}

/** Where the view comes from. Called at the start of a pass and again right before terminations (act-time check). */
export interface ClusterSource {
  view(): Promise<ClusterView>;
}

/** The provider of each cloud pool, by pool name. Pools without one are skipped (noted). */
export type ProviderSet = ReadonlyMap<string, CloudProvider>;

/** Drained by the elastic loop (scale-in), as recorded on the node item's `drained` map. */
export interface ElasticDrain {
  reason: string;
  at: number;
  by?: 'elastic';
}

/** Who drained a node: `elastic` for scale-in, `admin` for anyone else; undefined when not drained. */
export function drainedBy(node: Pick<NodeItem, 'drained'>): 'elastic' | 'admin' | undefined {
  if (!node.drained) return undefined;
  return (node.drained as ElasticDrain).by === 'elastic' ? 'elastic' : 'admin';
}

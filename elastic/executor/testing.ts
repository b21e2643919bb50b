// testing.ts - doubles for the executor's tests: a node table in memory, a cluster view the test sets (and can make
// answer differently on its next call), and a builder for node items. Invariant: test support only.
import type { NodeItem } from '../../control/store/nodes.ts';
import type { ClusterSource, ClusterView, NodeAccess, NodeUsage, ViewJob } from './types.ts';

/** The node table in memory (values copied in and out). */
export class MemoryNodes implements NodeAccess {
  readonly items = new Map<string, NodeItem>();

  async list(): Promise<NodeItem[]> {
    return [...this.items.values()].map((n) => structuredClone(n));
  }

  async get(_iid: string, name: string): Promise<NodeItem | undefined> {
    const n = this.items.get(name);
    return n && structuredClone(n);
  }

  async update(_iid: string, name: string, changes: Partial<Record<keyof NodeItem, unknown>>): Promise<boolean> {
    const n = this.items.get(name);
    if (!n) return false;
    const next = { ...n } as Record<string, unknown>;
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) delete next[k];
      else if (v !== undefined) next[k] = structuredClone(v);
    }
    this.items.set(name, next as unknown as NodeItem);
    return true;
  }

  async remove(_iid: string, name: string): Promise<void> {
    this.items.delete(name);
  }

  /** Add (or replace) a node that joined at `at`. */
  join(name: string, over: Partial<NodeItem> = {}, at = 0): NodeItem {
    const item: NodeItem = {
      iid: 'i1',
      name,
      rank: this.items.get(name)?.rank ?? this.items.size,
      inventory: { hostname: name, cores: 4, gpus: 0, memoryMB: 16384, properties: [] },
      online: true,
      hb: at,
      joinedAt: at,
      ...over,
    };
    this.items.set(name, item);
    return item;
  }
}

/** A cluster view the test controls; `next` answers the following view() calls once each, before `current`. */
export class FakeSource implements ClusterSource {
  pending: ViewJob[] = [];
  usage = new Map<string, NodeUsage>();
  readonly next: ClusterView[] = [];
  calls = 0;

  async view(): Promise<ClusterView> {
    this.calls++;
    const v = this.next.shift();
    if (v) return v;
    return { pending: this.pending.map((j) => ({ ...j })), usage: new Map(this.usage) };
  }
}

/** A pending job of `cores` cores on one node, waiting since `since`. */
export function pendingJob(id: string, cores: number, since = 0): ViewJob {
  return { id, request: { nodes: 1, slots: 1, coresPerSlot: cores, gpusPerSlot: 0, exclusive: false }, duration: 0, priority: 16, waitingSince: since };
}

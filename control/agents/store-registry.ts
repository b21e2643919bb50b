// store-registry.ts - the connection registry of stateless hosts (Lambda): connection → node is the table's
// connection item (NodeTable.putConnection), node → connection is the node item's `conn`, and "last heard from" is
// the node item's `hb`, which the reaper (control/agents/liveness.ts) reads.
// Invariants: a connection resolves to a node only while it is that node's current connection (a superseded one
// resolves to nothing); `hb` is written at most once per `touchEverySeconds` per node per process, and
// touchEverySeconds + heartbeatSeconds < MISSED_HEARTBEATS × heartbeatSeconds, so a node that heartbeats is never
// older than the reaper's limit even when every touch in between was skipped (docs/deploy.md, "Heartbeats").
import type { NodeTable } from '../store/nodes.ts';
import { MISSED_HEARTBEATS } from './liveness.ts';
import type { BoundNode, ConnectionRegistry } from './transport.ts';

export interface StoreRegistryOptions {
  iid: string;
  heartbeatSeconds: number;
  /** Minimum seconds between two `hb` writes for one node from this process (default: heartbeatSeconds). */
  touchEverySeconds?: number;
}

export class StoreRegistry implements ConnectionRegistry {
  private readonly touched = new Map<string, number>();
  private readonly touchEvery: number;

  constructor(
    private readonly nodes: NodeTable,
    private readonly options: StoreRegistryOptions,
  ) {
    this.touchEvery = options.touchEverySeconds ?? options.heartbeatSeconds;
    // Worst case between two hb writes: a skipped touch just before the limit, then one heartbeat interval.
    if (this.touchEvery + options.heartbeatSeconds >= MISSED_HEARTBEATS * options.heartbeatSeconds) {
      throw new Error(
        `store registry: touching every ${this.touchEvery} s with ${options.heartbeatSeconds} s heartbeats could let the reaper ` +
          `(${MISSED_HEARTBEATS} missed heartbeats) drop live nodes; touch at least every ${(MISSED_HEARTBEATS - 1) * options.heartbeatSeconds - 1} s`,
      );
    }
  }

  /** Records the connection's node (the handler has written the node item with `conn` just before). */
  async bind(conn: string, node: BoundNode, now: number): Promise<void> {
    await this.nodes.putConnection(conn, this.options.iid, node.name, now);
    this.touched.set(node.name, now);
  }

  async lookup(conn: string): Promise<BoundNode | undefined> {
    const record = await this.nodes.getConnection(conn);
    if (!record || record.iid !== this.options.iid) return undefined;
    const item = await this.nodes.get(this.options.iid, record.node);
    if (!item || item.conn !== conn) return undefined;
    return { name: item.name, rank: item.rank };
  }

  async connOf(name: string): Promise<string | undefined> {
    const item = await this.nodes.get(this.options.iid, name);
    return item?.online ? item.conn : undefined;
  }

  async unbind(conn: string): Promise<BoundNode | undefined> {
    const record = await this.nodes.getConnection(conn);
    if (!record) return undefined;
    await this.nodes.deleteConnection(conn);
    if (record.iid !== this.options.iid) return undefined;
    const item = await this.nodes.get(this.options.iid, record.node);
    if (!item || item.conn !== conn) return undefined;
    this.touched.delete(item.name);
    return { name: item.name, rank: item.rank };
  }

  async touch(node: BoundNode, now: number): Promise<void> {
    const last = this.touched.get(node.name);
    if (last !== undefined && now - last < this.touchEvery) return;
    this.touched.set(node.name, now);
    try {
      await this.nodes.update(this.options.iid, node.name, { hb: now });
    } catch (err) {
      this.touched.delete(node.name);
      throw err;
    }
  }
}

// memory-registry.ts - the connection registry of a long-lived control plane (local mode): plain maps.
// Heartbeats stay in memory (the node table is written on connect, disconnect and state changes only).
import type { BoundNode, ConnectionRegistry } from './transport.ts';

export class MemoryRegistry implements ConnectionRegistry {
  private readonly byConn = new Map<string, BoundNode>();
  private readonly connByName = new Map<string, string>();
  private readonly seen = new Map<string, number>();

  async bind(conn: string, node: BoundNode, now: number): Promise<void> {
    this.byConn.set(conn, node);
    this.connByName.set(node.name, conn);
    this.seen.set(node.name, now);
  }

  async lookup(conn: string): Promise<BoundNode | undefined> {
    return this.byConn.get(conn);
  }

  async connOf(name: string): Promise<string | undefined> {
    return this.connByName.get(name);
  }

  async unbind(conn: string): Promise<BoundNode | undefined> {
    const node = this.byConn.get(conn);
    this.byConn.delete(conn);
    if (!node || this.connByName.get(node.name) !== conn) return undefined;
    this.connByName.delete(node.name);
    return node;
  }

  async touch(node: BoundNode, now: number): Promise<void> {
    this.seen.set(node.name, now);
  }

  /** When a node was last heard from (local liveness). */
  lastSeen(name: string): number | undefined {
    return this.seen.get(name);
  }
}

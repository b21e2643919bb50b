// transport.ts - how the control plane reaches agents: one interface, two adapters (a `ws` server locally, the API
// Gateway Management API on AWS), and where it remembers which connection belongs to which node.

export interface AgentTransport {
  /** Sends frames on a connection; resolves false if the connection is gone (the agent will reconnect). */
  send(conn: string, frames: string[]): Promise<boolean>;
  /** Closes a connection with a protocol close code (docs/agent-protocol.md 1.3) and a reason. */
  close(conn: string, code: number, reason: string): Promise<void>;
}

export interface BoundNode {
  name: string;
  rank: number;
}

/** Connection ↔ node, and when each node was last heard from. */
export interface ConnectionRegistry {
  bind(conn: string, node: BoundNode, now: number): Promise<void>;
  lookup(conn: string): Promise<BoundNode | undefined>;
  connOf(name: string): Promise<string | undefined>;
  /** Forgets a connection; returns its node if it was still that node's current connection. */
  unbind(conn: string): Promise<BoundNode | undefined>;
  /** The node sent something (a heartbeat or any message). */
  touch(node: BoundNode, now: number): Promise<void>;
}

// nodes.ts - node items (one per node of an instance, under the instance's partition) and the connection map
// that lets a stateless WebSocket handler find the node behind a connection id.
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NodeInventory } from '../core/resource/types.ts';
import type { StoreContext } from './context.ts';
import { instancePk, nodeSk } from './keys.ts';

export interface NodeItem {
  iid: string;
  name: string;
  /** Stable across reconnects: the node's id in R (RFC 20 ranks). */
  rank: number;
  inventory: NodeInventory;
  /** Connected and heartbeating. */
  online: boolean;
  drained?: { reason: string; at: number };
  /** The current connection id (local: a counter; AWS: API Gateway's connectionId). */
  conn?: string;
  /** Last time we heard from it, seconds since the epoch (persisted coarsely). */
  hb: number;
  joinedAt: number;
  /** Since when it has been offline. */
  downSince?: number;
  pool?: string;
  instanceId?: string;
  /** The agent's signing-key check and protocol version, for `resource list -v`. */
  agentVersion?: string;
}

export class NodeTable {
  constructor(private readonly ctx: StoreContext) {}

  /** The next unused rank of the instance (atomic counter on the instance's META item). */
  async allocateRank(iid: string): Promise<number> {
    const out = await this.ctx.doc.send(
      new UpdateCommand({
        TableName: this.ctx.table,
        Key: { pk: instancePk(iid), sk: 'META' },
        UpdateExpression: 'ADD nextRank :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.nextRank) - 1;
  }

  /**
   * Registers nodes expected to join (local agents, a known on-prem inventory) before they do, with ranks in the order
   * given, so ranks are predictable (node0 is rank 0) and jobs can wait for nodes that are still starting. Nodes
   * already registered keep their rank; the new ones start offline.
   */
  async preregister(iid: string, nodes: ReadonlyArray<{ name: string; inventory: NodeInventory }>, now: number): Promise<void> {
    for (const n of nodes) {
      if (await this.get(iid, n.name)) continue;
      const rank = await this.allocateRank(iid);
      try {
        await this.ctx.doc.send(
          new PutCommand({
            TableName: this.ctx.table,
            Item: { pk: instancePk(iid), sk: nodeSk(n.name), iid, name: n.name, rank, inventory: n.inventory, online: false, hb: 0, joinedAt: now },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (err) {
        if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      }
    }
  }

  async get(iid: string, name: string): Promise<NodeItem | undefined> {
    const out = await this.ctx.doc.send(
      new GetCommand({ TableName: this.ctx.table, Key: { pk: instancePk(iid), sk: nodeSk(name) }, ConsistentRead: true }),
    );
    return out.Item ? (strip(out.Item) as unknown as NodeItem) : undefined;
  }

  async put(node: NodeItem): Promise<void> {
    await this.ctx.doc.send(new PutCommand({ TableName: this.ctx.table, Item: { pk: instancePk(node.iid), sk: nodeSk(node.name), ...node } }));
  }

  /** Every node of the instance (one Query over the instance partition's NODE# items). */
  async list(iid: string): Promise<NodeItem[]> {
    const nodes: NodeItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.ctx.doc.send(
        new QueryCommand({
          TableName: this.ctx.table,
          KeyConditionExpression: 'pk = :p AND begins_with(sk, :n)',
          ExpressionAttributeValues: { ':p': instancePk(iid), ':n': 'NODE#' },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) nodes.push(strip(item) as unknown as NodeItem);
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return nodes;
  }

  /**
   * Sets (or with `null`, removes) some attributes of a node. With `ifConn`, only if the node's connection is still
   * that one (so a late event from an old connection cannot undo a newer one); returns false when that fails.
   */
  async update(iid: string, name: string, changes: Partial<Record<keyof NodeItem, unknown>>, ifConn?: string): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    const removes: string[] = [];
    Object.entries(changes).forEach(([attr, value], k) => {
      names[`#a${k}`] = attr;
      if (value === null) removes.push(`#a${k}`);
      else if (value !== undefined) {
        values[`:v${k}`] = value;
        sets.push(`#a${k} = :v${k}`);
      }
    });
    let condition = 'attribute_exists(pk)';
    if (ifConn !== undefined) {
      names['#conn'] = 'conn';
      values[':conn'] = ifConn;
      condition += ' AND #conn = :conn';
    }
    const expr = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].filter(Boolean).join(' ');
    if (!expr) return true;
    try {
      await this.ctx.doc.send(
        new UpdateCommand({
          TableName: this.ctx.table,
          Key: { pk: instancePk(iid), sk: nodeSk(name) },
          UpdateExpression: expr,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: Object.keys(values).length ? values : undefined,
        }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  async remove(iid: string, name: string): Promise<void> {
    await this.ctx.doc.send(new DeleteCommand({ TableName: this.ctx.table, Key: { pk: instancePk(iid), sk: nodeSk(name) } }));
  }

  /** Connection id → node, for handlers that only get a connection id (API Gateway WebSocket events). */
  async putConnection(conn: string, iid: string, node: string, now: number): Promise<void> {
    await this.ctx.doc.send(
      new PutCommand({ TableName: this.ctx.table, Item: { pk: `C#${conn}`, sk: 'C', iid, node, at: now, expiresAt: now + 3 * 3600 } }),
    );
  }

  async getConnection(conn: string): Promise<{ iid: string; node: string } | undefined> {
    const out = await this.ctx.doc.send(new GetCommand({ TableName: this.ctx.table, Key: { pk: `C#${conn}`, sk: 'C' }, ConsistentRead: true }));
    return out.Item ? { iid: String(out.Item.iid), node: String(out.Item.node) } : undefined;
  }

  async deleteConnection(conn: string): Promise<void> {
    await this.ctx.doc.send(new DeleteCommand({ TableName: this.ctx.table, Key: { pk: `C#${conn}`, sk: 'C' } }));
  }
}

function strip(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest;
}

// kvs.ts - the KVS in DynamoDB (layout in control/kvs/items.ts): namespaces, the commit log, materialized keys and
// the materialized-up-to head. Invariants: a log entry is written once, with a condition that its version is new
// (two writers racing for a version: exactly one wins); a key item is only overwritten by a newer version; the
// head only moves forward; every read that decides something is strongly consistent.
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { fromKeyItem, fromLogItem, HEAD_SK, keyItem, keySk, logItem, logSk, namespaceSk, type Item } from '../kvs/items.ts';
import type { Entry, LogEntry } from '../kvs/types.ts';
import type { StoreContext } from './context.ts';
import { instancePk } from './keys.ts';
import { backoff, chunk } from './retry.ts';

/** A namespace's record. `gen` names the partition of this incarnation. */
export interface NamespaceRecord {
  name: string;
  owner: string;
  gen: string;
  created: number;
}

/** A materialized key; `entry` undefined is a tombstone (removed by `version`). */
export interface KeyRecord {
  key: string;
  entry: Entry | undefined;
  version: number;
}

const isConditionFailure = (err: unknown) => (err as Error).name === 'ConditionalCheckFailedException';

export class KvsTable {
  constructor(private readonly ctx: StoreContext) {}

  async getNamespace(iid: string, name: string): Promise<NamespaceRecord | undefined> {
    const out = await this.ctx.doc.send(new GetCommand({ TableName: this.ctx.table, Key: { pk: instancePk(iid), sk: namespaceSk(name) }, ConsistentRead: true }));
    return out.Item ? toNamespace(out.Item) : undefined;
  }

  /** Creates the namespace record; false if one of that name exists. */
  async createNamespace(iid: string, rec: NamespaceRecord): Promise<boolean> {
    try {
      await this.ctx.doc.send(
        new PutCommand({
          TableName: this.ctx.table,
          Item: { pk: instancePk(iid), sk: namespaceSk(rec.name), owner: rec.owner, gen: rec.gen, created: rec.created },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** Deletes the namespace record; the removed record, or undefined if there was none. */
  async deleteNamespace(iid: string, name: string): Promise<NamespaceRecord | undefined> {
    const out = await this.ctx.doc.send(new DeleteCommand({ TableName: this.ctx.table, Key: { pk: instancePk(iid), sk: namespaceSk(name) }, ReturnValues: 'ALL_OLD' }));
    return out.Attributes ? toNamespace(out.Attributes) : undefined;
  }

  async listNamespaces(iid: string): Promise<NamespaceRecord[]> {
    const items = await this.queryAll({ pk: instancePk(iid), prefix: 'KNS#' });
    return items.map(toNamespace);
  }

  /** The materialized-up-to version (0 when nothing was materialized). */
  async head(pk: string): Promise<number> {
    const out = await this.ctx.doc.send(new GetCommand({ TableName: this.ctx.table, Key: { pk, sk: HEAD_SK }, ConsistentRead: true }));
    return out.Item ? Number(out.Item.h) : 0;
  }

  /** Moves the head to `version` unless it is there or beyond already. */
  async advanceHead(pk: string, version: number): Promise<void> {
    try {
      await this.ctx.doc.send(
        new UpdateCommand({
          TableName: this.ctx.table,
          Key: { pk, sk: HEAD_SK },
          UpdateExpression: 'SET h = :v',
          ConditionExpression: 'attribute_not_exists(h) OR h < :v',
          ExpressionAttributeValues: { ':v': version },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  /** Log entries with versions above `after`, in order (at most `limit`, default all). */
  async log(pk: string, after: number, limit?: number): Promise<LogEntry[]> {
    const items = await this.queryAll({ pk, from: logSk(after + 1), to: 'V#~', limit });
    return items.map(fromLogItem);
  }

  /** The highest logged version (0 when nothing was committed). */
  async latest(pk: string): Promise<number> {
    const out = await this.ctx.doc.send(
      new QueryCommand({
        TableName: this.ctx.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': pk, ':p': 'V#' },
        ProjectionExpression: 'v',
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    return out.Items?.[0] ? Number(out.Items[0].v) : 0;
  }

  /** Writes a commit-log entry; false when its version was taken by another commit. */
  async appendLog(pk: string, entry: LogEntry): Promise<boolean> {
    try {
      await this.ctx.doc.send(new PutCommand({ TableName: this.ctx.table, Item: logItem(pk, entry), ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** Materialized keys (tombstones included), by key; missing keys are absent from the map. */
  async getKeys(pk: string, keys: readonly string[]): Promise<Map<string, KeyRecord>> {
    const found = new Map<string, KeyRecord>();
    for (const batch of chunk([...new Set(keys)], 100)) {
      let pending: Array<Record<string, string>> = batch.map((k) => ({ pk, sk: keySk(k) }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await backoff(attempt);
        const out = await this.ctx.doc.send(new BatchGetCommand({ RequestItems: { [this.ctx.table]: { Keys: pending, ConsistentRead: true } } }));
        for (const item of out.Responses?.[this.ctx.table] ?? []) {
          const rec = fromKeyItem(item);
          found.set(rec.key, rec);
        }
        pending = (out.UnprocessedKeys?.[this.ctx.table]?.Keys ?? []) as typeof pending;
        if (attempt > 12 && pending.length) throw new Error(`reading KVS keys: ${pending.length} stayed unprocessed`);
      }
    }
    return found;
  }

  /** Materialized keys strictly below `dir` ("." for all), tombstones included, in key order. */
  async below(pk: string, dir: string): Promise<KeyRecord[]> {
    const items = await this.queryAll({ pk, prefix: dir === '.' ? 'D#' : `${keySk(dir)}.` });
    return items.map(fromKeyItem);
  }

  /** Writes a key (undefined: a tombstone) unless a version as new or newer already did; false if it had. */
  async writeKey(pk: string, key: string, entry: Entry | undefined, version: number, now: number): Promise<boolean> {
    try {
      await this.ctx.doc.send(
        new PutCommand({
          TableName: this.ctx.table,
          Item: keyItem(pk, key, entry, version, now),
          ConditionExpression: 'attribute_not_exists(pk) OR v < :v',
          ExpressionAttributeValues: { ':v': version },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** Writes a key only if it is still as read (written by `expected`; undefined: no item); false otherwise. */
  async replaceKey(pk: string, key: string, entry: Entry, version: number, expected: number | undefined, now: number): Promise<boolean> {
    try {
      await this.ctx.doc.send(
        new PutCommand({
          TableName: this.ctx.table,
          Item: keyItem(pk, key, entry, version, now),
          ...(expected === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: 'v = :e', ExpressionAttributeValues: { ':e': expected } }),
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** Deletes every item of a partition (a removed namespace's); returns how many. */
  async deletePartition(pk: string): Promise<number> {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.ctx.doc.send(
        new QueryCommand({ TableName: this.ctx.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ProjectionExpression: 'pk, sk', ExclusiveStartKey: start }),
      );
      for (const batch of chunk(out.Items ?? [], 25)) {
        let pending = batch.map((Key) => ({ DeleteRequest: { Key } }));
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt > 0) await backoff(attempt);
          const res = await this.ctx.doc.send(new BatchWriteCommand({ RequestItems: { [this.ctx.table]: pending } }));
          pending = (res.UnprocessedItems?.[this.ctx.table] ?? []) as typeof pending;
        }
        count += batch.length;
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return count;
  }

  /** Every item of one partition in a sort-key range or with a prefix, following pages. */
  private async queryAll(q: { pk: string; prefix?: string; from?: string; to?: string; limit?: number }): Promise<Item[]> {
    const out: Item[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.ctx.doc.send(
        new QueryCommand({
          TableName: this.ctx.table,
          KeyConditionExpression: q.prefix !== undefined ? 'pk = :pk AND begins_with(sk, :p)' : 'pk = :pk AND sk BETWEEN :a AND :b',
          ExpressionAttributeValues: q.prefix !== undefined ? { ':pk': q.pk, ':p': q.prefix } : { ':pk': q.pk, ':a': q.from, ':b': q.to },
          ConsistentRead: true,
          ExclusiveStartKey: start,
          ...(q.limit === undefined ? {} : { Limit: q.limit - out.length }),
        }),
      );
      out.push(...((page.Items ?? []) as Item[]));
      start = page.LastEvaluatedKey;
    } while (start && (q.limit === undefined || out.length < q.limit));
    return out;
  }
}

function toNamespace(item: Record<string, unknown>): NamespaceRecord {
  return { name: String(item.sk).slice(4), owner: String(item.owner), gen: String(item.gen), created: Number(item.created) };
}


// kvs.test.ts - the KVS's DynamoDB layer against DynamoDB Local: one winner per log version, version-guarded key
// writes, a head that only moves forward, prefix reads that respect key boundaries, namespaces and their cleanup.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTable } from '../../test/support/dynamo.ts';
import type { LogEntry } from '../kvs/types.ts';
import type { StoreContext } from './context.ts';
import { KvsTable } from './kvs.ts';

let table: KvsTable;
let part = 0;
const pk = () => `K#t#ns${part++}#g`;
beforeAll(async () => {
  const t = await createTestTable('kvs-store');
  const ctx: StoreContext = { doc: t.doc, table: t.tableName };
  table = new KvsTable(ctx);
});

const entry = (version: number, key = 'k'): LogEntry => ({
  version,
  timestamp: 1,
  user: 'alice',
  effects: { trees: [], sets: [[key, { op: 'set', entry: { type: 'json', value: '' } }]] },
});

describe('KvsTable', () => {
  it('logs each version once: of racing writers exactly one wins', async () => {
    const p = pk();
    const wins = await Promise.all(Array.from({ length: 8 }, (_, i) => table.appendLog(p, entry(1, `k${i}`))));
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(await table.appendLog(p, entry(2))).toBe(true);
    expect(await table.latest(p)).toBe(2);
    const log = await table.log(p, 0);
    expect(log.map((e) => e.version)).toEqual([1, 2]);
    expect(log[1]).toEqual(entry(2));
    expect((await table.log(p, 1)).map((e) => e.version)).toEqual([2]);
    expect(await table.log(p, 0, 1)).toHaveLength(1);
    expect(await table.latest(pk())).toBe(0);
  });

  it('writes a key only with a newer version, and tombstones keep the version that removed the key', async () => {
    const p = pk();
    expect(await table.writeKey(p, 'a', { type: 'json', value: '' }, 3, 0)).toBe(true);
    expect(await table.writeKey(p, 'a', { type: 'json', value: 'old' }, 2, 0)).toBe(false);
    expect(await table.writeKey(p, 'a', { type: 'json', value: 'same' }, 3, 0)).toBe(false);
    expect((await table.getKeys(p, ['a'])).get('a')).toEqual({ key: 'a', entry: { type: 'json', value: '' }, version: 3 });
    expect(await table.writeKey(p, 'a', undefined, 4, 0)).toBe(true);
    expect(await table.writeKey(p, 'a', { type: 'json', value: 'late' }, 3, 0)).toBe(false);
    expect((await table.getKeys(p, ['a', 'missing'])).get('a')).toEqual({ key: 'a', entry: undefined, version: 4 });
    expect(await table.replaceKey(p, 'a', { type: 'raw', data: '' }, 5, 3, 0)).toBe(false);
    expect(await table.replaceKey(p, 'a', { type: 'raw', data: '' }, 5, 4, 0)).toBe(true);
    expect(await table.replaceKey(p, 'new', { type: 'dir' }, 5, undefined, 0)).toBe(true);
    expect(await table.replaceKey(p, 'new', { type: 'dir' }, 6, undefined, 0)).toBe(false);
  });

  it('moves the head forward only', async () => {
    const p = pk();
    expect(await table.head(p)).toBe(0);
    await table.advanceHead(p, 3);
    await table.advanceHead(p, 2);
    expect(await table.head(p)).toBe(3);
  });

  it('reads the keys below a directory, not its siblings sharing a prefix', async () => {
    const p = pk();
    for (const k of ['a', 'a.b', 'a.b.c', 'a-b', 'ab', 'b']) await table.writeKey(p, k, { type: 'dir' }, 1, 0);
    expect((await table.below(p, 'a')).map((r) => r.key)).toEqual(['a.b', 'a.b.c']);
    expect((await table.below(p, '.')).map((r) => r.key)).toEqual(['a', 'a-b', 'a.b', 'a.b.c', 'ab', 'b']);
    const many = Array.from({ length: 230 }, (_, i) => `m${i}`);
    await Promise.all(many.map((k) => table.writeKey(p, k, { type: 'json', value: k }, 1, 0)));
    expect((await table.getKeys(p, many)).size).toBe(230);
  });

  it('creates, lists and removes namespaces, and deletes a partition', async () => {
    const rec = { name: 'proj', owner: 'bob', gen: 'g1', created: 10 };
    expect(await table.createNamespace('i1', rec)).toBe(true);
    expect(await table.createNamespace('i1', { ...rec, gen: 'g2' })).toBe(false);
    expect(await table.getNamespace('i1', 'proj')).toEqual(rec);
    expect(await table.listNamespaces('i1')).toEqual([rec]);
    expect(await table.listNamespaces('i2')).toEqual([]);
    expect(await table.deleteNamespace('i1', 'proj')).toEqual(rec);
    expect(await table.deleteNamespace('i1', 'proj')).toBeUndefined();
    const p = pk();
    await table.appendLog(p, entry(1));
    await Promise.all(Array.from({ length: 40 }, (_, i) => table.writeKey(p, `k${i}`, { type: 'dir' }, 1, 0)));
    expect(await table.deletePartition(p)).toBe(41);
    expect(await table.latest(p)).toBe(0);
    expect(await table.below(p, '.')).toEqual([]);
  });
});

// store-registry.test.ts - the table-backed connection registry against DynamoDB Local.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTable } from '../../test/support/dynamo.ts';
import { NodeTable, type NodeItem } from '../store/nodes.ts';
import { StoreRegistry } from './store-registry.ts';

let nodes: NodeTable;
const iid = 'reg';

const node = (name: string, rank: number, conn: string | undefined, online = true): NodeItem => ({
  iid,
  name,
  rank,
  inventory: { hostname: name, cores: 2, gpus: 0, memoryMB: 1024, properties: [] },
  online,
  conn,
  hb: 1000,
  joinedAt: 1000,
});

beforeAll(async () => {
  const t = await createTestTable('registry');
  nodes = new NodeTable({ doc: t.doc, table: t.tableName });
});

describe('StoreRegistry', () => {
  it('maps a connection to its node and back, as long as it is the node’s current connection', async () => {
    const reg = new StoreRegistry(nodes, { iid, heartbeatSeconds: 30 });
    await nodes.put(node('a1', 0, 'C1'));
    await reg.bind('C1', { name: 'a1', rank: 0 }, 1000);
    expect(await reg.lookup('C1')).toEqual({ name: 'a1', rank: 0 });
    expect(await reg.connOf('a1')).toBe('C1');

    // A newer connection of the same node (the handler writes the node item, then binds).
    await nodes.put(node('a1', 0, 'C2'));
    await reg.bind('C2', { name: 'a1', rank: 0 }, 1001);
    expect(await reg.lookup('C1')).toBeUndefined();
    expect(await reg.lookup('C2')).toEqual({ name: 'a1', rank: 0 });
    expect(await reg.unbind('C1')).toBeUndefined(); // no longer the current one
    expect(await reg.unbind('C2')).toEqual({ name: 'a1', rank: 0 });
    expect(await nodes.getConnection('C2')).toBeUndefined();
    expect(await reg.lookup('C2')).toBeUndefined();
  });

  it('knows nothing of unknown connections, other instances’ connections, or offline nodes', async () => {
    const reg = new StoreRegistry(nodes, { iid, heartbeatSeconds: 30 });
    expect(await reg.lookup('nope')).toBeUndefined();
    expect(await reg.unbind('nope')).toBeUndefined();
    await nodes.putConnection('X1', 'other', 'a1', 1000);
    expect(await reg.lookup('X1')).toBeUndefined();
    await nodes.put(node('b1', 1, 'C3', false));
    expect(await reg.connOf('b1')).toBeUndefined();
    expect(await reg.connOf('ghost')).toBeUndefined();
  });

  it('writes hb at most once per touch interval per node', async () => {
    const reg = new StoreRegistry(nodes, { iid, heartbeatSeconds: 10 });
    await nodes.put(node('c1', 2, 'C4'));
    await reg.bind('C4', { name: 'c1', rank: 2 }, 2000);
    await reg.touch({ name: 'c1', rank: 2 }, 2005); // within 10 s of the bind: skipped
    expect((await nodes.get(iid, 'c1'))!.hb).toBe(1000);
    await reg.touch({ name: 'c1', rank: 2 }, 2010);
    expect((await nodes.get(iid, 'c1'))!.hb).toBe(2010);
    await reg.touch({ name: 'c1', rank: 2 }, 2019);
    expect((await nodes.get(iid, 'c1'))!.hb).toBe(2010);
    // Another container has its own memory: it writes at once.
    await new StoreRegistry(nodes, { iid, heartbeatSeconds: 10 }).touch({ name: 'c1', rank: 2 }, 2019);
    expect((await nodes.get(iid, 'c1'))!.hb).toBe(2019);
  });

  it('refuses a touch interval that could let the reaper drop a live node', () => {
    expect(() => new StoreRegistry(nodes, { iid, heartbeatSeconds: 10, touchEverySeconds: 20 })).toThrow(/touch at least every 19 s/);
    expect(() => new StoreRegistry(nodes, { iid, heartbeatSeconds: 10, touchEverySeconds: 19 })).not.toThrow();
  });
});

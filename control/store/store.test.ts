// store.test.ts - the DynamoDB persistence layer against the real DynamoDB Local started by the test setup.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTable } from '../../test/support/dynamo.ts';
import type { StoreContext } from './context.ts';
import { JobTable, type JobItem } from './jobs.ts';
import { LeaseTable } from './lease.ts';
import { NodeTable } from './nodes.ts';
import { OutputTable } from './output.ts';
import { packRuns, SubmissionTable, unpackRuns } from './submissions.ts';
import { UserTable } from './users.ts';

let ctx: StoreContext;
beforeAll(async () => {
  const t = await createTestTable('store');
  ctx = { doc: t.doc, table: t.tableName };
});

function job(id: bigint, extra: Partial<JobItem> = {}): JobItem {
  return {
    id,
    iid: 'i1',
    owner: 'alice',
    name: 'true',
    jobspec: { version: 1 },
    urgency: 16,
    priority: 16,
    req: { slots: 1, coresPerSlot: 1, gpusPerSlot: 0, exclusive: false },
    dur: 0,
    eventlog: [{ timestamp: 1, name: 'submit', context: { userid: 'alice', urgency: 16, version: 1 } }],
    ver: 1,
    st: 'SCHED',
    tsub: 1,
    ...extra,
  };
}

describe('JobTable', () => {
  it('inserts in batches and reads back, bigint ids intact above 2^53', async () => {
    const jobs = Array.from({ length: 60 }, (_, i) => job((1n << 60n) + BigInt(i)));
    await new JobTable(ctx).insert(jobs);
    const got = await new JobTable(ctx).get((1n << 60n) + 59n);
    expect(got?.id).toBe((1n << 60n) + 59n);
    expect(got?.eventlog[0]?.name).toBe('submit');
    const many = await new JobTable(ctx).getMany([(1n << 60n) + 3n, 999n, (1n << 60n) + 1n, (1n << 60n) + 3n], ['st', 'owner']);
    expect(many.map((j) => j.id)).toEqual([(1n << 60n) + 3n, (1n << 60n) + 1n, (1n << 60n) + 3n]);
    expect(many[0]?.st).toBe('SCHED');
    expect(many[0]?.eventlog).toBeUndefined();
  });

  it('appends conditionally: a stale writer gets a conflict, the others in its transaction still commit', async () => {
    const t = new JobTable(ctx);
    const ids = [101n, 102n, 103n];
    await t.insert(ids.map((id) => job(id)));
    const outcomes = await t.append([
      { id: 101n, expectVer: 1, events: [{ timestamp: 2, name: 'alloc' }], set: { st: 'RUN' }, active: 'running' },
      { id: 102n, expectVer: 5, events: [{ timestamp: 2, name: 'alloc' }] },
      { id: 103n, expectVer: 1, events: [{ timestamp: 2, name: 'alloc' }], set: { st: 'RUN' } },
      { id: 104n, expectVer: 1, events: [{ timestamp: 2, name: 'alloc' }] },
    ]);
    expect(outcomes).toEqual(['ok', 'conflict', 'ok', 'missing']);
    const j101 = await t.get(101n);
    expect(j101?.ver).toBe(2);
    expect(j101?.eventlog.map((e) => e.name)).toEqual(['submit', 'alloc']);
    expect((await t.get(102n))?.ver).toBe(1);
  });

  it('more appends than fit one transaction are split, all applied', async () => {
    const t = new JobTable(ctx);
    const ids = Array.from({ length: 37 }, (_, i) => 200n + BigInt(i));
    await t.insert(ids.map((id) => job(id)));
    const outcomes = await t.append(ids.map((id) => ({ id, expectVer: 1, events: [{ timestamp: 2, name: 'priority', context: { priority: 16 } }] })));
    expect(outcomes.every((o) => o === 'ok')).toBe(true);
    expect((await t.getMany(ids, ['ver'])).every((j) => j.ver === 2)).toBe(true);
  });

  it('allocations fenced by a lease fail once the lease changed hands', async () => {
    const t = new JobTable(ctx);
    const lease = new LeaseTable(ctx);
    await t.insert([job(300n), job(301n)]);
    const mine = await lease.acquire('i1', 'sched-a', 10, 1000);
    expect(mine).toBeDefined();
    expect(await t.append([{ id: 300n, expectVer: 1, events: [{ timestamp: 2, name: 'alloc' }] }], mine)).toEqual(['ok']);
    // Another holder takes over after expiry: the old fence no longer commits anything.
    const theirs = await lease.acquire('i1', 'sched-b', 10, 2000);
    expect(theirs!.token).toBeGreaterThan(mine!.token);
    expect(await t.append([{ id: 301n, expectVer: 1, events: [{ timestamp: 2, name: 'alloc' }] }], mine)).toEqual(['lease-lost']);
    expect((await t.get(301n))?.ver).toBe(1);
  });

  it('the active index holds pending then running jobs, and nothing once inactive', async () => {
    const t = new JobTable(ctx);
    const iid = 'active-test';
    await t.insert([job(401n, { iid }), job(402n, { iid }), job(403n, { iid })]);
    expect((await t.queryActive(iid, 'pending')).map((e) => e.id)).toEqual([401n, 402n, 403n]);
    expect((await t.queryActive(iid, 'pending', 401n)).map((e) => e.id)).toEqual([402n, 403n]);
    await t.append([
      { id: 401n, expectVer: 1, events: [{ timestamp: 2, name: 'alloc' }], set: { st: 'RUN', R: { version: 1 } }, active: 'running' },
      { id: 402n, expectVer: 1, events: [{ timestamp: 2, name: 'exception' }], set: { st: 'INACTIVE' }, active: null },
    ]);
    expect((await t.queryActive(iid, 'pending')).map((e) => e.id)).toEqual([403n]);
    const running = await t.queryActive(iid, 'running');
    expect(running.map((e) => e.id)).toEqual([401n]);
    expect(running[0]?.R).toEqual({ version: 1 });
  });

  it('lists ids newest first, by owner or for the whole instance, with a cursor', async () => {
    const t = new JobTable(ctx);
    const iid = 'list-test';
    await t.insert([500n, 501n, 502n, 503n].map((id) => job(id, { iid, owner: id % 2n ? 'bob' : 'alice' })));
    const page1 = await t.listIds(iid, { limit: 3 });
    expect(page1.ids).toEqual([503n, 502n, 501n]);
    const page2 = await t.listIds(iid, { limit: 3, cursor: page1.cursor });
    expect(page2.ids).toEqual([500n]);
    expect((await t.listIds(iid, { owner: 'bob', limit: 10 })).ids).toEqual([503n, 501n]);
  });
});

describe('OutputTable', () => {
  it('reads per-node chunks from a cursor and stops at a gap', async () => {
    const out = new OutputTable(ctx);
    const e = (data: string) => [{ stream: 'stdout' as const, task: 0, data }];
    await out.put([
      { jobId: 7n, node: 0, seq: 0, time: 1, entries: e('a') },
      { jobId: 7n, node: 0, seq: 1, time: 3, entries: e('c') },
      { jobId: 7n, node: 1, seq: 0, time: 2, entries: e('b') },
      { jobId: 7n, node: 1, seq: 2, time: 4, entries: e('late') },
    ]);
    const first = await out.read(7n, [0, 1], {});
    expect(first.chunks.map((c) => c.entries[0]!.data)).toEqual(['a', 'b', 'c']);
    expect(first.cursor).toEqual({ 0: 2, 1: 1 });
    await out.put([{ jobId: 7n, node: 1, seq: 1, time: 5, entries: e('gap-filled') }]);
    const second = await out.read(7n, [0, 1], first.cursor);
    // Node 1's seq 2 arrived before its seq 1, but one node's chunks always come out in sequence order.
    expect(second.chunks.map((c) => c.entries[0]!.data)).toEqual(['gap-filled', 'late']);
    expect(second.cursor).toEqual({ 0: 2, 1: 3 });
  });
});

describe('SubmissionTable', () => {
  it('returns the first ids to a retry with the same client token', async () => {
    const s = new SubmissionTable(ctx);
    expect(await s.claim('tok-1', 'alice', [1n, 2n, (1n << 63n) + 5n], 100)).toBeUndefined();
    const again = await s.claim('tok-1', 'alice', [9n], 101);
    expect(again).toEqual({ owner: 'alice', ids: [1n, 2n, (1n << 63n) + 5n] });
  });

  it('packs consecutive ids into runs', () => {
    const ids = [...Array.from({ length: 5000 }, (_, i) => 1000n + BigInt(i)), 9000n, 9002n, 9003n];
    const packed = packRuns(ids);
    expect(packed.split(',')).toHaveLength(3);
    expect(unpackRuns(packed)).toEqual(ids);
    expect(unpackRuns(packRuns([]))).toEqual([]);
  });
});

describe('LeaseTable', () => {
  it('one holder at a time; renewal keeps the fence; expiry hands it over with a larger fence', async () => {
    const l = new LeaseTable(ctx);
    const a = await l.acquire('lease-test', 'a', 10, 100);
    expect(await l.acquire('lease-test', 'b', 10, 105)).toBeUndefined();
    const renewed = await l.acquire('lease-test', 'a', 10, 105, a);
    expect(renewed?.token).toBe(a?.token);
    const b = await l.acquire('lease-test', 'b', 10, 200);
    expect(b!.token).toBe(a!.token + 1);
    expect(await l.acquire('lease-test', 'a', 10, 201, a)).toBeUndefined();
    await l.release(b!, 202);
    expect((await l.acquire('lease-test', 'a', 10, 203))?.token).toBe(b!.token + 1);
  });
});

describe('NodeTable and UserTable', () => {
  it('allocates distinct ranks, updates conditionally on the connection, maps connections', async () => {
    const n = new NodeTable(ctx);
    const ranks = await Promise.all([1, 2, 3, 4].map(() => n.allocateRank('nodes-test')));
    expect(new Set(ranks).size).toBe(4);
    const inventory = { hostname: 'n1', cores: 4, gpus: 0, memoryMB: 1024, properties: [] };
    await n.put({ iid: 'nodes-test', name: 'n1', rank: ranks[0]!, inventory, online: true, conn: 'c1', hb: 1, joinedAt: 1 });
    expect(await n.update('nodes-test', 'n1', { online: false }, 'c0')).toBe(false);
    expect(await n.update('nodes-test', 'n1', { online: false, conn: null }, 'c1')).toBe(true);
    const got = await n.get('nodes-test', 'n1');
    expect(got?.online).toBe(false);
    expect(got?.conn).toBeUndefined();
    expect((await n.list('nodes-test')).map((x) => x.name)).toEqual(['n1']);
    await n.putConnection('c2', 'nodes-test', 'n1', 10);
    expect(await n.getConnection('c2')).toEqual({ iid: 'nodes-test', node: 'n1' });
    await n.deleteConnection('c2');
    expect(await n.getConnection('c2')).toBeUndefined();
  });

  it('preregisters expected nodes with ranks in order, offline, and keeps existing ones', async () => {
    const n = new NodeTable(ctx);
    const inventory = (hostname: string) => ({ hostname, cores: 2, gpus: 0, memoryMB: 1024, properties: [] });
    await n.preregister('prereg', [{ name: 'node0', inventory: inventory('node0') }, { name: 'node1', inventory: inventory('node1') }], 5);
    await n.preregister('prereg', [{ name: 'node1', inventory: inventory('node1') }, { name: 'node2', inventory: inventory('node2') }], 6);
    const nodes = await n.list('prereg');
    expect(nodes.map((x) => [x.name, x.rank, x.online])).toEqual([
      ['node0', 0, false],
      ['node1', 1, false],
      ['node2', 2, false],
    ]);
  });

  it('stores users by token hash', async () => {
    const u = new UserTable(ctx);
    await u.put('abc', { user: 'alice', role: 'owner', createdAt: 1 });
    expect((await u.get('abc'))?.role).toBe('owner');
    expect(await u.get('nope')).toBeUndefined();
  });
});

// committer.test.ts - group commit against DynamoDB Local: merging, conflicts, ordering, fences.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTable } from '../../test/support/dynamo.ts';
import { submitEvent } from '../core/job/index.ts';
import { JobTable, type JobItem } from '../store/jobs.ts';
import { LeaseTable } from '../store/lease.ts';
import type { StoreContext } from '../store/context.ts';
import { EventCommitter } from './committer.ts';
import { MemoryJobCache } from './job-cache.ts';
import { stateOf } from './job-state.ts';

let ctx: StoreContext;
beforeAll(async () => {
  const t = await createTestTable('commit');
  ctx = { doc: t.doc, table: t.tableName };
});

function job(id: bigint): JobItem {
  const eventlog = [submitEvent(1, { userid: 'alice' }), { timestamp: 1, name: 'validate' }, { timestamp: 1, name: 'depend' }, { timestamp: 1, name: 'priority', context: { priority: 16 } }];
  return { id, iid: 'i1', owner: 'alice', name: 'x', jobspec: {}, urgency: 16, priority: 16, req: { slots: 1, coresPerSlot: 1, gpusPerSlot: 0, exclusive: false }, dur: 0, eventlog, ver: 1, st: 'SCHED', tsub: 1 };
}

describe('EventCommitter', () => {
  it("merges one job's builders in order: each sees the events and attributes of the one before", async () => {
    const table = new JobTable(ctx);
    await table.insert([job(1n)]);
    const c = new EventCommitter(table, new MemoryJobCache());
    const seen: Array<unknown> = [];
    const a = c.commit(1n, (j) => {
      seen.push(j.item.exits);
      return { events: [{ timestamp: 2, name: 'alloc' }], set: { exits: { 0: 5 } } };
    });
    const b = c.commit(1n, (j) => {
      seen.push(j.item.exits);
      return { events: [], set: { exits: { ...j.item.exits, 1: 7 } } };
    });
    const [ra, rb] = await Promise.all([a, b]);
    expect(seen).toEqual([undefined, { 0: 5 }]);
    expect(ra.status).toBe('applied');
    expect(rb.status).toBe('applied');
    const stored = await table.get(1n);
    expect(stored?.exits).toEqual({ 0: 5, 1: 7 });
    expect(stored?.eventlog.map((e) => e.name).slice(-1)).toEqual(['alloc']);
    expect(stored?.st).toBe('RUN');
    expect(stored?.ver).toBe(2);
  });

  it('re-runs a builder on a conflict, against the state someone else wrote', async () => {
    const table = new JobTable(ctx);
    await table.insert([job(2n)]);
    const stale = new MemoryJobCache();
    stale.set(2n, stateOf(job(2n)));
    // Someone else allocates first.
    await table.append([{ id: 2n, expectVer: 1, events: [{ timestamp: 2, name: 'alloc' }], set: { st: 'RUN' } }]);
    const c = new EventCommitter(table, stale);
    const states: string[] = [];
    const out = await c.commit(2n, (j) => {
      states.push(j.view.state);
      return j.view.state === 'SCHED' ? { events: [{ timestamp: 3, name: 'alloc' }] } : null;
    });
    expect(states).toEqual(['SCHED', 'RUN']);
    expect(out.status).toBe('unchanged');
    expect((await table.get(2n))?.eventlog.filter((e) => e.name === 'alloc')).toHaveLength(1);
  });

  it('batches many jobs, and a builder that throws fails only its own caller', async () => {
    const table = new JobTable(ctx);
    const ids = Array.from({ length: 30 }, (_, i) => 100n + BigInt(i));
    await table.insert(ids.map(job));
    const c = new EventCommitter(table, new MemoryJobCache());
    const results = await Promise.allSettled(
      ids.map((id) =>
        c.commit(id, () => {
          if (id === 105n) throw new Error('no');
          return { events: [{ timestamp: 2, name: 'alloc' }] };
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    const stored = await table.getMany(ids, ['st']);
    expect(stored.filter((j) => j.st === 'RUN')).toHaveLength(29);
  });

  it('reports lease-lost for fenced appends once the lease changed hands, writing nothing', async () => {
    const table = new JobTable(ctx);
    const lease = new LeaseTable(ctx);
    await table.insert([job(3n)]);
    const mine = (await lease.acquire('fence-test', 'a', 10, 100))!;
    await lease.acquire('fence-test', 'b', 10, 200);
    const c = new EventCommitter(table, new MemoryJobCache());
    const out = await c.commit(3n, () => ({ events: [{ timestamp: 2, name: 'alloc' }] }), mine);
    expect(out.status).toBe('lease-lost');
    expect((await table.get(3n))?.st).toBe('SCHED');
  });
});

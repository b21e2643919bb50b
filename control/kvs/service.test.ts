// service.test.ts - the KVS service on DynamoDB Local, with several service instances standing for several
// processes: atomic and serialized transactions under concurrency, crash recovery between logging and
// materializing, watches that miss nothing, namespace ownership, and size limits.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTable } from '../../test/support/dynamo.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../core/errors.ts';
import { encodeFluid } from '../core/fluid.ts';
import { LocalNotifier, type Notifier } from '../jobs/notifier.ts';
import type { Caller } from '../services.ts';
import { KvsTable } from '../store/kvs.ts';
import { partitionKey } from './items.ts';
import { Kvs } from './service.ts';
import type { KeyChange, Op } from './types.ts';

const OWNER: Caller = { user: 'alice', role: 'owner' };
const BOB: Caller = { user: 'bob', role: 'user' };
const CAROL: Caller = { user: 'carol', role: 'user' };
const BOB_JOB = 6731191091817518n;
const JOB_NS = `job-${encodeFluid(BOB_JOB)}`;

let table: KvsTable;
let iidCount = 0;
beforeAll(async () => {
  const t = await createTestTable('kvs-service');
  table = new KvsTable({ doc: t.doc, table: t.tableName });
});

/** A service instance (one "process"); pass the same iid and notifier to share an instance. */
function service(iid: string, notifier: Notifier = new LocalNotifier(), helpAfterMs?: number): Kvs {
  return new Kvs({ iid, table, notifier, helpAfterMs, jobOwner: async (id) => (id === BOB_JOB ? 'bob' : undefined) });
}
const freshIid = () => `i${iidCount++}`;
const put = (key: string, value: unknown): Op => ({ op: 'put', key, entry: { type: 'json', value } });
const valueOf = async (kvs: Kvs, key: string, ns = 'primary', caller = OWNER) => {
  const r = await kvs.lookup(caller, ns, key);
  return r.entry.type === 'json' ? r.entry.value : r.entry;
};

describe('transactions', () => {
  it('serialize under concurrent commits: no lost update, one version per commit, versions contiguous', async () => {
    const iid = freshIid();
    await service(iid).commit(OWNER, 'primary', [put('counter', 0)]);
    const N = 20;
    const versions: number[] = [];
    let conflicts = 0;
    // Each client is its own service instance (as separate processes would be): check-and-set loops.
    await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        const kvs = service(iid);
        for (;;) {
          const cur = await kvs.lookup(OWNER, 'primary', 'counter');
          const n = (cur.entry as { value: number }).value;
          try {
            const { version } = await kvs.commit(OWNER, 'primary', [{ op: 'check', key: 'counter', version: cur.modified }, put('counter', n + 1), put(`worker.w${i}`, i)]);
            versions.push(version);
            return;
          } catch (err) {
            if (!(err instanceof ConflictError)) throw err;
            conflicts++;
            await new Promise((r) => setTimeout(r, Math.random() * 20 * Math.min(conflicts, 10)));
          }
        }
      }),
    );
    const kvs = service(iid);
    expect(await valueOf(kvs, 'counter')).toBe(N);
    expect(versions.sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i + 2));
    expect(await kvs.version(OWNER, 'primary')).toBe(N + 1);
    const log = await table.log(partitionKey(iid, 'primary', '0'), 0);
    expect(log.map((e) => e.version)).toEqual(Array.from({ length: N + 1 }, (_, i) => i + 1));
    const dir = await kvs.lookup(OWNER, 'primary', 'worker', { readdir: true });
    expect(dir.entries).toHaveLength(N);
    expect(conflicts).toBeGreaterThanOrEqual(0);
  }, 120_000);

  it('apply all or nothing: a failing operation leaves the namespace untouched', async () => {
    const kvs = service(freshIid());
    await kvs.commit(OWNER, 'primary', [put('a', 1)]);
    await expect(kvs.commit(OWNER, 'primary', [put('a', 2), put('b', 2), { op: 'unlink', key: 'nope' }])).rejects.toBeInstanceOf(NotFoundError);
    expect(await valueOf(kvs, 'a')).toBe(1);
    await expect(kvs.lookup(OWNER, 'primary', 'b')).rejects.toThrow('b: no such key');
    expect(await kvs.version(OWNER, 'primary')).toBe(1);
  });

  it('a commit logged but never materialized is read whole, and finished by the next writer or reader', async () => {
    const iid = freshIid();
    const pk = partitionKey(iid, 'primary', '0');
    const kvs = service(iid);
    await kvs.commit(OWNER, 'primary', [put('old.x', 1), put('old.y', 2), put('keep', 'k')]);
    // The "crash": logged, not materialized.
    const moved: Op[] = [{ op: 'unlink', key: 'old', recursive: true }, put('new.x', 1), put('new.y', 2), { op: 'append', key: 'keep', data: { type: 'json', value: '+' } }];
    const { version } = await kvs.logCommit(OWNER, 'primary', moved);
    expect(await table.head(pk)).toBe(1);
    // Half materialized, as if the materializer died midway: one key of the new version written.
    await table.writeKey(pk, 'new.x', { type: 'json', value: 1 }, version, 0);
    await table.writeKey(pk, 'keep', { type: 'json', value: 'k+' }, version, 0);
    const reader = service(iid, new LocalNotifier(), 60_000); // does not help: reads through the log
    const all = await reader.lookup(OWNER, 'primary', '.', { readdir: true, recursive: true });
    expect(all.version).toBe(2);
    expect(all.entries?.map((e) => e.key)).toEqual(['keep', 'new', 'new.x', 'new.y']);
    expect(await valueOf(reader, 'keep')).toBe('k+');
    await expect(reader.lookup(OWNER, 'primary', 'old.x')).rejects.toBeInstanceOf(NotFoundError);
    expect(await table.head(pk)).toBe(1);
    // The next writer finishes version 2 before its own version 3.
    await service(iid).commit(OWNER, 'primary', [put('later', true)]);
    expect(await table.head(pk)).toBe(3);
    const items = await table.below(pk, '.');
    const live = items.filter((r) => r.entry !== undefined).map((r) => r.key);
    expect(live).toEqual(['keep', 'later', 'new', 'new.x', 'new.y']);
    expect(items.find((r) => r.key === 'keep')).toMatchObject({ entry: { type: 'json', value: 'k+' }, version: 2 });
    // A reader finishes a stuck commit too, once it is old enough.
    await kvs.logCommit(OWNER, 'primary', [put('by-reader', 1)]);
    await service(iid, new LocalNotifier(), 0).lookup(OWNER, 'primary', 'keep');
    expect(await table.head(pk)).toBe(4);
  });

  it('refuses an oversized value and an oversized transaction with nothing written', async () => {
    const kvs = service(freshIid());
    const huge = 'x'.repeat(410 * 1024);
    await expect(kvs.commit(OWNER, 'primary', [put('big', huge)])).rejects.toMatchObject({ code: 'too_large', message: expect.stringMatching(/^big: the value would take/) });
    const part = 'y'.repeat(150 * 1024);
    await expect(kvs.commit(OWNER, 'primary', [put('p1', part), put('p2', part), put('p3', part)])).rejects.toMatchObject({
      code: 'too_large',
      message: expect.stringMatching(/^the transaction takes \d+ bytes; one commit holds at most 409600/),
    });
    expect(await kvs.version(OWNER, 'primary')).toBe(0);
    await expect(kvs.lookup(OWNER, 'primary', 'p1')).rejects.toBeInstanceOf(NotFoundError);
    // Just under the limit is fine, raw bytes included.
    await kvs.commit(OWNER, 'primary', [{ op: 'put', key: 'raw', entry: { type: 'raw', data: btoa('y'.repeat(200 * 1024)) } }]);
    expect((await kvs.lookup(OWNER, 'primary', 'raw')).entry.type).toBe('raw');
  }, 60_000);
});

describe('watch', () => {
  it('sees every change of a key, in order, with no gaps or repeats, while commits land', async () => {
    const iid = freshIid();
    const notifier = new LocalNotifier();
    const writer = service(iid, notifier);
    const watcher = service(iid, notifier);
    const start = await writer.version(OWNER, 'primary');
    const seen: KeyChange[] = [];
    const TOTAL = 24;
    const watching = (async () => {
      let after = start;
      while (seen.length < TOTAL) {
        const page = await watcher.watch(OWNER, 'primary', 'ev', after, 5000);
        seen.push(...page.changes);
        after = page.version;
      }
    })();
    const expected: string[] = [];
    for (let i = 0; i < TOTAL; i++) {
      if (i % 8 === 7) {
        await writer.commit(OWNER, 'primary', [{ op: 'unlink', key: 'ev' }, put('noise', i)]);
        expected.push('unlink');
      } else {
        await writer.commit(OWNER, 'primary', [{ op: 'append', key: 'ev', data: { type: 'json', value: `${i}\n` } }]);
        expected.push(i % 8 === 0 ? `set ${i}\n` : `append ${i}\n`);
      }
      if (i % 5 === 0) await writer.commit(OWNER, 'primary', [put('unrelated', i)]);
    }
    await watching;
    expect(seen.map((c) => (c.op === 'unlink' ? 'unlink' : c.op === 'set' ? `set ${(c.entry as { value: string }).value}` : `append ${(c.data as { value: string }).value}`))).toEqual(expected);
    const versions = seen.map((c) => c.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
  }, 120_000);

  it('returns an empty page after the wait when nothing changes, and wakes waiters of a version', async () => {
    const iid = freshIid();
    const notifier = new LocalNotifier();
    const kvs = service(iid, notifier);
    const t0 = Date.now();
    expect(await kvs.watch(OWNER, 'primary', 'k', 0, 150)).toEqual({ changes: [], version: 0 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    const waiting = kvs.waitVersion(OWNER, 'primary', 2, 10_000);
    await kvs.commit(OWNER, 'primary', [put('a', 1)]);
    await kvs.commit(OWNER, 'primary', [put('a', 2)]);
    expect(await waiting).toBe(2);
  });
});

describe('namespaces', () => {
  it('keep owners apart: the primary is the instance owner\'s, others see only their own', async () => {
    const iid = freshIid();
    const kvs = service(iid);
    await expect(kvs.lookup(BOB, 'primary', 'x')).rejects.toBeInstanceOf(ForbiddenError);
    await expect(kvs.createNamespace(BOB, 'mine')).rejects.toBeInstanceOf(ForbiddenError);
    await kvs.createNamespace(OWNER, 'proj', 'bob');
    await expect(kvs.createNamespace(OWNER, 'proj')).rejects.toBeInstanceOf(ConflictError);
    await kvs.commit(BOB, 'proj', [put('data', 'bob')]);
    expect(await valueOf(kvs, 'data', 'proj', BOB)).toBe('bob');
    expect(await valueOf(kvs, 'data', 'proj', OWNER)).toBe('bob');
    await expect(kvs.lookup(CAROL, 'proj', 'data')).rejects.toThrow('namespace proj not found');
    await expect(kvs.commit(CAROL, 'proj', [put('data', 'carol')])).rejects.toBeInstanceOf(NotFoundError);
    await expect(kvs.removeNamespace(CAROL, 'proj')).rejects.toBeInstanceOf(NotFoundError);
    // A link into a namespace the caller may not read does not let them read it.
    await kvs.commit(OWNER, 'primary', [put('secret', 's')]);
    await kvs.commit(BOB, 'proj', [{ op: 'link', key: 'peek', target: 'secret', namespace: 'primary' }]);
    await expect(kvs.lookup(BOB, 'proj', 'peek')).rejects.toBeInstanceOf(ForbiddenError);
    expect(await valueOf(kvs, 'peek', 'proj', OWNER)).toBe('s');
    expect((await kvs.listNamespaces(BOB)).map((n) => n.name)).toEqual(['proj']);
    expect(await kvs.listNamespaces(CAROL)).toEqual([]);
    expect((await kvs.listNamespaces(OWNER)).map((n) => n.name)).toEqual(['primary', 'proj']);
  });

  it("a job's namespace is its owner's, exists on first write, and is empty again once removed", async () => {
    const kvs = service(freshIid());
    expect(await kvs.version(BOB, `job-${BOB_JOB}`)).toBe(0);
    await expect(kvs.lookup(CAROL, JOB_NS, 'x')).rejects.toThrow(`namespace ${JOB_NS} not found`);
    await expect(kvs.commit(CAROL, JOB_NS, [put('x', 1)])).rejects.toBeInstanceOf(NotFoundError);
    await kvs.commit(BOB, JOB_NS, [put('x', 1)]);
    expect(await valueOf(kvs, 'x', `job-${BOB_JOB}`, BOB)).toBe(1);
    expect(await kvs.listNamespaces(BOB)).toEqual([{ name: JOB_NS, owner: 'bob', created: expect.any(Number) }]);
    await expect(kvs.createNamespace(BOB, JOB_NS)).rejects.toBeInstanceOf(ConflictError);
    await expect(kvs.commit(BOB, 'job-ƒ2', [put('x', 1)])).rejects.toBeInstanceOf(NotFoundError);
    await kvs.removeNamespace(BOB, JOB_NS);
    await expect(kvs.lookup(BOB, JOB_NS, 'x')).rejects.toBeInstanceOf(NotFoundError);
    expect(await kvs.version(BOB, JOB_NS)).toBe(0);
    await kvs.commit(OWNER, JOB_NS, [put('y', 2)]);
    expect(await kvs.version(BOB, JOB_NS)).toBe(1);
    await expect(kvs.removeNamespace(OWNER, 'primary')).rejects.toBeInstanceOf(ForbiddenError);
  });
});

// plan.test.ts - Flux's KVS semantics of transactions, on an in-memory namespace (no DynamoDB): what each operation
// does to the tree, the effects the commit logs, and the errors that refuse a whole transaction.
import { describe, expect, it } from 'vitest';
import { ConflictError, FlurryError, InvalidInputError, NotFoundError } from '../core/errors.ts';
import { applyChange } from './effects.ts';
import { itemBytes, keyItem } from './items.ts';
import { lookupKey, type LookupView } from './lookup.ts';
import { ROOT, within } from './path.ts';
import { planCommit } from './plan.ts';
import type { Effects, Entry, KvsDirEntry, Op, Versioned } from './types.ts';

/** An in-memory namespace that applies effects exactly as materialization does. */
class Memory implements LookupView {
  readonly keys = new Map<string, Versioned>();
  version = 0;
  constructor(readonly namespace = 'primary') {}

  async get(key: string) {
    return key === ROOT ? { entry: { type: 'dir' } as Entry, version: 0 } : this.keys.get(key);
  }
  async list(dir: string, recursive: boolean): Promise<KvsDirEntry[]> {
    const depth = dir === ROOT ? 0 : dir.split('.').length;
    return [...this.keys]
      .filter(([k]) => k !== dir && within(k, dir) && (recursive || k.split('.').length === depth + 1))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, v]) => ({ key, entry: v.entry, modified: v.version }));
  }
  apply(fx: Effects): void {
    const version = ++this.version;
    const explicit = new Set(fx.sets.map(([k]) => k));
    for (const t of fx.trees) for (const k of [...this.keys.keys()]) if (within(k, t) && !explicit.has(k)) this.keys.delete(k);
    for (const [k, change] of fx.sets) {
      const after = applyChange(this.keys.get(k), change, version);
      if (after) this.keys.set(k, after);
      else this.keys.delete(k);
    }
  }
  async commit(...ops: Op[]): Promise<Effects> {
    const fx = await planCommit(ops, { namespace: this.namespace, reader: this, version: this.version + 1 });
    this.apply(fx);
    return fx;
  }
  value(key: string): unknown {
    const e = this.keys.get(key)?.entry;
    return e?.type === 'json' ? e.value : e;
  }
}

const json = (value: unknown): Entry => ({ type: 'json', value });
const put = (key: string, value: unknown): Op => ({ op: 'put', key, entry: json(value) });

describe('planCommit', () => {
  it('put makes the parents directories, and logs each key once with its final state', async () => {
    const m = new Memory();
    const fx = await m.commit(put('a.b.c', 1), put('a.b.c', 2), put('a.x', 'y'));
    expect(fx.trees).toEqual([]);
    expect(fx.sets.map(([k]) => k)).toEqual(['a', 'a.b', 'a.b.c', 'a.x']);
    expect(m.keys.get('a')?.entry).toEqual({ type: 'dir' });
    expect(m.value('a.b.c')).toBe(2);
    expect(m.keys.get('a.b.c')?.version).toBe(1);
    // A second commit does not rewrite existing parents.
    const fx2 = await m.commit(put('a.b.d', ''));
    expect(fx2.sets.map(([k]) => k)).toEqual(['a.b.d']);
    expect(m.value('a.b.d')).toBe('');
  });

  it('put over a directory replaces it with everything below it; a value in the way of a write becomes a directory', async () => {
    const m = new Memory();
    await m.commit(put('a.b.c', 1), put('a.b.d', 2), put('a.e', 3));
    const fx = await m.commit(put('a.b', 'flat'));
    expect(fx.trees).toEqual(['a.b']);
    expect([...m.keys.keys()].sort()).toEqual(['a', 'a.b', 'a.e']);
    expect(m.value('a.b')).toBe('flat');
    await m.commit(put('a.b.z', true));
    expect(m.keys.get('a.b')?.entry).toEqual({ type: 'dir' });
    expect(m.value('a.b.z')).toBe(true);
  });

  it('unlink needs recursive for a directory and force for a missing key; effects of earlier ops are seen', async () => {
    const m = new Memory();
    await m.commit(put('d.x', 1), put('v', 2));
    await expect(m.commit({ op: 'unlink', key: 'd' })).rejects.toThrow(/d is a directory/);
    await expect(m.commit({ op: 'unlink', key: 'nope' })).rejects.toBeInstanceOf(NotFoundError);
    await m.commit({ op: 'unlink', key: 'nope', force: true });
    const fx = await m.commit({ op: 'unlink', key: 'd', recursive: true }, { op: 'unlink', key: 'v' }, put('d.y', 3));
    expect(fx.trees).toEqual(['d']);
    expect([...m.keys.keys()].sort()).toEqual(['d', 'd.y']);
    // Put then remove the parent in one transaction: the put does not survive.
    await m.commit(put('e.f', 1), { op: 'unlink', key: 'e', recursive: true });
    expect(m.keys.has('e.f')).toBe(false);
    expect(m.keys.has('e')).toBe(false);
  });

  it('a failing operation refuses the whole transaction', async () => {
    const m = new Memory();
    await m.commit(put('k', 1));
    await expect(m.commit(put('k', 2), { op: 'unlink', key: 'missing' })).rejects.toThrow(/missing: no such key/);
    expect(m.value('k')).toBe(1);
    expect(m.version).toBe(1);
  });

  it('mkdir makes an empty directory, replacing what was there (as Flux does)', async () => {
    const m = new Memory();
    await m.commit(put('d.x', 1));
    await m.commit({ op: 'mkdir', key: 'd' });
    expect([...m.keys.keys()]).toEqual(['d']);
    expect(m.keys.get('d')?.entry).toEqual({ type: 'dir' });
    await expect(m.commit({ op: 'mkdir', key: '.' })).rejects.toThrow(/root/);
  });

  it('writes follow links in parent components within the namespace, and refuse links into another one', async () => {
    const m = new Memory();
    await m.commit({ op: 'mkdir', key: 'real' }, { op: 'link', key: 'alias', target: 'real' });
    await m.commit(put('alias.k', 'v'));
    expect(m.value('real.k')).toBe('v');
    expect(m.keys.get('alias')?.entry).toEqual({ type: 'symlink', target: 'real' });
    await m.commit({ op: 'link', key: 'far', target: 'x', namespace: 'other' });
    await expect(m.commit(put('far.k', 1))).rejects.toThrow(/a link into namespace other/);
    await m.commit({ op: 'link', key: 'loop1', target: 'loop2' }, { op: 'link', key: 'loop2', target: 'loop1' });
    await expect(m.commit(put('loop1.x', 1))).rejects.toThrow(/too many levels of symbolic links/);
  });

  it('append concatenates strings and bytes, creates a missing key, and logs only the appended data', async () => {
    const m = new Memory();
    const first = await m.commit({ op: 'append', key: 'log', data: { type: 'json', value: 'a\n' } });
    expect(first.sets).toEqual([['log', { op: 'set', entry: json('a\n') }]]);
    const fx = await m.commit(
      { op: 'append', key: 'log', data: { type: 'json', value: 'b\n' } },
      { op: 'append', key: 'log', data: { type: 'json', value: 'c\n' } },
    );
    expect(fx.sets).toEqual([['log', { op: 'append', data: { type: 'json', value: 'b\nc\n' } }]]);
    expect(m.value('log')).toBe('a\nb\nc\n');
    await m.commit({ op: 'put', key: 'bin', entry: { type: 'raw', data: btoa('\u0000\u0001') } });
    await m.commit({ op: 'append', key: 'bin', data: { type: 'json', value: 'x' } });
    expect(m.keys.get('bin')?.entry).toEqual({ type: 'raw', data: btoa('\u0000\u0001x') });
    await m.commit(put('n', 5));
    await expect(m.commit({ op: 'append', key: 'n', data: { type: 'json', value: 'x' } })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('check compares the version that last wrote a key (0: absent) and fails the transaction with a conflict', async () => {
    const m = new Memory();
    await m.commit({ op: 'check', key: 'c', version: 0 }, put('c', 1));
    await m.commit(put('other', 1));
    await expect(m.commit({ op: 'check', key: 'c', version: 2 }, put('c', 2))).rejects.toBeInstanceOf(ConflictError);
    await m.commit({ op: 'check', key: 'c', version: 1 }, put('c', 2));
    expect(m.value('c')).toBe(2);
  });

  it('refuses a value too large for one item, before anything is logged', async () => {
    const m = new Memory();
    const big = 'x'.repeat(420 * 1024);
    const err = await planCommit([put('big', big)], {
      namespace: 'primary', reader: m, version: 1, itemBytes: (k, e) => itemBytes(keyItem('K#i#primary#0', k, e, 1, 0)),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlurryError);
    expect(err).toMatchObject({ code: 'too_large', message: expect.stringMatching(/big: the value would take \d+ bytes/) });
  });

  it('normalizes keys as Flux does and names the offending operation', async () => {
    const m = new Memory();
    await m.commit(put('..a..b.', 1));
    expect(m.value('a.b')).toBe(1);
    await expect(m.commit(put('ok', 1), put('bad\u0001', 1))).rejects.toThrow(/^ops\[1\]\.key: must not contain control characters/);
  });
});

describe('lookupKey', () => {
  const open = (spaces: Record<string, Memory>) => async (ns: string) => {
    const m = spaces[ns];
    if (!m) throw new NotFoundError(`namespace ${ns} not found`);
    return m;
  };

  it('reads values, refuses directories unless listed, and lists children or all descendants', async () => {
    const m = new Memory();
    await m.commit(put('a.b', 1), put('a.c.d', 'x'));
    expect(await lookupKey(m, 'a.b', {}, open({}))).toMatchObject({ key: 'a.b', entry: json(1), version: 1, modified: 1 });
    await expect(lookupKey(m, 'a', {}, open({}))).rejects.toThrow('a: is a directory');
    await expect(lookupKey(m, 'a.b', { readdir: true }, open({}))).rejects.toThrow('a.b: not a directory');
    await expect(lookupKey(m, 'a.b.z', {}, open({}))).rejects.toThrow('a.b.z: no such key');
    const dir = await lookupKey(m, 'a', { readdir: true }, open({}));
    expect(dir.entries?.map((e) => e.key)).toEqual(['a.b', 'a.c']);
    const all = await lookupKey(m, '.', { readdir: true, recursive: true }, open({}));
    expect(all.entries?.map((e) => e.key)).toEqual(['a', 'a.b', 'a.c', 'a.c.d']);
  });

  it('follows links, into other namespaces too, and readlink returns the link itself', async () => {
    const m = new Memory();
    const other = new Memory('other');
    await other.commit(put('x.y', 'there'));
    await m.commit({ op: 'link', key: 'l', target: 'x', namespace: 'other' }, { op: 'link', key: 'm', target: 'l.y' });
    expect(await lookupKey(m, 'm', {}, open({ other }))).toMatchObject({ namespace: 'other', key: 'x.y', entry: json('there') });
    expect((await lookupKey(m, 'l', { readlink: true }, open({ other }))).entry).toEqual({ type: 'symlink', target: 'x', namespace: 'other' });
    await expect(lookupKey(m, 'm', {}, open({}))).rejects.toThrow('namespace other not found');
  });
});

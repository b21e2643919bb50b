// kvs.test.ts - `flurry kvs`: the pure pieces, then every subcommand through buildProgram as a user runs it,
// against a real instance (control plane on DynamoDB Local; no nodes needed), and once as a process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestInstance, type TestInstance } from '../../../test/support/instance.ts';
import { KvsClient } from '../../sdk/kvs.ts';
import { buildProgram } from '../program.ts';
import { eventContext, runEventlogGet } from './kvs-eventlog.ts';
import { columns, fit, putValue, splitPair, toTreeobj, treeobjOps } from './kvs-format.ts';
import { apply, runGet } from './kvs-get.ts';
import { runPut } from './kvs-write.ts';
import type { KvsContext } from './kvs.ts';
import { runCli } from '../testing.ts';

describe('kvs formatting', () => {
  it('reads KEY=VALUE as flux kvs put does: JSON when it parses, else a string', () => {
    expect(splitPair('a.b=x=y')).toEqual({ key: 'a.b', value: 'x=y' });
    expect(() => splitPair('novalue')).toThrow('expected KEY=VALUE');
    expect(putValue('42')).toBe(42);
    expect(putValue('{"a":[1]}')).toEqual({ a: [1] });
    expect(putValue('hello world')).toBe('hello world');
    expect(putValue('')).toBe('');
  });

  it('converts RFC 11 tree objects both ways', () => {
    expect(treeobjOps('k', { ver: 1, type: 'dir', data: { a: { ver: 1, type: 'val', data: 'NDI=' }, l: { ver: 1, type: 'symlink', data: { target: 'x' } } } })).toEqual([
      { op: 'mkdir', key: 'k' },
      { op: 'put', key: 'k.a', data: 'NDI=' },
      { op: 'link', key: 'k.l', target: 'x' },
    ]);
    expect(() => treeobjOps('k', { ver: 1, type: 'valref', data: ['sha1-x'] })).toThrow(/only val, dir and symlink/);
    expect(toTreeobj({ type: 'json', value: 42 })).toEqual({ ver: 1, type: 'val', data: 'NDI=' });
    const below = [
      { key: 'd.a', modified: 1, entry: { type: 'json' as const, value: 'x' } },
      { key: 'd.s', modified: 1, entry: { type: 'dir' as const } },
      { key: 'd.s.b', modified: 1, entry: { type: 'raw' as const, data: 'AA==' } },
    ];
    expect(toTreeobj({ type: 'dir' }, below, 'd')).toEqual({
      ver: 1, type: 'dir', data: { a: { ver: 1, type: 'val', data: 'eA==' }, s: { ver: 1, type: 'dir', data: { b: { ver: 1, type: 'val', data: 'AA==' } } } },
    });
  });

  it('lays names out in columns, cuts long lines, reads event contexts, applies changes', () => {
    expect(columns(['a', 'bb', 'c', 'dddd', 'e'], 14)).toBe('a     dddd\nbb    e\nc\n');
    expect(fit('abcdefghij', 8)).toBe('abcde...');
    expect(fit('abcdefghij', 0)).toBe('abcdefghij');
    expect(eventContext(['n=3', 'note=ok'])).toEqual({ n: 3, note: 'ok' });
    expect(eventContext(['{"a":', '1}'])).toEqual({ a: 1 });
    expect(() => eventContext(['[1]'])).toThrow(/KEY=VALUE/);
    expect(apply({ type: 'json', value: 'a' }, { version: 2, op: 'append', data: { type: 'json', value: 'b' } })).toEqual({ type: 'json', value: 'ab' });
    expect(apply({ type: 'json', value: 'a' }, { version: 2, op: 'unlink' })).toBeUndefined();
  });
});

let inst: TestInstance;
let client: KvsClient;
beforeAll(async () => {
  inst = await startTestInstance({ nodes: 0 });
  client = new KvsClient({ uri: inst.uri, token: inst.token });
}, 60_000);
afterAll(async () => inst?.stop());

/** `flurry kvs ARGV` in-process against the instance: stdout, stderr, exit code. */
const flurry = (...argv: string[]) => runCli(['kvs', ...argv], { ...inst.env, FLURRY_DIR: '/nonexistent', FLURRY_KVS_NAMESPACE: undefined });

/** A context whose output is collected (for commands run concurrently with others). */
function capture(ns = 'primary', stdin = new Uint8Array()): { ctx: KvsContext; out: () => string } {
  let out = '';
  const ctx: KvsContext = { client, ns, io: { out: (t) => void (out += typeof t === 'string' ? t : new TextDecoder().decode(t)), err: () => {}, stdin: async () => stdin } };
  return { ctx, out: () => out };
}

describe('flurry kvs (real instance)', () => {
  it('put and get: JSON or strings, empty values, -l, errors with exit 1', async () => {
    expect(await flurry('put', 'a.b=42', 'a.s=hello world', 'a.e=', 'a.j={"x": [1]}')).toMatchObject({ code: 0 });
    expect((await flurry('get', 'a.b', 'a.s', 'a.j')).out).toBe('42\nhello world\n{"x":[1]}\n');
    expect((await flurry('get', 'a.e')).out).toBe('');
    expect((await flurry('get', '-l', 'a.b', 'a.e')).out).toBe('a.b=42\na.e=\n');
    expect(await flurry('get', 'a')).toMatchObject({ code: 1, err: 'flurry: a: is a directory\n' });
    expect(await flurry('get', 'nope')).toMatchObject({ code: 1, err: 'flurry: nope: no such key\n' });
    expect((await flurry('put', '-s', 'a.b=43')).out).toMatch(/^\d+\n$/);
    expect((await flurry('put', '-A', 'a.s=!')).code).toBe(0);
    expect((await flurry('get', 'a.s')).out).toBe('hello world!\n');
  });

  it('put -r stores bytes (from standard input), get -r prints them as stored; -t reads and writes tree objects', async () => {
    const bytes = new Uint8Array([0, 1, 2, 255, 10]);
    const { ctx } = capture('primary', bytes);
    await runPut(ctx, ['blob=-'], { raw: true });
    const got = capture();
    await runGet(got.ctx, ['blob'], { raw: true });
    expect((await client.lookup('primary', 'blob')).entry).toEqual({ type: 'raw', data: 'AAEC/wo=' });
    expect((await flurry('put', '-t', 't={"ver":1,"type":"dir","data":{"v":{"ver":1,"type":"val","data":"NDI="}}}')).code).toBe(0);
    expect((await flurry('get', 't.v')).out).toBe('42\n');
    expect(JSON.parse((await flurry('get', '-t', 't')).out)).toEqual({ ver: 1, type: 'dir', data: { v: { ver: 1, type: 'val', data: 'NDI=' } } });
  });

  it('ls, dir, unlink, mkdir, link, readlink, copy and move behave as Flux\'s', async () => {
    await flurry('put', 'l.a=1', 'l.b.c=x', 'l.b.d=2');
    expect((await flurry('ls', 'l')).out).toBe('a\nb\n');
    expect((await flurry('ls', '-R', '-F', 'l')).out).toBe('l:\na\nb.\n\nl.b:\nc\nd\n');
    expect((await flurry('dir', 'l')).out).toBe('l.a = 1\nl.b.\n');
    expect((await flurry('dir', '-R', 'l')).out).toBe('l.a = 1\nl.b.c = x\nl.b.d = 2\n');
    expect((await flurry('dir', '-R', '-w', '8', 'l')).out).toBe('l.a = 1\nl.b.c...\nl.b.d...\n');
    expect(await flurry('unlink', 'l.b')).toMatchObject({ code: 1, err: expect.stringContaining('l.b is a directory') });
    expect((await flurry('unlink', '-R', 'l.b')).code).toBe(0);
    expect((await flurry('unlink', '-f', 'l.zz')).code).toBe(0);
    expect(await flurry('unlink', 'l.zz')).toMatchObject({ code: 1, err: 'flurry: l.zz: no such key\n' });
    await flurry('mkdir', 'l.empty');
    expect((await flurry('ls', '-F', 'l')).out).toBe('a\nempty.\n');
    await flurry('link', 'l.a', 'l.alias');
    await flurry('link', '-T', 'other', 'x.y', 'l.far');
    expect((await flurry('get', 'l.alias')).out).toBe('1\n');
    expect((await flurry('readlink', 'l.alias', 'l.far')).out).toBe('l.a\nother::x.y\n');
    expect((await flurry('readlink', '-o', 'l.far')).out).toBe('other\n');
    await flurry('copy', 'l', 'l2');
    expect((await flurry('dir', '-R', 'l2')).out).toBe('l2.a = 1\nl2.alias -> l.a\nl2.far -> other::x.y\n');
    await flurry('move', 'l2', 'l3');
    expect(await flurry('get', 'l2.a')).toMatchObject({ code: 1 });
    expect((await flurry('get', 'l3.a')).out).toBe('1\n');
  });

  it('version, wait, and watch follow commits as they land', async () => {
    const v = Number((await flurry('version')).out);
    expect(v).toBeGreaterThan(0);
    const watching = capture();
    const watch = runGet(watching.ctx, ['w.counter'], { watch: true, waitcreate: true, count: 3 });
    const waited = capture();
    const wait = (async () => {
      const { runWait } = await import('./kvs-namespace.ts');
      return runWait(waited.ctx, String(v + 3));
    })();
    for (let i = 1; i <= 3; i++) await client.commit('primary', [{ op: 'put', key: 'w.counter', value: i }]);
    expect(await wait).toBe(0);
    expect(await watch).toBe(0);
    expect(watching.out()).toBe('1\n2\n3\n');
    expect(Number((await flurry('version')).out)).toBe(v + 3);
  });

  it('eventlog append and get, with -w following appends in order, and wait-event', async () => {
    const following = capture();
    const follow = runEventlogGet(following.ctx, 'ev.log', { waitcreate: true, watch: true, count: 4, unformatted: true });
    const waiting = capture();
    const waitEvent = runEventlogGet(waiting.ctx, 'ev.log', { waitcreate: true, until: 'done' });
    for (let i = 0; i < 3; i++) expect((await flurry('eventlog', 'append', '-t', String(1_700_000_000 + i), 'ev.log', 'step', `n=${i}`)).code).toBe(0);
    await flurry('eventlog', 'append', '-t', '1700000009', 'ev.log', 'done', '{"status": 0}');
    await follow;
    await waitEvent;
    expect(following.out().trim().split('\n').map((l) => JSON.parse(l).name)).toEqual(['step', 'step', 'step', 'done']);
    expect(waiting.out()).toBe('1700000009.000000 done status=0\n');
    expect((await flurry('eventlog', 'get', 'ev.log')).out).toBe(
      '1700000000.000000 step n=0\n1700000001.000000 step n=1\n1700000002.000000 step n=2\n1700000009.000000 done status=0\n',
    );
  });

  it('namespace create, list and remove; -N selects one; other users cannot see it', async () => {
    expect((await flurry('namespace', 'create', '-o', 'bob', 'team')).code).toBe(0);
    expect(await flurry('namespace', 'create', 'team')).toMatchObject({ code: 1, err: expect.stringContaining('namespace team already exists') });
    expect((await flurry('namespace', 'list')).out).toMatch(/^NAMESPACE +OWNER\nprimary +\(instance owner\)\nteam +bob\n$/);
    await flurry('put', '-N', 'team', 'k=v');
    expect((await flurry('get', '-N', 'team', 'k')).out).toBe('v\n');
    const carol = new KvsClient({ uri: inst.uri, token: await inst.server.plane.auth.issue('carol', 'user', 'test') });
    await expect(carol.lookup('team', 'k')).rejects.toThrow('namespace team not found');
    await expect(carol.lookup('primary', 'a.b')).rejects.toThrow(/instance owner only/);
    expect((await flurry('namespace', 'remove', 'team')).code).toBe(0);
    expect(await flurry('get', '-N', 'team', 'k')).toMatchObject({ code: 1, err: 'flurry: namespace team not found\n' });
  });

  it('has help with examples on every command', async () => {
    for (const sub of [['get'], ['put'], ['ls'], ['dir'], ['unlink'], ['link'], ['readlink'], ['mkdir'], ['copy'], ['move'], ['version'], ['wait'], ['watch'], ['namespace', 'create'], ['namespace', 'remove'], ['namespace', 'list'], ['eventlog', 'append'], ['eventlog', 'get'], ['eventlog', 'wait-event']]) {
      const r = await flurry(...sub, '--help');
      expect(r.out, sub.join(' ')).toMatch(/Examples:\n {2}\$ flurry kvs/);
    }
  });

  it('runs as a process from the built CLI', async () => {
    const run = promisify(execFile);
    const bin = fileURLToPath(new URL('../../../bin/flurry.mjs', import.meta.url));
    const env = { ...process.env, ...inst.env, FLURRY_DIR: '/nonexistent' };
    await run(process.execPath, [bin, 'kvs', 'put', 'proc.k=from a process'], { env });
    expect((await run(process.execPath, [bin, 'kvs', 'get', 'proc.k'], { env })).stdout).toBe('from a process\n');
  });
});

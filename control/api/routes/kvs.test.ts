// kvs.test.ts - the /v1/kvs routes through app.request, over the real KVS service on DynamoDB Local (the job and
// auth parts come from the recording double): shapes, errors and their field paths, long polls, access.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTable } from '../../../test/support/dynamo.ts';
import { LocalNotifier } from '../../jobs/notifier.ts';
import { Kvs } from '../../kvs/service.ts';
import { KvsTable } from '../../store/kvs.ts';
import { createApp } from '../app.ts';
import { FakeServices, JOB_F58, JOB_ID, send } from '../fake-services.ts';

let app: ReturnType<typeof createApp>;
const P = '/v1/kvs/namespaces/primary';

beforeAll(async () => {
  const t = await createTestTable('kvs-routes');
  const kvs = new Kvs({
    iid: 'routes',
    table: new KvsTable({ doc: t.doc, table: t.tableName }),
    notifier: new LocalNotifier(),
    jobOwner: async (id) => (id === JOB_ID ? 'bob' : undefined),
  });
  app = createApp({ ...new FakeServices().services, kvs }, { maxWaitSeconds: 5 });
});

const commit = (ops: unknown[], ns = 'primary', token?: string) => send(app, 'POST', `/v1/kvs/namespaces/${encodeURIComponent(ns)}/commit`, { json: { ops }, token });
const lookup = (query: string, ns = 'primary', token?: string) => send(app, 'GET', `/v1/kvs/namespaces/${encodeURIComponent(ns)}/lookup?${query}`, { token });

describe('/v1/kvs', () => {
  it('commits a transaction and looks keys up: JSON values, raw bytes, empty strings, directories, links', async () => {
    const res = await commit([
      { op: 'put', key: 'a.s', value: '' },
      { op: 'put', key: 'a.n', value: { x: [1, null] } },
      { op: 'put', key: 'a.r', data: btoa('\u0000\u00ff') },
      { op: 'link', key: 'l', target: 'a.n' },
    ]);
    expect(res).toMatchObject({ status: 200, body: { namespace: 'primary', version: 1 } });
    expect((await lookup('key=a.s')).body).toEqual({ namespace: 'primary', key: 'a.s', version: 1, modified: 1, entry: { type: 'json', value: '' } });
    expect((await lookup('key=a.r')).body.entry).toEqual({ type: 'raw', data: btoa('\u0000\u00ff') });
    expect((await lookup('key=l')).body).toMatchObject({ key: 'a.n', entry: { type: 'json', value: { x: [1, null] } } });
    expect((await lookup('key=l&readlink=true')).body.entry).toEqual({ type: 'symlink', target: 'a.n' });
    const dir = await lookup('key=a&readdir=1&values=false');
    expect(dir.body.entries).toEqual([
      { key: 'a.n', modified: 1, entry: { type: 'json' } },
      { key: 'a.r', modified: 1, entry: { type: 'raw' } },
      { key: 'a.s', modified: 1, entry: { type: 'json' } },
    ]);
    expect((await lookup('key=.&readdir=true&recursive=true')).body.entries.map((e: { key: string }) => e.key)).toEqual(['a', 'a.n', 'a.r', 'a.s', 'l']);
  });

  it('answers errors in the common shape, naming the request field', async () => {
    expect(await lookup('key=a')).toMatchObject({ status: 400, body: { error: { code: 'invalid', message: 'a: is a directory' } } });
    expect(await lookup('key=nope')).toMatchObject({ status: 404, body: { error: { code: 'not_found', message: 'nope: no such key' } } });
    expect(await lookup('key=bad%01')).toMatchObject({ status: 400, body: { error: { field: 'query.key' } } });
    expect(await commit([{ op: 'put', key: 'x' }])).toMatchObject({ status: 400, body: { error: { message: expect.stringContaining('exactly one of value or data') } } });
    expect(await commit([{ op: 'frob', key: 'x' }])).toMatchObject({ status: 400, body: { error: { field: expect.stringMatching(/^body\.ops\[0\]/) } } });
    expect(await commit([{ op: 'put', key: 'ok', value: 1 }, { op: 'put', key: 'bad\u0001', value: 1 }])).toMatchObject({
      status: 400, body: { error: { field: 'body.ops[1].key' } },
    });
    expect(await commit([{ op: 'put', key: 'x', data: 'not base64!' }])).toMatchObject({ status: 400, body: { error: { field: 'body.ops[0].data' } } });
    expect(await commit([{ op: 'check', key: 'a.s', version: 7 }])).toMatchObject({ status: 409, body: { error: { code: 'conflict' } } });
    expect(await commit([{ op: 'put', key: 'big', value: 'x'.repeat(500 * 1024) }])).toMatchObject({ status: 413, body: { error: { code: 'too_large' } } });
    expect(await send(app, 'GET', '/v1/kvs/namespaces/bad%23name/version')).toMatchObject({ status: 400, body: { error: { field: 'path.ns' } } });
    expect(await send(app, 'GET', `${P}/version`, { token: null })).toMatchObject({ status: 401 });
  });

  it('reports the version, waits for one, and watches a key by long polling', async () => {
    const { body } = await send(app, 'GET', `${P}/version`);
    const v = body.version as number;
    expect((await send(app, 'GET', `${P}/wait?version=${v}`)).body).toEqual({ namespace: 'primary', version: v, reached: true });
    const waiting = send(app, 'GET', `${P}/wait?version=${v + 1}&wait=5`);
    const watching = send(app, 'GET', `${P}/watch?key=w&after=${v}&wait=5`);
    await new Promise((r) => setTimeout(r, 100));
    await commit([{ op: 'append', key: 'w', value: 'one\n' }]);
    expect((await waiting).body).toEqual({ namespace: 'primary', version: v + 1, reached: true });
    expect((await watching).body).toEqual({ changes: [{ version: v + 1, op: 'set', entry: { type: 'json', value: 'one\n' } }], version: v + 1 });
    await commit([{ op: 'append', key: 'w', value: 'two\n' }]);
    await commit([{ op: 'unlink', key: 'w' }]);
    expect((await send(app, 'GET', `${P}/watch?key=w&after=${v + 1}`)).body).toEqual({
      changes: [{ version: v + 2, op: 'append', data: { type: 'json', value: 'two\n' } }, { version: v + 3, op: 'unlink' }],
      version: v + 3,
    });
    expect((await send(app, 'GET', `${P}/wait?version=${v + 99}&wait=0.1`)).body).toMatchObject({ reached: false });
  });

  it('manages namespaces and keeps them to their owners', async () => {
    expect(await send(app, 'POST', '/v1/kvs/namespaces', { json: { name: 'team', owner: 'bob' } })).toMatchObject({ status: 201, body: { name: 'team', owner: 'bob' } });
    expect(await send(app, 'POST', '/v1/kvs/namespaces', { json: { name: 'team' } })).toMatchObject({ status: 409 });
    expect(await send(app, 'POST', '/v1/kvs/namespaces', { json: { name: 'mine' }, token: 'tok-user' })).toMatchObject({ status: 403 });
    expect(await commit([{ op: 'put', key: 'k', value: 1 }], 'team', 'tok-user')).toMatchObject({ status: 200 });
    expect(await lookup('key=k', 'primary', 'tok-user')).toMatchObject({ status: 403 });
    const jobNs = `job-${JOB_F58}`;
    expect(await commit([{ op: 'put', key: 'out', value: 'hi' }], `job-${JOB_ID}`, 'tok-user')).toMatchObject({ status: 200, body: { namespace: `job-${JOB_ID}` } });
    expect((await lookup('key=out', jobNs, 'tok-user')).body).toMatchObject({ namespace: jobNs, entry: { value: 'hi' } });
    expect((await send(app, 'GET', '/v1/kvs/namespaces', { token: 'tok-user' })).body.namespaces.map((n: { name: string }) => n.name).sort()).toEqual([jobNs, 'team']);
    expect(await send(app, 'DELETE', '/v1/kvs/namespaces/team')).toMatchObject({ status: 200, body: { name: 'team' } });
    expect(await lookup('key=k', 'team', 'tok-user')).toMatchObject({ status: 404, body: { error: { message: 'namespace team not found' } } });
    expect(await send(app, 'DELETE', '/v1/kvs/namespaces/primary')).toMatchObject({ status: 403 });
  });

  it('answers 503 when the instance has no KVS', async () => {
    const bare = createApp(new FakeServices().services);
    expect(await send(bare, 'GET', `${P}/version`)).toMatchObject({ status: 503, body: { error: { code: 'unavailable' } } });
  });
});

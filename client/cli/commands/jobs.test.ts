// jobs.test.ts - `flurry jobs`: Flux's columns and formats, the queries it sends, paging, --json, errors; and the
// whole command through buildProgram against the real HTTP API (over fake services) on a local port.
import { serve, type ServerType } from '@hono/node-server';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../control/api/app.ts';
import { FakeServices, SUMMARY } from '../../../control/api/fake-services.ts';
import type { JobSummary as ServiceSummary } from '../../../control/services.ts';
import { FlurryClient } from '../../sdk/client.ts';
import type { JobSummary } from '../../sdk/types.ts';
import { buildProgram } from '../program.ts';
import { formatJobs, listJobs } from './jobs.ts';
import { runCli } from '../testing.ts';

const appClient = (fake: FakeServices) => {
  const app = createApp(fake.services);
  return new FlurryClient({ uri: 'http://flurry.test', token: 'tok-owner', fetch: async (url, init) => app.request(url, init) });
};

const NOW = 1_700_000_100;
const job = (over: Partial<JobSummary>): JobSummary => ({
  id: 'ƒuZZybuNNy', owner: 'alice', name: 'hostname', state: 'RUN', stateCode: 'R', urgency: 16, t_submit: NOW - 10, runtime: 0, duration: 0, ...over,
});

describe('formatJobs', () => {
  it("prints Flux's columns: JOBID USER NAME ST NTASKS NNODES TIME INFO", () => {
    const out = formatJobs(
      [
        job({ name: 'averyveryverylongname', state: 'RUN', stateCode: 'R', ntasks: 8, nnodes: 2, nodelist: 'n[1-2]', runtime: 74.2 }),
        job({ owner: 'bob', state: 'SCHED', stateCode: 'S', ntasks: 1, urgency: 0 }),
        job({ state: 'PRIORITY', stateCode: 'P', ntasks: 1 }),
        job({ state: 'INACTIVE', stateCode: 'CD', result: 'COMPLETED', ntasks: 1, nnodes: 1, nodelist: 'n3', runtime: 0.0123, exitCode: 0 }),
        job({ state: 'INACTIVE', stateCode: 'CA', result: 'CANCELED', ntasks: 1, exception: { type: 'cancel', severity: 0, note: 'no longer needed' } }),
      ],
      undefined,
      { now: NOW },
    );
    expect(out).toBe(
      [
        '       JOBID USER     NAME       ST NTASKS NNODES     TIME INFO',
        '  ƒuZZybuNNy alice    averyvery+  R      8      2   1.237m n[1-2]',
        '  ƒuZZybuNNy bob      hostname    S      1      -        - held',
        '  ƒuZZybuNNy alice    hostname    P      1      -        - priority-wait',
        '  ƒuZZybuNNy alice    hostname   CD      1      1   0.012s n3',
        '  ƒuZZybuNNy alice    hostname   CA      1      -        - cancel: no longer needed',
        '',
      ].join('\n'),
    );
  });

  it('takes a custom format, named formats, and no header', () => {
    const j = job({ state: 'INACTIVE', stateCode: 'F', result: 'FAILED', signal: 9, exception: { type: 'exec', severity: 0, note: 'x' } });
    expect(formatJobs([j], '{id} {id.hex} {status} {returncode} {exception.type} {inactive_reason}', { header: false, now: NOW })).toBe(
      '6731191091817518 0x17e9fb8df16c2e FAILED -9 exec Exception: type=exec note=x\n',
    );
    expect(formatJobs([j], 'deps', { now: NOW }).split('\n')[0]).toBe('       JOBID USER     NAME       ST INFO');
    expect(() => formatJobs([j], 'nonesuch', { now: NOW })).toThrow('--format: unknown format name "nonesuch" (named formats: default, long, deps)');
    expect(() => formatJobs([j], '{id} {wat}', { now: NOW })).toThrow(/--format: unknown field "wat"/);
  });
});

describe('listJobs', () => {
  const listed = (fake: FakeServices) => fake.callsOf('list').map((args) => args[1]);

  it("asks for the caller's active jobs by default, all states with -a, everyone's with -A", async () => {
    const fake = new FakeServices();
    fake.answers.list = { jobs: [SUMMARY] };
    const client = appClient(fake);
    await listJobs(client, [], {});
    await listJobs(client, [], { all: true, allUsers: true, name: 'app' });
    await listJobs(client, [], { filter: 'failed,canceled', user: 'all' });
    expect(listed(fake)).toEqual([
      { limit: 1000 },
      { filter: 'pending,running,inactive', user: '*', name: 'app', limit: 1000 },
      { filter: 'failed,canceled', user: '*', limit: 1000 },
    ]);
  });

  it('pages through cursors until --count jobs', async () => {
    const fake = new FakeServices();
    const page = (n: number, cursor?: string) => ({ jobs: Array.from({ length: n }, (_, i): ServiceSummary => ({ ...SUMMARY, id: BigInt(1000 + i) })), ...(cursor ? { cursor } : {}) });
    fake.services.jobs.list = async (_c, q) => (q.cursor === undefined ? page(3, 'c2') : page(2));
    const r = await listJobs(appClient(fake), [], { count: '4', header: false, format: '{id}' });
    expect(r.out.trim().split('\n')).toHaveLength(4);
    const all = await listJobs(appClient(fake), [], { header: false, format: '{id}' });
    expect(all.out.trim().split('\n')).toHaveLength(5);
  });

  it('--json prints the JSON array of job summaries', async () => {
    const fake = new FakeServices();
    fake.answers.list = { jobs: [SUMMARY] };
    const r = await listJobs(appClient(fake), [], { json: true });
    const arr = JSON.parse(r.out);
    expect(arr).toHaveLength(1);
    expect(arr[0]).toMatchObject({ id: 'ƒuZZybuNNy', owner: 'alice', state: 'RUN' });
  });

  it('rejects a bad --filter or --format before asking the server', async () => {
    const fake = new FakeServices();
    await expect(listJobs(appClient(fake), [], { filter: 'runing' })).rejects.toThrow(/^--filter: unknown job state or result "runing"/);
    await expect(listJobs(appClient(fake), [], { format: '{nope}' })).rejects.toThrow(/unknown field "nope"/);
    await expect(listJobs(appClient(fake), [], { count: 'x' })).rejects.toThrow(/--count/);
    expect(fake.calls).toEqual([]);
  });

  it('lists given ids, reporting the ones it cannot get', async () => {
    const fake = new FakeServices();
    const r = await listJobs(appClient(fake), ['ƒuZZybuNNy', '6731191091817518'], { header: false, format: '{id.f58} {nodelist}' });
    expect(r).toEqual({ out: 'ƒuZZybuNNy n1\nƒuZZybuNNy n1\n', err: '', exitCode: 0 });
    const { NotFoundError } = await import('../../../control/core/errors.ts');
    fake.failNext('info', new NotFoundError('job ƒuZZybuNNy not found'));
    const bad = await listJobs(appClient(fake), ['ƒuZZybuNNy'], {});
    expect(bad.err).toBe('flurry-jobs: ƒuZZybuNNy: job ƒuZZybuNNy not found\n');
    expect(bad.exitCode).toBe(1);
    await expect(listJobs(appClient(fake), ['nope'], {})).rejects.toThrow(/invalid job id "nope"/);
  });
});

describe('flurry jobs, through the program and a real HTTP server', () => {
  let server: ServerType;
  let uri: string;
  let dir: string;
  const fake = new FakeServices();
  fake.answers.list = { jobs: [SUMMARY] };

  beforeAll(async () => {
    const app = createApp(fake.services);
    uri = await new Promise<string>((resolve) => {
      server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(`http://127.0.0.1:${info.port}`));
    });
    dir = mkdtempSync(join(tmpdir(), 'flurry-jobs-'));
    writeFileSync(join(dir, 'token'), 'tok-user\n', { mode: 0o600 });
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    return new Promise<void>((r) => server.close(() => r()));
  });

  const flurry = (argv: string[], env: Record<string, string | undefined>) => runCli(argv, env);

  it('uses --uri and --token-file given before the command', async () => {
    const r = await flurry(['--uri', uri, '--token-file', join(dir, 'token'), 'jobs', '-n', '-o', '{id.f58} {username}'], { FLURRY_URI: undefined, FLURRY_TOKEN: undefined });
    expect(r).toEqual({ out: 'ƒuZZybuNNy alice\n', err: '', code: 0 });
    expect(fake.callsOf('authenticate').at(-1)).toEqual(['tok-user']);
  });

  it('uses FLURRY_URI and FLURRY_TOKEN', async () => {
    const r = await flurry(['jobs', '-A'], { FLURRY_URI: uri, FLURRY_TOKEN: 'tok-owner' });
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toBe('       JOBID USER     NAME       ST NTASKS NNODES     TIME INFO');
  });

  it('explains a missing instance and a refused token', async () => {
    const none = await flurry(['jobs'], { FLURRY_URI: undefined, FLURRY_TOKEN: undefined, FLURRY_TOKEN_FILE: undefined, FLURRY_DIR: dir });
    expect(none).toMatchObject({ code: 1, err: 'flurry: no Flurry instance found: start one with "flurry start", or set FLURRY_URI and FLURRY_TOKEN\n' });
    const refused = await flurry(['jobs'], { FLURRY_URI: uri, FLURRY_TOKEN: 'wrong' });
    expect(refused).toMatchObject({ code: 1, err: 'flurry: invalid or unknown token\n' });
  });
});

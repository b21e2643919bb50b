// cli-api.test.ts - the job-facing commands through buildProgram, as a user runs them, against the real HTTP API
// (control/api over fake services) on a local port: run, submit, job info/eventlog/attach, cancel, resource.
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../../control/api/app.ts';
import { FakeServices, JOB_ID } from '../../../control/api/fake-services.ts';
import { ForbiddenError } from '../../../control/core/errors.ts';
import { buildProgram } from '../program.ts';
import { runCli } from '../testing.ts';

let fake: FakeServices;
let server: ServerType;
let uri: string;

beforeAll(async () => {
  // Each test gets fresh fake services behind the same server.
  const app = createApp({
    jobs: new Proxy({} as FakeServices['services']['jobs'], { get: (_t, k) => (fake.services.jobs as any)[k] }),
    resources: new Proxy({} as FakeServices['services']['resources'], { get: (_t, k) => (fake.services.resources as any)[k] }),
    auth: { authenticate: (t) => fake.services.auth.authenticate(t) },
  });
  uri = await new Promise<string>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => resolve(`http://127.0.0.1:${info.port}`));
  });
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  fake = new FakeServices();
});

const EVENTS = (status: number) => [
  { timestamp: 1_700_000_000.5, name: 'submit', context: { userid: 'alice', urgency: 16, flags: 0, version: 1 } },
  { timestamp: 1_700_000_000.6, name: 'start' },
  { timestamp: 1_700_000_000.7, name: 'finish', context: { status } },
  { timestamp: 1_700_000_000.8, name: 'clean' },
];

/** `flurry ARGV` in-process with FLURRY_URI/FLURRY_TOKEN set: stdout, stderr (commander's and ours), exit code. */
const flurry = (...argv: string[]) => runCli(argv, { FLURRY_URI: uri, FLURRY_TOKEN: 'tok-owner', FOO_SECRET_KEEP: 'x' });

describe('flurry run', () => {
  it("submits once, prints the job's output and exits with its exit code", async () => {
    fake.answers.eventlog = { events: EVENTS(2 << 8), next: 4, done: true };
    fake.answers.output = { entries: [{ stream: 'stdout', task: 0, data: 'n1\n' }, { stream: 'stderr', task: 0, data: 'oops\n' }], cursor: 'c', done: true, truncated: false };
    const r = await flurry('run', '-n2', 'hostname');
    expect(r).toEqual({ out: 'n1\n', err: 'oops\nflurry-run: task(s) exited with exit code 2\n', code: 2 });
    expect(fake.callsOf('submit')).toHaveLength(1);
    const input = fake.callsOf('submit')[0]![1] as { jobspecs: Array<{ tasks: Array<{ command: string[] }> }>; clientToken: string };
    expect(input.jobspecs[0]!.tasks[0]!.command).toEqual(['hostname']);
    expect(input.clientToken).toBeTruthy();
  });

  it('keeps credentials out of the job', async () => {
    fake.answers.eventlog = { events: EVENTS(0), next: 4, done: true };
    await flurry('run', 'true');
    const env = (fake.callsOf('submit')[0]![1] as { jobspecs: Array<{ attributes: { system: { environment: Record<string, string> } } }> }).jobspecs[0]!.attributes.system.environment;
    expect(env.FLURRY_TOKEN).toBeUndefined();
    expect(env.FOO_SECRET_KEEP).toBe('x');
  });

  it('refuses --cc', async () => {
    const r = await flurry('run', '--cc', '1-2', 'true');
    expect(r).toMatchObject({ code: 1, err: expect.stringMatching(/--cc is not supported by run/) });
  });
});

describe('flurry submit', () => {
  it('prints the f58 id', async () => {
    expect(await flurry('submit', 'true')).toEqual({ out: 'ƒuZZybuNNy\n', err: '', code: 0 });
  });

  it('--cc prints one id per line in order, --quiet none', async () => {
    fake.services.jobs.submit = async (_c, input) => ({ ids: (input.cc ?? [0]).map((i) => JOB_ID + BigInt(i)) });
    const r = await flurry('submit', '--cc', '1-3', 'true');
    expect(r.out.trim().split('\n')).toHaveLength(3);
    expect(new Set(r.out.trim().split('\n')).size).toBe(3);
    expect(await flurry('submit', '--cc', '1-3', '--quiet', 'true')).toEqual({ out: '', err: '', code: 0 });
  });

  it('--wait exits with the highest exit code', async () => {
    fake.answers.eventlog = { events: EVENTS(0), next: 4, done: true };
    fake.answers.info = { ...fake.answers.info, state: 'INACTIVE', stateCode: 'F', result: 'FAILED', exitCode: 3 };
    const r = await flurry('submit', '--wait', 'false');
    expect(r).toEqual({ out: 'ƒuZZybuNNy\n', err: '', code: 3 });
  });
});

describe('flurry job', () => {
  it('info prints a summary, or the jobspec, R or eventlog as JSON', async () => {
    expect((await flurry('job', 'info', 'ƒuZZybuNNy')).out).toMatch(/^ +id: ƒuZZybuNNy \(6731191091817518\)\n/);
    const js = await flurry('job', 'info', '6731191091817518', 'jobspec');
    expect(JSON.parse(js.out)).toMatchObject({ version: 1 });
    expect(JSON.parse((await flurry('job', 'info', 'ƒuZZybuNNy', 'R')).out)).toMatchObject({ version: 1, execution: { nodelist: ['n1'] } });
    const log = await flurry('job', 'info', 'ƒuZZybuNNy', 'eventlog');
    expect(JSON.parse(log.out.split('\n')[0]!)).toMatchObject({ name: 'submit' });
    expect(await flurry('job', 'info', 'ƒuZZybuNNy', 'bogus')).toMatchObject({ code: 1, err: 'flurry: job info: unknown key "bogus" (use jobspec, R, eventlog)\n' });
  });

  it('info R of a job not yet allocated is an error', async () => {
    const { R: _R, ...pending } = fake.answers.info;
    fake.answers.info = pending;
    expect(await flurry('job', 'info', 'ƒuZZybuNNy', 'R')).toMatchObject({ code: 1, err: 'flurry: job info: ƒuZZybuNNy has no R (it has not been allocated resources)\n' });
  });

  it('eventlog prints Flux lines, or JSON', async () => {
    fake.answers.eventlog = { events: EVENTS(0), next: 4, done: true };
    const r = await flurry('job', 'eventlog', 'ƒuZZybuNNy');
    expect(r.out.split('\n')[0]).toBe('1700000000.500000 submit userid="alice" urgency=16 flags=0 version=1');
    expect(r.out.split('\n')[2]).toBe('1700000000.700000 finish status=0');
    const j = await flurry('job', 'eventlog', '-f', 'json', 'ƒuZZybuNNy');
    expect(JSON.parse(j.out.split('\n')[1]!)).toEqual({ timestamp: 1_700_000_000.6, name: 'start' });
    const f = await flurry('job', 'eventlog', '-F', '-T', 'offset', 'ƒuZZybuNNy');
    expect(f.out.split('\n')[3]).toBe('0.300000 clean');
  });

  it('attach streams an existing job and exits with its code', async () => {
    fake.answers.eventlog = { events: EVENTS(9), next: 4, done: true };
    const r = await flurry('job', 'attach', 'ƒuZZybuNNy');
    expect(r).toEqual({ out: 'n1\n', err: 'flurry-job: task(s) killed by SIGKILL\n', code: 137 });
  });

  it('a bad id is an error before any request', async () => {
    const r = await flurry('job', 'info', 'xyz!');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^flurry: invalid job id "xyz!"/);
    expect(fake.calls).toEqual([]);
  });
});

describe('flurry cancel and resource', () => {
  it('cancel reports per id and exits 1 on any failure', async () => {
    expect(await flurry('cancel', '-m', 'bye', 'ƒuZZybuNNy')).toEqual({ out: '', err: '', code: 0 });
    expect(fake.callsOf('cancel')[0]![2]).toBe('bye');
    const r = await flurry('cancel', 'ƒuZZybuNNy', 'nope');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^flurry-cancel: invalid job id "nope"/);
  });

  it('resource list, drain with a reason, undrain', async () => {
    expect((await flurry('resource', 'list')).out.split('\n')[1]).toBe('      free      1        4        0 n1');
    expect(await flurry('resource', 'drain', 'n1', 'bad', 'DIMM')).toEqual({ out: '', err: '', code: 0 });
    expect(fake.callsOf('drain')[0]!.slice(1)).toEqual(['n1', 'bad DIMM']);
    expect(await flurry('resource', 'undrain', 'n1')).toEqual({ out: '', err: '', code: 0 });
    expect(fake.callsOf('undrain')[0]![1]).toBe('n1');
    fake.failNext('drain', new ForbiddenError('only the instance owner may drain nodes'));
    expect(await flurry('resource', 'drain', 'n1')).toMatchObject({ code: 1, err: 'flurry: only the instance owner may drain nodes\n' });
    expect((await flurry('resource', 'info')).out).toBe('1 Nodes, 4 Cores, 0 GPUs\n');
  });

  it('--help of each command has an example', async () => {
    for (const argv of [['run'], ['submit'], ['jobs'], ['cancel'], ['resource'], ['resource', 'list'], ['job', 'info'], ['job', 'attach'], ['job', 'eventlog']]) {
      const r = await flurry(...argv, '--help');
      expect(r.out, argv.join(' ')).toMatch(/Examples?:\n\s+\$ flurry /);
    }
  });
});

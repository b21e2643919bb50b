// lambda-lifecycle.test.ts - a job's whole life driven only through the Lambda handlers (http, ws, tick), each in
// its own simulated container, against DynamoDB Local; the Management API, Lambda Invoke and Secrets Manager are
// mocked, and every frame the control plane posts to the agent's connection is checked. No Node server runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobspecFromShape } from '../../control/core/jobspec/index.ts';
import { createHttpHandler, type HttpHandler } from '../../control/lambda/http.ts';
import type { LambdaContext } from '../../control/lambda/context.ts';
import { createTickHandler, type TickHandler } from '../../control/lambda/tick.ts';
import { createWsHandler, type WsHandler } from '../../control/lambda/ws.ts';
import { createVerifier } from '../../control/security/signing.ts';
import { signClaims, verifyClaims } from '../../control/security/tokens.ts';
import { httpEvent, jsonOf, wsEvent } from './events.ts';
import { deployInstance, installFakeAws, messagesTo, TICK_FUNCTION, type AwsInstance, type FakeAws } from './fake-aws.ts';

let fake: FakeAws;
let inst: AwsInstance;
const ctx: Record<'http' | 'ws' | 'tick', LambdaContext | undefined> = { http: undefined, ws: undefined, tick: undefined };
let http: HttpHandler;
let ws: WsHandler;
let tick: TickHandler;
const CONN = 'Zx1ConnA=';

beforeAll(async () => {
  fake = installFakeAws();
  inst = await deployInstance(fake);
  // Three functions, three containers: they share nothing but the table.
  http = createHttpHandler(async () => (ctx.http ??= await inst.container('flurry-http')));
  ws = createWsHandler(async () => (ctx.ws ??= await inst.container('flurry-ws')));
  tick = createTickHandler(async () => (ctx.tick ??= await inst.container(TICK_FUNCTION)), { settleMs: 0 });
}, 60_000);
afterAll(() => fake?.restore());

const api = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
  const res = await http(httpEvent(method, path, { token: inst.ownerToken, body }));
  return { status: res.statusCode, body: jsonOf<T>(res) };
};
const frame = (messages: object[]) => ws(wsEvent('$default', CONN, JSON.stringify(messages)));
let agentIds = 0;
const msg = (type: string, fields: object) => ({ v: 1, id: `a${++agentIds}`, type, ...fields });

describe('the control plane on Lambda handlers', () => {
  let jobA = '';
  let jobB = '';

  it('gives each container its own FLUID generator id from the META counter', async () => {
    await http(httpEvent('GET', '/v1/health'));
    await ws(wsEvent('$connect', CONN));
    await tick({ source: 'aws.events', 'detail-type': 'Scheduled Event' });
    const ids = [ctx.http!.generatorId, ctx.ws!.generatorId, ctx.tick!.generatorId];
    expect(new Set(ids).size).toBe(3);
    expect(new Set([ctx.http!.fluidEpochMs, ctx.ws!.fluidEpochMs, ctx.tick!.fluidEpochMs]).size).toBe(1);
    expect(fake.posts).toEqual([]); // $connect posts nothing: the connection is not open yet
  });

  it('refuses requests without a token', async () => {
    const res = await http(httpEvent('GET', '/v1/jobs'));
    expect(res.statusCode).toBe(401);
  });

  it('welcomes an agent that says hello with the join token, and requests a tick', async () => {
    const hello = msg('hello', {
      token: inst.joinToken,
      node: { hostname: 'n1', cores: 2, gpus: 0, memoryMB: 1024, properties: [] },
      agent: { version: '0.1.0', pid: 42, startedAt: Date.now() / 1000 },
      running: [],
      exited: [],
    });
    expect((await frame([hello])).valueOf()).toEqual({ statusCode: 200 });
    const [welcome, ...rest] = messagesTo(fake, CONN);
    expect(welcome).toMatchObject({ type: 'welcome', node: 'n1', rank: 0, heartbeatSeconds: 30, signingKey: inst.secrets.signingKey.publicKey, kill: [], drained: false });
    const credential = await verifyClaims(String(welcome!.credential), inst.secrets.joinKey, Date.now() / 1000);
    expect(credential).toMatchObject({ ok: true, claims: { kind: 'node', iid: inst.iid, node: 'n1' } });
    expect(rest).toEqual([expect.objectContaining({ type: 'ack', of: hello.id })]);
    expect(fake.invokes).toEqual([{ FunctionName: TICK_FUNCTION, InvocationType: 'Event', payload: expect.objectContaining({ source: 'flurry.request-pass', iid: inst.iid }) }]);
  });

  it('coalesces a burst of submissions into one tick request', async () => {
    await tick(fake.invokes[0]!.payload as Record<string, unknown>); // the requested tick: the node joins the graph
    const before = fake.invokes.length;
    const jobspec = jobspecFromShape(['sh', '-c', 'echo hi; exit 0'], { ntasks: 1, cwd: '/tmp' });
    const [a, b] = await Promise.all([api<{ ids: string[] }>('POST', '/v1/jobs', { jobspec }), api<{ ids: string[] }>('POST', '/v1/jobs', { jobspec: jobspecFromShape(['sleep', '300'], { ntasks: 1, cwd: '/tmp' }) })]);
    expect([a.status, b.status]).toEqual([201, 201]);
    jobA = a.body.ids[0]!;
    jobB = b.body.ids[0]!;
    expect(fake.invokes.length - before).toBe(1);
    expect(messagesTo(fake, CONN, 'job.start')).toEqual([]); // nothing runs before the tick
  });

  it('a tick allocates both jobs and posts signed job.start messages to the node’s connection', async () => {
    const result = await tick(fake.invokes.at(-1)!.payload as Record<string, unknown>);
    expect(result).toMatchObject({ passes: 1, pending: 0 });
    const starts = messagesTo(fake, CONN, 'job.start');
    expect(starts.map((s) => (s.job as { jobid: string }).jobid).sort()).toEqual([jobA, jobB].sort());
    const verify = await createVerifier(inst.secrets.signingKey.publicKey);
    for (const s of starts) {
      expect(await verify(s.job, String(s.signature))).toBe(true);
      expect(s.job).toMatchObject({ nodeRank: 0, nnodes: 1, size: 1, nodelist: 'n1', env: expect.objectContaining({ FLURRY_URI: 'https://http123.execute-api.us-east-1.amazonaws.com' }) });
    }
    const info = await api<{ state: string }>('GET', `/v1/jobs/${encodeURIComponent(jobA)}`);
    expect(info.body.state).toBe('RUN');
  });

  it('records start, output and exit reported over the WebSocket, acking each message', async () => {
    const start = messagesTo(fake, CONN, 'job.start').find((s) => (s.job as { jobid: string }).jobid === jobA)!;
    const now = Date.now() / 1000;
    const started = msg('job.started', { jobid: jobA, time: now });
    await frame([{ v: 1, id: `a${++agentIds}`, type: 'ack', of: start.id }, started]);
    const output = msg('job.output', { jobid: jobA, seq: 0, entries: [{ stream: 'stdout', task: 0, data: 'hi\n' }] });
    const exited = msg('job.exited', { jobid: jobA, time: now + 0.1, status: 0, tasks: [{ rank: 0, status: 0 }], outputChunks: 1 });
    const invokesBefore = fake.invokes.length;
    await frame([output, exited]);
    const acked = messagesTo(fake, CONN, 'ack').map((m) => m.of);
    expect(acked).toEqual(expect.arrayContaining([started.id, output.id, exited.id]));
    expect(messagesTo(fake, CONN, 'ack').filter((m) => m.error)).toEqual([]);
    expect(fake.invokes.length).toBe(invokesBefore + 1); // freed resources: work for the scheduler

    const info = await api<{ state: string; result: string; exitCode: number; stateCode: string }>('GET', `/v1/jobs/${encodeURIComponent(jobA)}`);
    expect(info.body).toMatchObject({ state: 'INACTIVE', result: 'COMPLETED', exitCode: 0, stateCode: 'CD' });
    const log = await api<{ events: Array<{ name: string }>; done: boolean }>('GET', `/v1/jobs/${encodeURIComponent(jobA)}/eventlog?from=0`);
    expect(log.body.events.map((e) => e.name)).toEqual(['submit', 'validate', 'depend', 'priority', 'alloc', 'start', 'finish', 'release', 'free', 'clean']);
    const out = await api<{ entries: Array<{ data: string }>; done: boolean }>('GET', `/v1/jobs/${encodeURIComponent(jobA)}/output`);
    expect(out.body).toMatchObject({ entries: [{ data: 'hi\n' }], done: true });
  });

  it('cancels a running job: job.kill goes to the agent, its exit makes the job CANCELED', async () => {
    const cancel = await api<{ state: string }>('POST', `/v1/jobs/${encodeURIComponent(jobB)}/cancel`, {});
    expect(cancel.status).toBe(200);
    const kills = messagesTo(fake, CONN, 'job.kill');
    expect(kills).toEqual([expect.objectContaining({ jobid: jobB, signal: 'SIGTERM' })]);
    await frame([msg('job.exited', { jobid: jobB, time: Date.now() / 1000, status: 15, tasks: [{ rank: 0, status: 15 }], outputChunks: 0 })]);
    const info = await api<{ result: string; state: string }>('GET', `/v1/jobs/${encodeURIComponent(jobB)}`);
    expect(info.body).toMatchObject({ state: 'INACTIVE', result: 'CANCELED' });
  });

  it('lists both jobs', async () => {
    const list = await api<{ jobs: Array<{ id: string; result: string }> }>('GET', '/v1/jobs?filter=inactive');
    expect(list.status).toBe(200);
    expect(list.body.jobs.map((j) => [j.id, j.result]).sort()).toEqual([[jobA, 'COMPLETED'], [jobB, 'CANCELED']].sort());
  });

  it('a connection that is gone (410) counts as a disconnect', async () => {
    fake.gone.add(CONN);
    const posted = fake.posts.length;
    const sub = await api<{ ids: string[] }>('POST', '/v1/jobs', { jobspec: jobspecFromShape(['true'], { ntasks: 1, cwd: '/tmp' }) });
    expect(sub.status).toBe(201);
    await tick(fake.invokes.at(-1)!.payload as Record<string, unknown>);
    expect(fake.posts.length).toBe(posted); // the job.start met a 410
    const nodes = await api<{ down: { nnodes: number }; free: { nnodes: number } }>('GET', '/v1/resources');
    expect(nodes.body).toMatchObject({ down: { nnodes: 1 }, free: { nnodes: 0 } });
    expect(await ws(wsEvent('$disconnect', CONN))).toEqual({ statusCode: 200 }); // API Gateway's late $disconnect is harmless
  });
});

describe('the tick keeps the EC2 agents’ join token alive', () => {
  it('renews it when fewer than 60 days are left, checking once a day per container', async () => {
    const expiring = await signClaims({ kind: 'join', iid: inst.iid, exp: Math.floor(Date.now() / 1000) + 10 * 86400 }, inst.secrets.joinKey);
    fake.secretValues.set(inst.arns.join, expiring);
    const fresh = createTickHandler(async () => ctx.tick!, { settleMs: 0 });
    await fresh({});
    const renewed = fake.secretValues.get(inst.arns.join)!;
    expect(renewed).not.toBe(expiring);
    const verdict = await verifyClaims(renewed, inst.secrets.joinKey, Date.now() / 1000);
    expect(verdict.ok && verdict.claims.exp - Date.now() / 1000).toBeGreaterThan(364 * 86400);
    fake.secretValues.set(inst.arns.join, expiring);
    await fresh({});
    expect(fake.secretValues.get(inst.arns.join)).toBe(expiring); // not checked again the same day
  });
});

// ws-agent.test.ts - a real `flurry agent` process against a local stand-in for the API Gateway WebSocket endpoint:
// a `ws` server that turns each socket event into the event API Gateway would send the ws function ($connect,
// $default with the frame, $disconnect), and whose "Management API" (mocked PostToConnection/DeleteConnection)
// writes back on the right socket, and whose DeleteConnection closes the socket with a plain 1000 as API Gateway
// does. Ticks run when the control plane requests them (mocked async Invoke).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { jobspecFromShape } from '../../control/core/jobspec/index.ts';
import type { LambdaContext } from '../../control/lambda/context.ts';
import { createHttpHandler, type HttpHandler } from '../../control/lambda/http.ts';
import { createTickHandler } from '../../control/lambda/tick.ts';
import { createWsHandler } from '../../control/lambda/ws.ts';
import { waitFor } from '../support/instance.ts';
import { httpEvent, jsonOf, wsEvent } from './events.ts';
import { deployInstance, installFakeAws, TICK_FUNCTION, type AwsInstance, type FakeAws } from './fake-aws.ts';

const REPO = new URL('../..', import.meta.url).pathname;

let fake: FakeAws;
let inst: AwsInstance;
let http: HttpHandler;
let server: WebSocketServer;
let agent: ChildProcess | undefined;
/** Agents started by the superseding test, stopped in afterAll if still running. */
const others: ChildProcess[] = [];
const sockets = new Map<string, WebSocket>();
const contexts: LambdaContext[] = [];
let ticks = 0;

beforeAll(async () => {
  fake = installFakeAws();
  inst = await deployInstance(fake, { quiet: !process.env.FLURRY_TEST_LOG });
  const container = (name: string) => {
    let ctx: Promise<LambdaContext> | undefined;
    return () => (ctx ??= inst.container(name).then((c) => (contexts.push(c), c)));
  };
  http = createHttpHandler(container('flurry-http'));
  const ws = createWsHandler(container('flurry-ws'));
  const tick = createTickHandler(container(TICK_FUNCTION), { settleMs: 0 });

  // Lambda's async invoke queue with reserved concurrency 1: requested ticks run one after another.
  let queue: Promise<unknown> = Promise.resolve();
  fake.onInvoke = (payload) => {
    queue = queue.then(() => tick(payload as Record<string, unknown>)).then(() => ticks++, (err: Error) => console.error(`tick: ${err.message}`));
  };
  // The Management API: frames to the socket of the connection; DeleteConnection closes it.
  fake.onPost = (conn, text) => sockets.get(conn)?.send(text);
  fake.onDelete = (conn) => sockets.get(conn)?.close(1000);

  let next = 0;
  server = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 128 * 1024 });
  server.on('connection', (socket) => {
    const conn = `stand-in-${++next}=`;
    sockets.set(conn, socket);
    const connected = ws(wsEvent('$connect', conn));
    // API Gateway invokes the integration for each message as it arrives, without waiting for earlier ones.
    socket.on('message', (data) => void connected.then(() => ws(wsEvent('$default', conn, data.toString()))));
    socket.on('close', () => {
      sockets.delete(conn);
      void connected.then(() => ws(wsEvent('$disconnect', conn)));
    });
  });
  await new Promise((resolve) => server.once('listening', resolve));
}, 60_000);

afterAll(async () => {
  for (const p of [agent, ...others]) {
    if (p && p.exitCode === null && p.signalCode === null) {
      p.kill('SIGTERM');
      await new Promise((resolve) => p.once('exit', resolve));
    }
  }
  await new Promise((resolve) => server?.close(resolve));
  await Promise.all(contexts.map((c) => c.pending.drain()));
  fake?.restore();
});

const api = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
  const res = await http(httpEvent(method, path, { token: inst.ownerToken, body }));
  return { status: res.statusCode, body: jsonOf<T>(res) };
};

describe('a real agent process through the API Gateway stand-in', () => {
  it('joins, runs a job end to end, and leaves cleanly', async () => {
    const port = (server.address() as { port: number }).port;
    const stateDir = mkdtempSync(join(tmpdir(), 'flurry-aws-agent-'));
    agent = spawn(
      process.execPath,
      [join(REPO, 'bin/flurry.mjs'), 'agent', '--uri', `ws://127.0.0.1:${port}/agents`, '--hostname', 'aws-n1', '--cores', '2', '--gpus', '0', '--memory', '1024', '--state-dir', stateDir, ...(process.env.FLURRY_TEST_LOG ? [] : ['--quiet'])],
      { env: { ...process.env, FLURRY_JOIN_TOKEN: inst.joinToken }, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    await waitFor(async () => (await api<{ free: { nnodes: number } }>('GET', '/v1/resources')).body.free?.nnodes === 1, 20_000, 'the agent to join');
    await waitFor(() => fake.posts.some((p) => p.text.includes('"type":"welcome"')), 5_000, 'the welcome to be posted');

    const jobspec = jobspecFromShape(['sh', '-c', 'echo "hello from $FLURRY_JOB_ID"; exit 0'], { ntasks: 1, cwd: '/tmp' });
    const sub = await api<{ ids: string[] }>('POST', '/v1/jobs', { jobspec });
    expect(sub.status).toBe(201);
    const id = sub.body.ids[0]!;
    let from = 0;
    const events: string[] = [];
    await waitFor(
      async () => {
        const page = await api<{ events: Array<{ name: string }>; next: number; done: boolean }>('GET', `/v1/jobs/${encodeURIComponent(id)}/eventlog?from=${from}&wait=5`);
        events.push(...page.body.events.map((e) => e.name));
        from = page.body.next;
        return page.body.done;
      },
      30_000,
      'the job to finish',
    );
    expect(events).toEqual(['submit', 'validate', 'depend', 'priority', 'alloc', 'start', 'finish', 'release', 'free', 'clean']);
    const info = await api<{ result: string; exitCode: number }>('GET', `/v1/jobs/${encodeURIComponent(id)}`);
    expect(info.body).toMatchObject({ result: 'COMPLETED', exitCode: 0 });
    const out = await api<{ entries: Array<{ data: string }>; done: boolean }>('GET', `/v1/jobs/${encodeURIComponent(id)}/output?wait=5`);
    expect(out.body.entries.map((e) => e.data).join('')).toBe(`hello from ${id}\n`);
    expect(ticks).toBeGreaterThan(0);

    agent.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => agent!.once('exit', resolve));
    expect(code).toBe(0);
    await waitFor(async () => (await api<{ down: { nnodes: number } }>('GET', '/v1/resources')).body.down?.nnodes === 1, 10_000, 'the node to be down');
  }, 90_000);

  it('a second agent with the same hostname supersedes the first, which exits instead of reconnecting (7.2)', async () => {
    const port = (server.address() as { port: number }).port;
    const start = (): ChildProcess => {
      const stateDir = mkdtempSync(join(tmpdir(), 'flurry-aws-agent-'));
      const p = spawn(
        process.execPath,
        [join(REPO, 'bin/flurry.mjs'), 'agent', '--uri', `ws://127.0.0.1:${port}/agents`, '--hostname', 'aws-n2', '--cores', '1', '--gpus', '0', '--memory', '512', '--state-dir', stateDir, ...(process.env.FLURRY_TEST_LOG ? [] : ['--quiet'])],
        { env: { ...process.env, FLURRY_JOIN_TOKEN: inst.joinToken }, stdio: ['ignore', 'inherit', 'inherit'] },
      );
      others.push(p);
      return p;
    };
    const welcomes = () => fake.posts.filter((p) => p.text.includes('"type":"welcome"') && p.text.includes('"node":"aws-n2"'));
    const first = start();
    const firstExit = new Promise<number | null>((resolve) => first.once('exit', resolve));
    await waitFor(() => welcomes().length === 1, 20_000, 'the first agent to be welcomed');
    const firstConn = welcomes()[0]!.conn;

    const second = start();
    await waitFor(() => welcomes().length === 2, 20_000, 'the second agent to be welcomed');
    expect(await firstExit).toBe(1); // superseded: an error, and no redial
    const closes = fake.posts.filter((p) => p.conn === firstConn && p.text.includes('"type":"close"')).map((p) => JSON.parse(p.text) as unknown[]);
    expect(closes).toEqual([[expect.objectContaining({ type: 'close', code: 4003 })]]);
    expect(fake.deletes).toContain(firstConn);

    // No back and forth: the second agent keeps the node, nobody says hello as aws-n2 again.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(welcomes()).toHaveLength(2);
    expect(second.exitCode).toBeNull();
    await waitFor(async () => (await api<{ free: { nnodes: number } }>('GET', '/v1/resources')).body.free?.nnodes === 1, 10_000, 'aws-n2 to be up');

    second.kill('SIGTERM');
    expect(await new Promise<number | null>((resolve) => second.once('exit', resolve))).toBe(0);
  }, 90_000);
});

// ws-agent.test.ts - a real `flurry agent` process against a local stand-in for the API Gateway WebSocket endpoint:
// a `ws` server that turns each socket event into the event API Gateway would send the ws function ($connect,
// $default with the frame, $disconnect), and whose "Management API" (mocked PostToConnection/DeleteConnection)
// writes back on the right socket. Ticks run when the control plane requests them (mocked async Invoke).
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
  if (agent && agent.exitCode === null) {
    agent.kill('SIGTERM');
    await new Promise((resolve) => agent!.once('exit', resolve));
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
});

// agent-session.test.ts - the agent's connection life against a scripted control plane (agent protocol 1-4, 6).
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../control/agents/protocol.ts';
import type { AgentHandle } from './agent.ts';
import { FakeControlPlane, TEST_JOIN_TOKEN, alive, startTestAgent } from './testing.ts';

let plane: FakeControlPlane;
let agents: AgentHandle[] = [];
let tmp: string;

beforeEach(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'flurry-agent-'));
  plane = await FakeControlPlane.start();
});

afterEach(async () => {
  await plane.close();
  await Promise.all(agents.map((a) => a.stop({ graceSeconds: 0 })));
  agents = [];
  rmSync(tmp, { recursive: true, force: true });
});

async function agentWith(options: Parameters<typeof startTestAgent>[1] = {}): Promise<AgentHandle> {
  const agent = await startTestAgent(plane, options);
  agents.push(agent);
  return agent;
}

/** Resolves after `ms`. */
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('3.1 hello', () => {
  it('carries the join token, the inventory, the agent and what it runs', async () => {
    await agentWith({ instanceId: 'i-0abc', inventory: { hostname: 'h1', cores: 4, gpus: 2, memoryMB: 2048, properties: ['efa'], zone: 'az1', group: 'pg1' } });
    const hello = await (await plane.link(0)).next('hello');
    expect(hello).toMatchObject({
      v: 1,
      id: 'a1',
      token: TEST_JOIN_TOKEN,
      node: { hostname: 'h1', cores: 4, gpus: 2, memoryMB: 2048, properties: ['efa'], zone: 'az1', group: 'pg1' },
      agent: { version: expect.any(String), pid: process.pid },
      running: [],
      exited: [],
      instanceId: 'i-0abc',
    });
  });
});

describe('3.3 welcome', () => {
  it('is acknowledged, and its credential is used (and saved in the state dir) for the next hello', async () => {
    const agent = await agentWith({ stateDir: tmp });
    const link = await plane.link(0);
    await link.welcome({ credential: 'cred-42', node: 'n7', rank: 7 });
    expect((await link.next('ack')).of).toBe('c2'); // c1 acked the hello
    expect(agent.node).toEqual({ name: 'n7', rank: 7 });
    link.ws.terminate();
    expect((await (await plane.link(1)).next('hello')).token).toBe('cred-42');
    await agent.stop({ graceSeconds: 0 });
    expect(JSON.parse(readFileSync(path.join(tmp, 'state.json'), 'utf8')).credential).toBe('cred-42');
    expect(statSync(path.join(tmp, 'state.json')).mode & 0o777).toBe(0o600);
    const second = await agentWith({ stateDir: tmp, token: undefined });
    expect((await (await plane.link(2)).next('hello')).token).toBe('cred-42');
    await second.stop({ graceSeconds: 0 });
  });

  it('kills the jobs listed in kill without reporting them', async () => {
    await agentWith();
    const link = await plane.link(0);
    await link.welcome();
    const job = await link.start({ command: ['sh', '-c', 'echo $$; exec sleep 30'] });
    const pid = Number((await link.next('job.output')).entries[0]!.data);
    link.ws.terminate();
    const second = await plane.link(1);
    expect((await second.welcome({ kill: [job.jobid] })).running.map((r) => r.jobid)).toEqual([job.jobid]);
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(10);
    expect(alive(pid)).toBe(false);
    await sleep(50);
    expect(second.messages.filter((m) => m.type === 'job.exited')).toEqual([]);
  });
});

describe('3.1 exited reports survive a reconnect', () => {
  it('resends an unacknowledged job.exited in the next hello, and forgets it once that hello is acked', async () => {
    await agentWith();
    const first = await plane.link(0);
    first.ack = (m) => m.type !== 'job.exited';
    await first.welcome();
    const job = await first.start({ command: ['sh', '-c', 'exit 5'] });
    const report = await first.next('job.exited');
    first.ws.terminate();
    const second = await plane.link(1);
    const hello = await second.welcome();
    expect(hello.exited).toEqual([{ jobid: job.jobid, time: report.time, status: 5 << 8, tasks: [{ rank: 0, status: 5 << 8 }], outputChunks: 0 }]);
    await second.next('ack'); // of welcome: the hello was acked before it
    second.ws.terminate();
    expect((await (await plane.link(2)).next('hello')).exited).toEqual([]);
  });
});

describe('4.3 reconnect', () => {
  it('dials again with backoff after the control plane drops the connection, and re-reports running jobs', async () => {
    await agentWith();
    const first = await plane.link(0);
    await first.welcome();
    const job = await first.start({ command: ['sleep', '30'] });
    await first.next('job.started');
    const dropped = Date.now();
    first.ws.terminate();
    const hello = await (await plane.link(1)).next('hello');
    expect(Date.now() - dropped).toBeGreaterThanOrEqual(10); // 20 ms backoff, jittered down to 50 %
    expect(hello.running).toEqual([{ jobid: job.jobid, startedAt: expect.any(Number) }]);
  });

  it('keeps dialing while the control plane is away', async () => {
    const port = plane.port;
    await plane.close();
    const agent = await agentWith();
    await sleep(300);
    expect(agent.connected).toBe(false);
    plane = await FakeControlPlane.start(port);
    await (await plane.link(0)).welcome();
    await plane.links[0]!.next('ack');
    expect(agent.connected).toBe(true);
  });
});

describe('1.3 close codes', () => {
  it('4001 with the join token ends the agent with status 1 and does not redial', async () => {
    const agent = await agentWith();
    const link = await plane.link(0);
    await link.next('hello');
    link.ws.close(CloseCode.unauthorized, 'token expired');
    expect(await agent.done).toEqual({ code: 1, reason: expect.stringContaining('token expired') });
    await sleep(100);
    expect(plane.links.length).toBe(1);
  });

  it('4001 with a node credential falls back to the join token once', async () => {
    const agent = await agentWith();
    const first = await plane.link(0);
    await first.welcome({ credential: 'stale' });
    first.ws.terminate();
    const second = await plane.link(1);
    expect((await second.next('hello')).token).toBe('stale');
    second.ws.close(CloseCode.unauthorized, 'unknown credential');
    const third = await plane.link(2);
    expect((await third.next('hello')).token).toBe(TEST_JOIN_TOKEN);
    third.ws.close(CloseCode.unauthorized, 'bad token');
    expect((await agent.done).code).toBe(1);
  });

  it('4003 superseded ends the agent with a message', async () => {
    const agent = await agentWith();
    const link = await plane.link(0);
    await link.welcome();
    link.ws.close(CloseCode.superseded, 'a newer connection of n0');
    expect(await agent.done).toEqual({ code: 1, reason: 'superseded: a newer connection of n0' });
  });

  it('4004 node removed ends the agent with status 0', async () => {
    const agent = await agentWith();
    const link = await plane.link(0);
    await link.welcome();
    link.ws.close(CloseCode.nodeRemoved, 'scaled in');
    expect(await agent.done).toEqual({ code: 0, reason: 'node removed: scaled in' });
  });
});

describe('7.2 close message', () => {
  it('a close 4003 then a plain close ends the agent as superseded, and it does not redial', async () => {
    const agent = await agentWith();
    const link = await plane.link(0);
    await link.welcome();
    await link.next('ack');
    link.send({ type: 'close', code: CloseCode.superseded, reason: 'superseded by a newer connection of this node' });
    link.ws.close(1000); // API Gateway's DeleteConnection: no code, no reason
    expect(await agent.done).toEqual({ code: 1, reason: 'superseded: superseded by a newer connection of this node' });
    await sleep(100);
    expect(plane.links.length).toBe(1);
  });

  it('closes the socket itself when only the message arrives, and acts on nothing after it', async () => {
    const agent = await agentWith();
    const link = await plane.link(0);
    await link.welcome();
    await link.next('ack');
    const acked = link.messages.length;
    link.send({ type: 'close', code: CloseCode.nodeRemoved, reason: 'scaled in' }, { type: 'drain', reason: 'too late' });
    expect((await link.closed).code).toBe(1000);
    expect(await agent.done).toEqual({ code: 0, reason: 'node removed: scaled in' });
    expect(link.messages.slice(acked).filter((m) => m.type === 'ack')).toEqual([]); // neither the close nor the drain
  });

  it('a close 4001 for the join token ends the agent with status 1', async () => {
    const agent = await agentWith();
    const link = await plane.link(0);
    await link.next('hello');
    link.send({ type: 'close', code: CloseCode.unauthorized, reason: 'unauthorized: token expired' });
    link.ws.close(1000);
    expect(await agent.done).toEqual({ code: 1, reason: expect.stringContaining('join token: unauthorized: token expired') });
    await sleep(100);
    expect(plane.links.length).toBe(1);
  });

  it('a close 4001 for a node credential falls back to the join token once', async () => {
    await agentWith();
    const first = await plane.link(0);
    await first.welcome({ credential: 'stale' });
    first.ws.terminate();
    const second = await plane.link(1);
    expect((await second.next('hello')).token).toBe('stale');
    second.send({ type: 'close', code: CloseCode.unauthorized, reason: 'unauthorized: unknown credential' });
    expect((await (await plane.link(2)).next('hello')).token).toBe(TEST_JOIN_TOKEN);
  });

  it('any other code (a protocol error, an internal error) makes it reconnect', async () => {
    await agentWith();
    const link = await plane.link(0);
    await link.next('hello');
    link.send({ type: 'close', code: CloseCode.protocolError, reason: 'message (hello): node.cores: too small' });
    link.ws.close(1000);
    const again = await plane.link(1);
    await again.welcome();
    await again.next('ack');
    again.send({ type: 'close', code: 1011, reason: 'internal error; reconnect and re-report' });
    await (await plane.link(2)).next('hello');
  });
});

describe('2.3 protocol errors', () => {
  it('closes with 4002 on a message it cannot parse, then reconnects', async () => {
    await agentWith();
    const link = await plane.link(0);
    await link.welcome();
    link.send({ type: 'job.frobnicate' });
    const closed = await link.closed;
    expect(closed.code).toBe(CloseCode.protocolError);
    expect(closed.reason).toMatch(/job\.frobnicate/);
    await (await plane.link(1)).next('hello');
  });

  it('reconnects after the control plane closes with 4002', async () => {
    await agentWith();
    const link = await plane.link(0);
    await link.next('hello');
    link.ws.close(CloseCode.protocolError, 'message (hello): node.cores: too small');
    await (await plane.link(1)).next('hello');
  });
});

describe('4.1 heartbeat', () => {
  it('beats every heartbeatSeconds with the running jobs', async () => {
    await agentWith();
    const link = await plane.link(0);
    await link.welcome({ heartbeatSeconds: 0.1 });
    const job = await link.start({ command: ['sleep', '30'] });
    await link.next('job.started');
    const t0 = Date.now();
    await link.next('heartbeat');
    const beat = await link.next('heartbeat');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    expect(beat.running).toEqual([job.jobid]);
  });

  it('reconnects when the control plane stays silent for 3 intervals', async () => {
    await agentWith();
    const link = await plane.link(0);
    await link.welcome({ heartbeatSeconds: 0.1 });
    link.ack = () => false;
    await (await plane.link(1, 2000)).next('hello');
  });
});

describe('6.3 shutdown', () => {
  it('the control plane’s shutdown kills the jobs, reports them and ends the agent with 0', async () => {
    const agent = await agentWith();
    const link = await plane.link(0);
    await link.welcome();
    const job = await link.start({ command: ['sleep', '30'] });
    await link.next('job.started');
    link.send({ type: 'shutdown', reason: 'maintenance', graceSeconds: 1 });
    expect((await link.next('job.exited')).jobid).toBe(job.jobid);
    expect(await agent.done).toEqual({ code: 0, reason: expect.stringContaining('maintenance') });
    expect((await link.closed).code).toBe(CloseCode.shutdown);
  });

  it('stop() sends node.event shutdown, reports the killed jobs and closes', async () => {
    const agent = await agentWith();
    const link = await plane.link(0);
    await link.welcome();
    await link.start({ command: ['sleep', '30'] });
    await link.next('job.started');
    const exit = await agent.stop({ reason: 'SIGTERM' });
    expect(exit).toEqual({ code: 0, reason: 'SIGTERM' });
    expect(link.messages.map((m) => m.type).slice(-2)).toEqual(['node.event', 'job.exited']);
    expect((await link.closed).code).toBe(CloseCode.shutdown);
  });
});

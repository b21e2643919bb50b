// session.test.ts - ids, frames, acks and resends of the agent's message layer (agent protocol 2.1-2.4, 3.1).
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '../control/agents/protocol.ts';
import { Session } from './session.ts';

const hello = {
  type: 'hello' as const,
  token: 't',
  node: { hostname: 'h', cores: 1, gpus: 0, memoryMB: 1, properties: [] },
  agent: { version: '0', pid: 1, startedAt: 0 },
  running: [],
  exited: [],
};

/** A sink recording each frame's messages. */
function sink() {
  const frames: Array<Array<Record<string, unknown>>> = [];
  return { frames, send: (text: string) => frames.push(JSON.parse(text)) };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const wait = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let session: Session;
afterEach(() => session?.close());

describe('2.1 envelope', () => {
  it('numbers messages a1, a2, … across connections and sets v', async () => {
    session = new Session({ holdMs: 0 });
    const s = sink();
    session.attach(s);
    expect(session.hello(hello)).toBe('a1');
    session.welcomed();
    session.send({ type: 'heartbeat', running: [] });
    await turn();
    session.detach();
    session.attach(s);
    session.hello(hello);
    expect(s.frames.flat().map((m) => [m.v, m.id])).toEqual([[1, 'a1'], [1, 'a2'], [1, 'a3']]);
  });
});

describe('2.4 before welcome', () => {
  it('sends only hello until welcomed, then what was queued', async () => {
    session = new Session({ holdMs: 0 });
    const s = sink();
    session.attach(s);
    session.hello(hello);
    session.send({ type: 'job.started', jobid: 'j', time: 1 }, { urgent: true });
    await turn();
    expect(s.frames.map((f) => f.map((m) => m.type))).toEqual([['hello']]);
    session.welcomed();
    await turn();
    expect(s.frames.map((f) => f.map((m) => m.type))).toEqual([['hello'], ['job.started']]);
  });
});

describe('1.2 batching', () => {
  it('holds lazy messages up to holdMs and sends them with the next urgent one in one frame', async () => {
    session = new Session({ holdMs: 1000 });
    const s = sink();
    session.attach(s);
    session.welcomed();
    session.reply('c1');
    session.send({ type: 'job.started', jobid: 'j', time: 1 });
    await turn();
    expect(s.frames).toEqual([]);
    session.send({ type: 'job.exited', jobid: 'j', time: 2, status: 0, tasks: [], outputChunks: 0 }, { urgent: true });
    await turn();
    expect(s.frames.map((f) => f.map((m) => m.type))).toEqual([['ack', 'job.started', 'job.exited']]);
  });

  it('flushes lazy messages on their own after holdMs', async () => {
    session = new Session({ holdMs: 50 });
    const s = sink();
    session.attach(s);
    session.welcomed();
    session.send({ type: 'job.started', jobid: 'j', time: 1 });
    await turn();
    expect(s.frames.length).toBe(0);
    await wait(200);
    expect(s.frames.length).toBe(1);
  });

  it('splits a large batch into frames of at most 32 KiB', async () => {
    session = new Session({ holdMs: 0 });
    const frames: string[] = [];
    session.attach({ send: (t) => frames.push(t) });
    session.welcomed();
    for (let i = 0; i < 10; i++) session.send({ type: 'job.output', jobid: 'j', seq: i, entries: [{ stream: 'stdout', task: 0, data: 'x'.repeat(10_000) }] });
    await turn();
    expect(frames.length).toBeGreaterThan(3);
    for (const f of frames) expect(f.length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
  });
});

describe('2.2 acks', () => {
  it('settles a message on its ack (with the error when refused), and never tracks acks it sends', async () => {
    session = new Session({ holdMs: 0 });
    const s = sink();
    session.attach(s);
    session.welcomed();
    const settled: unknown[] = [];
    session.send({ type: 'job.exited', jobid: 'j', time: 2, status: 0, tasks: [], outputChunks: 0 }, { onAck: (e) => settled.push(e ?? 'ok') });
    session.send({ type: 'node.event', kind: 'shutdown' }, { onAck: (e) => settled.push(e) });
    session.reply('c9', { code: 'x', message: 'y' });
    await turn();
    expect(session.pending).toEqual({ unacked: 2, queued: 0 });
    session.received({ v: 1, id: 'c1', type: 'ack', of: 'a1' });
    session.received({ v: 1, id: 'c2', type: 'ack', of: 'a2', error: { code: 'no', message: 'refused' } });
    session.received({ v: 1, id: 'c3', type: 'ack', of: 'a99' });
    expect(settled).toEqual(['ok', { code: 'no', message: 'refused' }]);
    expect(session.pending).toEqual({ unacked: 0, queued: 0 });
  });
});

describe('3.1 resending after a reconnect', () => {
  it('keeps unacknowledged output and node events in order, drops the rest', async () => {
    session = new Session({ holdMs: 0 });
    const first = sink();
    session.attach(first);
    session.welcomed();
    session.send({ type: 'job.output', jobid: 'j', seq: 0, entries: [] }, { policy: 'resend' });
    session.send({ type: 'heartbeat', running: [] });
    session.send({ type: 'job.exited', jobid: 'j', time: 2, status: 0, tasks: [], outputChunks: 2 }, { policy: 'hello' });
    await turn();
    session.received({ v: 1, id: 'c1', type: 'ack', of: 'a2' });
    session.detach();
    session.send({ type: 'job.output', jobid: 'j', seq: 1, entries: [] }, { policy: 'resend' });
    session.send({ type: 'job.started', jobid: 'k', time: 3 }); // dropped: disconnected
    const second = sink();
    session.attach(second);
    session.hello(hello);
    session.welcomed();
    await turn();
    expect(second.frames.flat().map((m) => [m.type, m.seq])).toEqual([['hello', undefined], ['job.output', 0], ['job.output', 1]]);
  });
});

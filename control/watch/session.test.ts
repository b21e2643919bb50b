// session.test.ts - a watch session against in-memory services and the real in-process notifier: authentication,
// pushes exactly once and in order (also while the job is being written), resumption from cursors, all-mine,
// KVS changes, unsubscribe, limits and backpressure.
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../core/errors.ts';
import type { JobEvent } from '../core/job/index.ts';
import { jobKey, LocalNotifier, outputKey } from '../jobs/notifier.ts';
import type { KeyChange } from '../kvs/types.ts';
import type { Caller, JobService, KvsService, OutputPage } from '../services.ts';
import { CLOSE_CODES, DEFAULT_WATCH_LIMITS, f58, type WatchLimits } from './protocol.ts';
import { WatchSession } from './session.ts';
import { SubmitFeed } from './submissions.ts';

type Entry = OutputPage['entries'][number];
interface FakeJob {
  owner: string;
  events: JobEvent[];
  out: Entry[];
  inactive: boolean;
}

/** Jobs in memory; writes notify like the job manager does. */
function fakeJobs(notifier: LocalNotifier) {
  const jobs = new Map<bigint, FakeJob>();
  const get = (caller: Caller, id: bigint) => {
    const j = jobs.get(id);
    if (!j || (caller.role !== 'owner' && j.owner !== caller.user)) throw new NotFoundError(`job ${f58(id)} not found`);
    return j;
  };
  const service: Partial<JobService> = {
    async eventlog(caller, id, from) {
      const j = get(caller, id);
      await Promise.resolve();
      return { events: j.events.slice(from), next: Math.max(from, j.events.length), done: j.inactive };
    },
    async output(caller, id, cursor) {
      const j = get(caller, id);
      const at = Number(cursor ?? 0);
      return { entries: j.out.slice(at), cursor: String(j.out.length), done: j.inactive, truncated: false };
    },
    async list(caller) {
      return { jobs: [...jobs].filter(([, j]) => j.owner === caller.user && !j.inactive).map(([id]) => ({ id }) as never) };
    },
  };
  return {
    service: service as JobService,
    add(id: bigint, owner = 'alice') {
      jobs.set(id, { owner, events: [{ timestamp: 1, name: 'submit' }], out: [], inactive: false });
      notifier.notify(jobKey(id));
    },
    event(id: bigint, name: string) {
      jobs.get(id)!.events.push({ timestamp: 2, name });
      notifier.notify(jobKey(id));
    },
    write(id: bigint, data: string) {
      jobs.get(id)!.out.push({ stream: 'stdout', task: 0, data });
      notifier.notify(outputKey(id));
    },
    finish(id: bigint) {
      const j = jobs.get(id)!;
      j.events.push({ timestamp: 3, name: 'clean' });
      j.inactive = true;
      notifier.notify(jobKey(id));
      notifier.notify(outputKey(id));
    },
  };
}

function fakeSocket(buffered = () => 0) {
  const sent: any[] = [];
  let closed: { code: number; reason: string } | undefined;
  const waiters: Array<() => void> = [];
  return {
    sent,
    get closed() {
      return closed;
    },
    socket: {
      send: (t: string) => {
        sent.push(JSON.parse(t));
        for (const w of waiters.splice(0)) w();
      },
      buffered,
      close: (code: number, reason: string) => void (closed = { code, reason }),
    },
    /** Resolves once a push satisfies `pred`. */
    async until(pred: (m: any) => boolean, ms = 2000): Promise<any> {
      const deadline = Date.now() + ms;
      for (;;) {
        const m = sent.find(pred);
        if (m) return m;
        if (Date.now() > deadline) throw new Error(`no such push; got ${JSON.stringify(sent)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 20);
        });
      }
    },
  };
}

const ALICE: Caller = { user: 'alice', role: 'user' };

function setup(o: { limits?: Partial<WatchLimits>; caller?: Caller | null; buffered?: () => number; kvs?: KvsService } = {}) {
  const notifier = new LocalNotifier();
  const jobs = fakeJobs(notifier);
  const feed = new SubmitFeed();
  const sock = fakeSocket(o.buffered);
  const auth = { authenticate: async (t: string) => (t === 'good' ? ALICE : undefined) };
  const limits = { ...DEFAULT_WATCH_LIMITS, ...o.limits };
  const session = new WatchSession({ jobs: jobs.service, kvs: o.kvs, auth, notifier, feed }, sock.socket, limits, o.caller === null ? undefined : (o.caller ?? ALICE));
  const say = (m: object) => session.receive(JSON.stringify(m));
  return { notifier, jobs, feed, sock, session, say };
}

describe('authentication', () => {
  it('takes a token in a first auth message, and answers ready', async () => {
    const { sock, say } = setup({ caller: null });
    await say({ type: 'auth', token: 'good' });
    expect(sock.sent).toEqual([{ type: 'ready', user: 'alice', role: 'user' }]);
  });

  it('refuses a bad token with an error and close 4401', async () => {
    const { sock, say } = setup({ caller: null });
    await say({ type: 'auth', token: 'bad' });
    expect(sock.sent).toEqual([{ type: 'error', code: 'unauthorized', message: 'invalid or unknown token' }]);
    expect(sock.closed).toEqual({ code: CLOSE_CODES.unauthorized, reason: 'unauthorized: invalid or unknown token' });
  });

  it('refuses anything before auth, and a late auth', async () => {
    const a = setup({ caller: null });
    await a.say({ type: 'subscribe', id: 1, jobs: ['ƒ2'] });
    expect(a.sock.closed?.code).toBe(CLOSE_CODES.unauthorized);
    const b = setup({ caller: null, limits: { authTimeoutMs: 30 } });
    await new Promise((r) => setTimeout(r, 80));
    expect(b.sock.closed).toEqual({ code: CLOSE_CODES.unauthorized, reason: 'unauthorized: no auth message within 30 ms' });
  });
});

describe('job pushes', () => {
  it('delivers every event in order exactly once while the job is written, then its output, done and complete', async () => {
    const { jobs, sock, say } = setup();
    jobs.add(7n);
    const sub = say({ type: 'subscribe', id: 's', jobs: ['ƒ8'] });
    // Writes interleaved with the session's reads and waits.
    for (let i = 0; i < 50; i++) {
      jobs.event(7n, `e${i}`);
      if (i % 3 === 0) jobs.write(7n, `line ${i}\n`);
      if (i % 7 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    jobs.finish(7n);
    await sub;
    await sock.until((m) => m.type === 'complete');
    const events = sock.sent.filter((m) => m.type === 'event');
    expect(events.map((m) => m.index)).toEqual(Array.from({ length: 52 }, (_, i) => i));
    expect(events.map((m) => m.event.name)).toEqual(['submit', ...Array.from({ length: 50 }, (_, i) => `e${i}`), 'clean']);
    expect(events.every((m) => m.id === 's' && m.jobid === 'ƒ8')).toBe(true);
    const out = sock.sent.filter((m) => m.type === 'output').flatMap((m) => m.entries.map((e: Entry) => e.data));
    expect(out).toEqual(Array.from({ length: 17 }, (_, i) => `line ${i * 3}\n`));
    const kinds = sock.sent.map((m) => m.type);
    expect(kinds.slice(0, 2)).toEqual(['ready', 'subscribed']);
    expect(kinds.slice(-2)).toEqual(['done', 'complete']);
  });

  it('resumes after the cursors it is given, repeating nothing', async () => {
    const { jobs, sock, say } = setup();
    jobs.add(7n);
    for (const e of ['a', 'b', 'c']) jobs.event(7n, e);
    for (const d of ['x', 'y', 'z']) jobs.write(7n, d);
    jobs.finish(7n);
    await say({ type: 'subscribe', id: 1, jobs: [{ id: 'ƒ8', from: 2, cursor: '2' }] });
    await sock.until((m) => m.type === 'complete');
    expect(sock.sent.filter((m) => m.type === 'event').map((m) => [m.index, m.event.name])).toEqual([[2, 'b'], [3, 'c'], [4, 'clean']]);
    expect(sock.sent.filter((m) => m.type === 'output').flatMap((m) => m.entries.map((e: Entry) => e.data))).toEqual(['z']);
  });

  it("reports a job it cannot see as an error for that job, and completes", async () => {
    const { jobs, sock, say } = setup();
    jobs.add(7n, 'bob');
    await say({ type: 'subscribe', id: 1, jobs: ['ƒ8'], events: true });
    await sock.until((m) => m.type === 'complete');
    expect(sock.sent).toContainEqual({ type: 'error', id: 1, jobid: 'ƒ8', code: 'not_found', message: 'job ƒ8 not found' });
  });

  it('follows all-mine: active jobs now and jobs submitted later, each once', async () => {
    const { jobs, feed, sock, say } = setup();
    jobs.add(7n);
    jobs.add(8n, 'bob');
    await say({ type: 'subscribe', id: 'm', jobs: 'all-mine', events: false, output: true });
    jobs.add(9n);
    feed.announce('alice', [9n]);
    feed.announce('alice', [9n]);
    feed.announce('bob', [8n]);
    jobs.write(9n, 'nine\n');
    jobs.finish(9n);
    jobs.finish(7n);
    await sock.until((m) => m.type === 'done' && m.jobid === f58(9n));
    await sock.until((m) => m.type === 'done' && m.jobid === f58(7n));
    expect(sock.sent.filter((m) => m.type === 'done').map((m) => m.jobid).sort()).toEqual([f58(7n), f58(9n)].sort());
    expect(sock.sent.filter((m) => m.type === 'output')).toEqual([{ type: 'output', id: 'm', jobid: f58(9n), entries: [{ stream: 'stdout', task: 0, data: 'nine\n' }], cursor: '1' }]);
    expect(sock.sent.some((m) => m.type === 'complete')).toBe(false);
  });

  it('stops pushing after unsubscribe', async () => {
    const { jobs, sock, say, session } = setup();
    jobs.add(7n);
    await say({ type: 'subscribe', id: 1, jobs: ['ƒ8'] });
    await sock.until((m) => m.type === 'event');
    await say({ type: 'unsubscribe', id: 1 });
    const n = sock.sent.length;
    jobs.event(7n, 'late');
    jobs.finish(7n);
    await new Promise((r) => setTimeout(r, 30));
    expect(sock.sent.slice(n - 1).map((m) => m.type)).toEqual(['unsubscribed']);
    expect(session.subscriptions).toBe(0);
  });
});

describe('KVS pushes', () => {
  it("pushes each change of the key with its version", async () => {
    const changes: KeyChange[] = [{ version: 3, op: 'set', entry: { type: 'json', value: 1 } }, { version: 5, op: 'unlink' }];
    const kvs = {
      version: async () => 2,
      watch: async (_c: Caller, _ns: string, _key: string, after: number, _w: number, signal?: AbortSignal) => {
        const rest = changes.filter((c) => c.version > after);
        if (rest.length) return { changes: rest, version: 5 };
        await new Promise((r) => signal?.addEventListener('abort', r));
        return { changes: [], version: after };
      },
    } as unknown as KvsService;
    const { sock, say, session } = setup({ kvs });
    await say({ type: 'subscribe', id: 'k', kvs: [{ namespace: 'primary', key: 'a.b' }] });
    await sock.until((m) => m.type === 'kvs' && m.version === 5);
    expect(sock.sent.filter((m) => m.type === 'kvs')).toEqual([
      { type: 'kvs', id: 'k', namespace: 'primary', key: 'a.b', version: 3, change: { op: 'set', entry: { type: 'json', value: 1 } } },
      { type: 'kvs', id: 'k', namespace: 'primary', key: 'a.b', version: 5, change: { op: 'unlink' } },
    ]);
    session.gone();
  });
});

describe('limits', () => {
  it('refuses a subscription past maxSubscriptions, and jobs past maxJobs, naming the limit', async () => {
    const { jobs, sock, say, session } = setup({ limits: { maxSubscriptions: 2, maxJobs: 2 } });
    for (const id of [7n, 8n, 9n]) jobs.add(id);
    await say({ type: 'subscribe', id: 0, jobs: ['ƒ8', 'ƒ9', 'ƒA'] });
    await say({ type: 'subscribe', id: 1, jobs: ['ƒ8', 'ƒ9'] });
    await say({ type: 'subscribe', id: 2, jobs: 'all-mine' });
    await sock.until((m) => m.type === 'error' && m.id === 2 && m.jobid === 'ƒA');
    await say({ type: 'subscribe', id: 3, jobs: ['ƒA'] });
    expect(sock.sent).toContainEqual({ type: 'error', id: 0, code: 'invalid', message: 'jobs: at most 2 jobs per connection' });
    expect(sock.sent).toContainEqual({ type: 'error', id: 2, jobid: 'ƒA', code: 'limit', message: 'ƒA: not followed: this connection already follows its limit of jobs' });
    expect(sock.sent).toContainEqual({ type: 'error', id: 3, code: 'limit', message: 'at most 2 subscriptions per connection; unsubscribe from one first' });
    session.gone();
  });

  it('answers a bad subscribe with an error, and closes on a message it cannot read', async () => {
    const { sock, session } = setup();
    await session.receive(JSON.stringify({ type: 'subscribe', id: 3, jobs: ['nope'] }));
    expect(sock.sent.at(-1)).toEqual({ type: 'error', id: 3, code: 'invalid', message: 'jobs[0]: not a job id: "nope"' });
    await session.receive('{"type":"hello"}');
    expect(sock.closed).toEqual({ code: CLOSE_CODES.badMessage, reason: 'bad message: unknown message type "hello" (expected auth, subscribe or unsubscribe)' });
  });

  it('closes with 4429 when the socket holds more than maxBufferedBytes, and then sends nothing', async () => {
    let held = 0;
    const { jobs, sock, say } = setup({ limits: { maxBufferedBytes: 1000 }, buffered: () => held });
    jobs.add(7n);
    await say({ type: 'subscribe', id: 1, jobs: ['ƒ8'], output: true });
    held = 5000;
    jobs.write(7n, 'x'.repeat(100));
    await new Promise((r) => setTimeout(r, 30));
    expect(sock.closed).toEqual({ code: CLOSE_CODES.backpressure, reason: 'backpressure: 5000 bytes unread (limit 1000); read faster or subscribe to less' });
    const n = sock.sent.length;
    jobs.write(7n, 'more');
    jobs.finish(7n);
    await new Promise((r) => setTimeout(r, 30));
    expect(sock.sent.length).toBe(n);
  });
});

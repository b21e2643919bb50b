// watch-link.test.ts - push subscriptions (/v1/watch) and the SDK's kvs and subscribe() against a real instance
// (control plane on DynamoDB Local, real agents): a job's events in order exactly once, its output, `done`; KVS
// changes; all-mine; a bad token refused both ways; limits and backpressure refused with clear reasons.
import { WebSocket } from 'ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FlurryClient, isFlurryApiError, type WatchPush } from '../../client/sdk/index.ts';
import { startTestInstance, waitFor, type TestInstance } from '../support/instance.ts';

let inst: TestInstance;
let flurry: FlurryClient;

beforeAll(async () => {
  inst = await startTestInstance({ nodes: 2, coresPerNode: 2, log: !!process.env.FLURRY_TEST_LOG });
  flurry = new FlurryClient({ uri: inst.uri, token: inst.token });
}, 60_000);
afterAll(async () => inst?.stop());
beforeEach(() => waitFor(() => inst.server.watch.connections === 0, 5000, 'earlier watch connections to close'));

const wsUrl = () => `${inst.uri.replace(/^http/, 'ws')}/v1/watch`;

/** A raw client: its messages as they arrive, and how it closed. */
function raw(headers: Record<string, string> = {}) {
  const ws = new WebSocket(wsUrl(), { headers });
  const got: any[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (d) => got.push(JSON.parse(d.toString())));
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const until = (pred: (m: any) => boolean, what: string) => waitFor(() => got.some(pred), 15_000, what).then(() => got.find(pred));
  return { ws, got, closed, opened, until, send: (m: object) => ws.send(JSON.stringify(m)) };
}

describe('subscribe() to a job', () => {
  it('pushes every event in order exactly once, all of its output, then done, and ends', async () => {
    const id = await flurry.submit({ command: ['sh', '-c', 'echo one; sleep 0.3; echo two >&2; echo three'] });
    const pushes: WatchPush[] = [];
    for await (const p of flurry.subscribe({ jobs: [id] })) pushes.push(p);
    const log = await flurry.eventlogPage(id);
    const events = pushes.filter((p) => p.type === 'event');
    expect(events.map((e) => e.index)).toEqual(log.events.map((_, i) => i));
    expect(events.map((e) => e.event)).toEqual(log.events);
    const text = (stream: string) => pushes.flatMap((p) => (p.type === 'output' ? p.entries : [])).filter((e) => e.stream === stream).map((e) => e.data).join('');
    expect(text('stdout')).toBe('one\nthree\n');
    expect(text('stderr')).toBe('two\n');
    expect(pushes.at(-1)).toEqual({ type: 'done', jobid: id });
    expect(pushes.filter((p) => p.type === 'done')).toHaveLength(1);
  });

  it('resumes from the cursors it is given without repeating anything', async () => {
    const id = await flurry.submit({ command: ['sh', '-c', 'echo a; sleep 0.2; echo b'] });
    await flurry.wait(id);
    const first = await flurry.outputPage(id);
    const pushes: WatchPush[] = [];
    for await (const p of flurry.subscribe({ jobs: [{ id, from: 3, cursor: first.cursor }] })) pushes.push(p);
    const log = await flurry.eventlogPage(id);
    expect(pushes.filter((p) => p.type === 'event').map((p) => (p.type === 'event' ? p.index : -1))).toEqual(log.events.slice(3).map((_, i) => i + 3));
    expect(pushes.some((p) => p.type === 'output')).toBe(false);
  });

  it('follows all-mine: a job submitted after subscribing is pushed to its end', async () => {
    const ac = new AbortController();
    const seen: WatchPush[] = [];
    let id = '';
    const sub = flurry.subscribe({ jobs: 'all-mine', output: true, signal: ac.signal });
    const reading = (async () => {
      for await (const p of sub) {
        seen.push(p);
        if (p.type === 'done' && p.jobid === id) ac.abort();
      }
    })().catch((err: Error) => err);
    await waitFor(() => inst.server.watch.connections === 1, 5000, 'the subscription');
    await new Promise((r) => setTimeout(r, 100)); // (a job submitted before the subscription is found by its listing)
    id = await flurry.submit({ command: ['echo', 'mine'] });
    await reading;
    expect(seen.filter((p) => p.type === 'output' && p.jobid === id).flatMap((p) => (p.type === 'output' ? p.entries.map((e) => e.data) : []))).toEqual(['mine\n']);
  });
});

describe('KVS', () => {
  it('FlurryClient.kvs shares the client; a KVS change is pushed with its version', async () => {
    const start = await flurry.kvs.commit('primary', [{ op: 'put', key: 'watch.x', value: 0 }]);
    const ac = new AbortController();
    const sub = flurry.subscribe({ kvs: [{ namespace: 'primary', key: 'watch.x', after: start.version }], signal: ac.signal });
    const first = sub.next();
    const { version } = await flurry.kvs.commit('primary', [{ op: 'put', key: 'watch.x', value: { n: 1 } }]);
    const p = (await first).value as WatchPush;
    expect(p).toEqual({ type: 'kvs', namespace: 'primary', key: 'watch.x', version, change: { op: 'set', entry: { type: 'json', value: { n: 1 } } } });
    expect((await flurry.kvs.lookup('primary', 'watch.x')).entry).toEqual({ type: 'json', value: { n: 1 } });
    ac.abort();
    await sub.return(undefined);
  });
});

describe('authentication', () => {
  it('refuses a bad Authorization header on the upgrade with 401', async () => {
    const c = raw({ authorization: 'Bearer nope' });
    const err = await c.opened.then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/401/);
  });

  it('accepts a good header, and refuses a bad first-message token with 4401', async () => {
    const good = raw({ authorization: `Bearer ${inst.token}` });
    await good.opened;
    expect(await good.until((m) => m.type === 'ready', 'ready')).toEqual({ type: 'ready', user: 'alice', role: 'owner' });
    good.ws.close();
    const bad = raw();
    await bad.opened;
    bad.send({ type: 'auth', token: 'nope' });
    expect(await bad.closed).toEqual({ code: 4401, reason: 'unauthorized: invalid or unknown token' });
    const sdk = new FlurryClient({ uri: inst.uri, token: 'nope' });
    const err = await (async () => {
      for await (const _ of sdk.subscribe({ jobs: 'all-mine' })) break;
    })().catch((e: unknown) => e);
    expect(isFlurryApiError(err, 'unauthorized')).toBe(true);
  });
});

describe('limits', () => {
  it('refuses subscriptions past the limit, and connections past the limit with 503', async () => {
    const w = inst.server.watch;
    w.limits.maxSubscriptions = 1;
    w.maxConnections = 1;
    try {
      const c = raw({ authorization: `Bearer ${inst.token}` });
      await c.opened;
      c.send({ type: 'subscribe', id: 'a', jobs: 'all-mine' });
      c.send({ type: 'subscribe', id: 'b', jobs: 'all-mine' });
      expect(await c.until((m) => m.id === 'b', 'the refusal')).toEqual({ type: 'error', id: 'b', code: 'limit', message: 'at most 1 subscriptions per connection; unsubscribe from one first' });
      const second = raw({ authorization: `Bearer ${inst.token}` });
      expect((await second.opened.then(() => undefined, (e: Error) => e))?.message).toMatch(/503/);
      c.ws.close();
      await c.closed;
    } finally {
      w.limits.maxSubscriptions = 16;
      w.maxConnections = 256;
    }
  });

  it('closes with 4429 and a reason when the client stops reading', async () => {
    const w = inst.server.watch;
    w.limits.maxBufferedBytes = 256 * 1024;
    try {
      const c = raw({ authorization: `Bearer ${inst.token}` });
      await c.opened;
      c.send({ type: 'subscribe', id: 1, kvs: [{ namespace: 'primary', key: 'big' }] });
      await c.until((m) => m.type === 'subscribed', 'subscribed');
      await new Promise((r) => setTimeout(r, 100));
      c.ws.pause();
      const value = 'x'.repeat(200_000);
      let commits = 0;
      while (w.connections > 0 && commits < 150) {
        await flurry.kvs.commit('primary', [{ op: 'put', key: 'big', value }]);
        commits++;
      }
      expect(w.connections).toBe(0);
      // Nothing is pushed once the link gave up on the client.
      for (let i = 0; i < 2; i++, commits++) await flurry.kvs.commit('primary', [{ op: 'put', key: 'big', value }]);
      c.ws.resume();
      const closed = await c.closed;
      expect(closed.code).toBe(4429);
      expect(closed.reason).toMatch(/^backpressure: \d+ bytes unread \(limit 262144\)/);
      expect(c.got.filter((m) => m.type === 'kvs').length).toBeLessThan(commits);
    } finally {
      w.limits.maxBufferedBytes = 8 * 1024 * 1024;
    }
  }, 60_000);
});

// client.test.ts - FlurryClient's own logic against an injected fetch: requests it builds, retries (and when it
// does not retry), error mapping, chunked submission, pagination, and the long-polling iterators.
import { describe, expect, it } from 'vitest';
import { FlurryApiError, FlurryClient, isFlurryApiError, jobspec } from './index.ts';
import { baseUri } from './transport.ts';

interface Seen {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: any;
}
type Reply = { status?: number; json?: unknown; text?: string; headers?: Record<string, string> } | Error;

/** A fetch that records requests and answers from `handler`. */
function fakeFetch(handler: (req: Seen, n: number) => Reply | Promise<Reply>) {
  const seen: Seen[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const req: Seen = {
      method: init?.method ?? 'GET',
      url: new URL(String(input)),
      headers: Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>)),
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
    };
    seen.push(req);
    const r = await handler(req, seen.length);
    if (r instanceof Error) throw r;
    const body = r.text ?? JSON.stringify(r.json ?? {});
    return new Response(body, { status: r.status ?? 200, headers: r.headers });
  };
  return { fetch: fetch as typeof globalThis.fetch, seen };
}

const sleeps: number[] = [];
const client = (handler: Parameters<typeof fakeFetch>[0], extra: object = {}) => {
  const f = fakeFetch(handler);
  const c = new FlurryClient({ uri: 'http://flurry.test:8080/', token: 'tok', fetch: f.fetch, sleep: async (ms) => void sleeps.push(ms), ...extra });
  return { c, seen: f.seen };
};

const SUMMARY = { id: 'ƒ2', owner: 'alice', name: 'x', state: 'RUN', stateCode: 'R', urgency: 16, t_submit: 1, runtime: 0, duration: 0 };

describe('requests', () => {
  it('sends the bearer token and builds paths and queries from the route table', async () => {
    const { c, seen } = client(() => ({ json: { jobs: [], cursor: undefined } }));
    await c.jobs({ filter: 'pending,running', user: '*', limit: 5 });
    expect(seen[0]!.method).toBe('GET');
    expect(seen[0]!.url.pathname).toBe('/v1/jobs');
    expect(Object.fromEntries(seen[0]!.url.searchParams)).toEqual({ filter: 'pending,running', user: '*', limit: '5' });
    expect(seen[0]!.headers.authorization).toBe('Bearer tok');
  });

  it('escapes ids in paths and accepts bigints', async () => {
    const { c, seen } = client(() => ({ json: SUMMARY }));
    await c.job('ƒuZZybuNNy');
    await c.job(6731191091817518n);
    expect(seen[0]!.url.pathname).toBe('/v1/jobs/%C6%92uZZybuNNy');
    expect(seen[1]!.url.pathname).toBe('/v1/jobs/6731191091817518');
  });

  it('normalizes the instance URI', () => {
    expect(baseUri('http://h:1/v1/')).toBe('http://h:1');
    expect(baseUri('https://x.execute-api.aws.com/prod/')).toBe('https://x.execute-api.aws.com/prod');
    expect(() => baseUri('h:1')).toThrow(/not an http/);
  });

  it('cancel sends the note; drain the targets and reason', async () => {
    const { c, seen } = client((r) => ({ json: r.url.pathname.includes('cancel') ? SUMMARY : { nodes: ['n1'] } }));
    await c.cancel('ƒ2', 'bye');
    await c.cancel('ƒ2');
    await c.drain('n[1-2]', 'broken');
    expect(seen.map((s) => [s.method, s.url.pathname, s.body])).toEqual([
      ['POST', '/v1/jobs/%C6%922/cancel', { note: 'bye' }],
      ['POST', '/v1/jobs/%C6%922/cancel', {}],
      ['POST', '/v1/resources/drain', { targets: 'n[1-2]', reason: 'broken' }],
    ]);
  });
});

describe('errors and retries', () => {
  it('turns the server JSON error into a FlurryApiError', async () => {
    const { c } = client(() => ({ status: 400, json: { error: { code: 'invalid', message: 'body.urgency: must be ≤ 31', field: 'body.urgency' } } }));
    const err = await c.setUrgency('ƒ2', 99).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlurryApiError);
    expect(err).toMatchObject({ status: 400, code: 'invalid', field: 'body.urgency', message: 'body.urgency: must be ≤ 31' });
    expect(isFlurryApiError(err, 'invalid')).toBe(true);
  });

  it('describes a non-JSON error page', async () => {
    const { c } = client(() => ({ status: 502, text: '<html>Bad Gateway</html>' }), { retries: 0 });
    await expect(c.resources()).rejects.toMatchObject({ status: 502, code: 'unavailable', message: 'HTTP 502: <html>Bad Gateway</html>' });
  });

  it('retries GETs on network errors and 5xx, then succeeds', async () => {
    const { c, seen } = client((_r, n) => (n === 1 ? new TypeError('fetch failed') : n === 2 ? { status: 503, json: { error: { code: 'unavailable', message: 'busy' } } } : { json: { ok: true, version: '1' } }));
    expect(await c.health()).toEqual({ ok: true, version: '1' });
    expect(seen).toHaveLength(3);
  });

  it('gives up after the configured retries with status 0 "unreachable"', async () => {
    const { c, seen } = client(() => new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') }), { retries: 2 });
    await expect(c.whoami()).rejects.toMatchObject({ status: 0, code: 'unreachable', message: 'cannot reach Flurry at http://flurry.test:8080: connect ECONNREFUSED 127.0.0.1:1' });
    expect(seen).toHaveLength(3);
  });

  it('honours Retry-After', async () => {
    sleeps.length = 0;
    const { c } = client((_r, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '2' }, json: {} } : { json: { ok: true, version: '1' } }));
    await c.health();
    expect(sleeps).toEqual([2000]);
  });

  it('never retries cancel, urgency, drain or a 4xx', async () => {
    for (const call of [(c: FlurryClient) => c.cancel('ƒ2'), (c: FlurryClient) => c.setUrgency('ƒ2', 1), (c: FlurryClient) => c.drain('n1')]) {
      const { c, seen } = client(() => ({ status: 503, json: { error: { code: 'unavailable', message: 'busy' } } }));
      await expect(call(c)).rejects.toMatchObject({ code: 'unavailable' });
      expect(seen).toHaveLength(1);
    }
    const { c, seen } = client(() => ({ status: 404, json: { error: { code: 'not_found', message: 'no job' } } }));
    await expect(c.job('ƒ2')).rejects.toMatchObject({ code: 'not_found' });
    expect(seen).toHaveLength(1);
  });

  it('retries a submission with the same client token', async () => {
    const { c, seen } = client((_r, n) => (n < 3 ? { status: 500, json: { error: { code: 'internal', message: 'oops' } } } : { status: 201, json: { ids: ['ƒ9'] } }));
    expect(await c.submit(jobspec(['true']))).toBe('ƒ9');
    expect(seen).toHaveLength(3);
    const tokens = new Set(seen.map((s) => s.body.clientToken));
    expect(tokens.size).toBe(1);
    expect([...tokens][0]).toMatch(/^[\w-]{16,}$/);
  });

  it('stops at once when aborted', async () => {
    const ac = new AbortController();
    const { c, seen } = client(() => {
      ac.abort(new Error('stop'));
      return new TypeError('fetch failed');
    });
    await expect(c.health(ac.signal)).rejects.toThrow('stop');
    expect(seen).toHaveLength(1);
  });
});

describe('submission', () => {
  it('builds the jobspec from a command and shape options', async () => {
    const { c, seen } = client(() => ({ status: 201, json: { ids: ['ƒ1'] } }));
    await c.submit({ command: ['hostname'], nodes: 2, duration: '10m' }, { urgency: 20 });
    const body = seen[0]!.body;
    expect(body.urgency).toBe(20);
    expect(body.jobspec.resources[0]).toMatchObject({ type: 'node', count: 2 });
    expect(body.jobspec.attributes.system.duration).toBe(600);
  });

  it('splits --cc into chunks, each with its own token, and keeps the ids in order', async () => {
    const progress: number[] = [];
    const { c, seen } = client(async (r) => {
      const ids = r.body.cc.split(',').flatMap((part: string) => {
        const [a, b = a] = part.split('-').map(Number);
        return Array.from({ length: b! - a! + 1 }, (_, i) => `ƒ${a! + i}`);
      });
      await new Promise((res) => setTimeout(res, ids[0] === 'ƒ1' ? 20 : 1)); // the first chunk answers last
      return { status: 201, json: { ids } };
    });
    const ids = await c.submit(jobspec(['true']), { cc: '1-25', chunkSize: 10, onProgress: (n) => progress.push(n) });
    expect(ids).toEqual(Array.from({ length: 25 }, (_, i) => `ƒ${i + 1}`));
    expect(seen.map((s) => s.body.cc).sort()).toEqual(['1-10', '11-20', '21-25']);
    expect(new Set(seen.map((s) => s.body.clientToken)).size).toBe(3);
    expect(progress.at(-1)).toBe(25);
  });

  it('submitMany sends at most 1000 jobspecs per request', async () => {
    let next = 0;
    const { c, seen } = client((r) => ({ status: 201, json: { ids: r.body.jobspecs.map(() => `ƒ${++next}`) } }));
    const ids = await c.submitMany(Array.from({ length: 2500 }, () => jobspec(['true'])), { concurrency: 1 });
    expect(ids).toHaveLength(2500);
    expect(seen.map((s) => s.body.jobspecs.length)).toEqual([1000, 1000, 500]);
  });

  it('says how many jobs were submitted when a later chunk fails', async () => {
    const { c } = client((r) => (r.body.cc === '1-2' ? { status: 201, json: { ids: ['ƒ1', 'ƒ2'] } } : { status: 400, json: { error: { code: 'invalid', message: 'bad' } } }));
    await expect(c.submit(jobspec(['true']), { cc: [1, 2, 3], chunkSize: 2, concurrency: 1 })).rejects.toMatchObject({
      code: 'invalid',
      message: 'bad (2 of 3 jobs were submitted)',
    });
  });
});

describe('pagination and long polling', () => {
  it('allJobs follows cursors and stops at max', async () => {
    const pages: Record<string, unknown> = {
      '': { jobs: [{ ...SUMMARY, id: 'a' }, { ...SUMMARY, id: 'b' }], cursor: 'p2' },
      p2: { jobs: [{ ...SUMMARY, id: 'c' }], cursor: 'p3' },
      p3: { jobs: [{ ...SUMMARY, id: 'd' }] },
    };
    const { c, seen } = client((r) => ({ json: pages[r.url.searchParams.get('cursor') ?? ''] }));
    const all: string[] = [];
    for await (const j of c.allJobs({ filter: 'inactive' })) all.push(j.id);
    expect(all).toEqual(['a', 'b', 'c', 'd']);
    expect(seen.map((s) => s.url.searchParams.get('limit'))).toEqual(['1000', '1000', '1000']);
    const three: string[] = [];
    for await (const j of c.allJobs({ max: 3 })) three.push(j.id);
    expect(three).toEqual(['a', 'b', 'c']);
  });

  it('events() long-polls from the last index until done', async () => {
    const answers = [
      { events: [{ timestamp: 1, name: 'submit' }], next: 1, done: false },
      { events: [], next: 1, done: false },
      { events: [{ timestamp: 2, name: 'finish', context: { status: 0 } }, { timestamp: 3, name: 'clean' }], next: 3, done: true },
    ];
    const { c, seen } = client((_r, n) => ({ json: answers[n - 1] }));
    const names: string[] = [];
    for await (const ev of c.events('ƒ2', { waitSeconds: 5 })) names.push(ev.name);
    expect(names).toEqual(['submit', 'finish', 'clean']);
    expect(seen.map((s) => [s.url.searchParams.get('from'), s.url.searchParams.get('wait')])).toEqual([['0', '5'], ['1', '5'], ['1', '5']]);
  });

  it('output() passes cursors back, reports truncation once, and ends when done', async () => {
    const answers = [
      { entries: [{ stream: 'stdout', task: 0, data: 'a\n' }], cursor: 'c1', done: false, truncated: true },
      { entries: [{ stream: 'stderr', task: 1, data: 'b\n' }], cursor: 'c2', done: true, truncated: true },
    ];
    const { c, seen } = client((_r, n) => ({ json: answers[n - 1] }));
    let truncations = 0;
    const got: string[] = [];
    for await (const o of c.output('ƒ2', { onTruncated: () => truncations++ })) got.push(`${o.stream}:${o.task}:${o.data}`);
    expect(got).toEqual(['stdout:0:a\n', 'stderr:1:b\n']);
    expect(truncations).toBe(1);
    expect(seen.map((s) => s.url.searchParams.get('cursor'))).toEqual([null, 'c1']);
    expect(seen[0]!.url.searchParams.get('wait')).toBe('25');
  });

  it('wait() follows the eventlog to the end, then returns the job', async () => {
    const { c, seen } = client((r) =>
      r.url.pathname.endsWith('/eventlog')
        ? { json: r.url.searchParams.get('from') === '0' ? { events: [{ timestamp: 1, name: 'submit' }], next: 1, done: false } : { events: [{ timestamp: 2, name: 'clean' }], next: 2, done: true } }
        : { json: { ...SUMMARY, state: 'INACTIVE', stateCode: 'CD', result: 'COMPLETED', exitCode: 0, jobspec: {} } },
    );
    const job = await c.wait('ƒ2');
    expect(job).toMatchObject({ result: 'COMPLETED', exitCode: 0 });
    expect(seen.map((s) => s.url.pathname.split('/').pop())).toEqual(['eventlog', 'eventlog', '%C6%922']);
  });
});

// app.test.ts - the HTTP edge's cross-cutting behaviour: auth, error mapping, body limits, headers, CORS, health.
import { beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, FlurryError, ForbiddenError, InvalidInputError, NotFoundError, UnauthorizedError } from '../core/errors.ts';
import { hc } from 'hono/client';
import { createApp, type AppType } from './app.ts';
import { FakeServices, JOB_F58, send } from './fake-services.ts';

let fake: FakeServices;
let logged: string[];
let app: ReturnType<typeof createApp>;

beforeEach(() => {
  fake = new FakeServices();
  logged = [];
  app = createApp(fake.services, { version: '9.8.7', log: (line) => logged.push(line) });
});

const PUBLIC = new Set(['GET /v1/health', 'GET /v1/openapi.json']);
const servedRoutes = () => [...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))];

describe('meta routes', () => {
  it('GET /v1/health answers without a token and calls no service', async () => {
    const res = await send(app, 'GET', '/v1/health', { token: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, version: '9.8.7' });
    expect(fake.calls).toEqual([]);
  });

  it('GET /v1/whoami names the caller behind the token', async () => {
    const res = await send(app, 'GET', '/v1/whoami', { token: 'tok-user' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ user: 'bob', role: 'user' });
    expect(fake.callsOf('authenticate')).toEqual([['tok-user']]);
  });

  it('every answer is JSON and not cacheable, errors included', async () => {
    for (const path of ['/v1/health', '/v1/whoami', '/v1/nope']) {
      const res = await app.request(path);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('an unknown route is a JSON 404', async () => {
    const res = await send(app, 'GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'no route for GET /v1/nothing-here' } });
  });
});

describe('authentication', () => {
  it('refuses a missing token with 401 and a JSON error', async () => {
    const res = await send(app, 'GET', '/v1/jobs', { token: null });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
    expect(res.body.error.message).toMatch(/missing bearer token/);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(fake.calls).toEqual([]);
  });

  it('refuses an unknown token, and other schemes, with 401', async () => {
    const wrong = await send(app, 'GET', '/v1/jobs', { token: 'not-a-token' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: { code: 'unauthorized', message: 'invalid or unknown token' } });
    expect(fake.callsOf('authenticate')).toEqual([['not-a-token']]);
    expect(fake.callsOf('list')).toEqual([]);
    const basic = await send(app, 'GET', '/v1/jobs', { token: null, headers: { authorization: 'Basic dG9rLW93bmVyOg==' } });
    expect(basic.status).toBe(401);
    const huge = await send(app, 'GET', '/v1/jobs', { token: 'x'.repeat(5000) });
    expect(huge.status).toBe(401);
    expect(fake.callsOf('authenticate')).toHaveLength(1); // an oversized token never reaches the service
  });

  it('accepts the scheme in any case', async () => {
    const res = await send(app, 'GET', '/v1/whoami', { token: null, headers: { authorization: 'bearer tok-owner' } });
    expect(res.status).toBe(200);
  });

  it('protects every route but health and the document, before reading any body', async () => {
    const routes = servedRoutes();
    expect(routes.length).toBeGreaterThan(10);
    for (const route of routes) {
      const [method, path] = route.split(' ') as [string, string];
      const res = await send(app, method, path.replace(':id', 'ƒuZZybuNNy'), { token: null, json: method === 'POST' ? { x: 1 } : undefined });
      expect(res.status, route).toBe(PUBLIC.has(route) ? 200 : 401);
    }
    expect(fake.calls).toEqual([]);
  });
});

describe('error mapping', () => {
  const cases: Array<[unknown, number, object]> = [
    [new InvalidInputError('must be ≥ 0', 'note'), 400, { code: 'invalid', message: 'note: must be ≥ 0', field: 'note' }],
    [new UnauthorizedError(), 401, { code: 'unauthorized', message: 'missing or invalid token' }],
    [new ForbiddenError('only the instance owner may do that'), 403, { code: 'forbidden', message: 'only the instance owner may do that' }],
    [new NotFoundError('job ƒuZZybuNNy not found'), 404, { code: 'not_found', message: 'job ƒuZZybuNNy not found' }],
    [new ConflictError('job ƒuZZybuNNy is inactive'), 409, { code: 'conflict', message: 'job ƒuZZybuNNy is inactive' }],
    [new FlurryError('unavailable', 'the store is throttling; retry'), 503, { code: 'unavailable', message: 'the store is throttling; retry' }],
  ];
  for (const [err, status, error] of cases) {
    it(`${(err as Error).name} → ${status}`, async () => {
      fake.failNext('info', err);
      const res = await send(app, 'GET', '/v1/jobs/ƒuZZybuNNy');
      expect(res.status).toBe(status);
      expect(res.body).toEqual({ error });
      expect(logged).toEqual([]);
    });
  }

  it('anything else is a 500 with a generic message; the error is logged, never sent', async () => {
    const err = new TypeError('cannot read properties of undefined (reading "secret")');
    fake.failNext('info', err);
    const res = await app.request('/v1/jobs/ƒuZZybuNNy', { headers: { authorization: 'Bearer tok-owner' } });
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect(text).not.toMatch(/secret|TypeError|at /);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/GET \/v1\/jobs\/.*500 TypeError: cannot read/);
  });

  it('a FlurryError of an unknown code is internal too', async () => {
    fake.failNext('info', new FlurryError('fluid_exhausted', 'generator ran out'));
    const res = await send(app, 'GET', '/v1/jobs/ƒuZZybuNNy');
    expect(res.status).toBe(500);
    expect(res.body.error).toEqual({ code: 'internal', message: 'internal error' });
  });
});

describe('request bodies', () => {
  const jobspec = { version: 1 };

  it('malformed JSON is a 400 naming the body', async () => {
    const res = await send(app, 'POST', '/v1/jobs', { body: '{"jobspec": {', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'invalid', message: 'body is not valid JSON', field: 'body' } });
    expect(fake.callsOf('submit')).toEqual([]);
  });

  it('a body that is not UTF-8 is not JSON', async () => {
    const res = await send(app, 'POST', '/v1/jobs', { body: new Uint8Array([0x7b, 0xff, 0x7d]), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('body');
  });

  it('a 2 MiB body is refused with 413 before it is parsed', async () => {
    const big = JSON.stringify({ jobspec: { version: 1, pad: 'x'.repeat(2 * 1024 * 1024) } });
    const res = await send(app, 'POST', '/v1/jobs', { body: big, headers: { 'content-type': 'application/json', 'content-length': String(big.length) } });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: { code: 'too_large', message: 'request body is larger than the limit of 1048576 bytes' } });
    const unannounced = await send(app, 'POST', '/v1/jobs', { body: big, headers: { 'content-type': 'application/json' } });
    expect(unannounced.status).toBe(413);
    const understated = await send(app, 'POST', '/v1/jobs', { body: big, headers: { 'content-type': 'application/json', 'content-length': '10' } });
    expect(understated.status).toBe(413);
    expect(fake.callsOf('submit')).toEqual([]);
  });

  it('counts the bytes actually read, whatever Content-Length says or when it is absent', async () => {
    const small = createApp(fake.services, { maxBodyBytes: 100 });
    const body = JSON.stringify({ jobspec: { pad: 'x'.repeat(200) } });
    const chunks = [body.slice(0, 50), body.slice(50)].map((s) => new TextEncoder().encode(s));
    const stream = new ReadableStream<Uint8Array>({
      start(ctl) {
        for (const c of chunks) ctl.enqueue(c);
        ctl.close();
      },
    });
    const req = new Request('http://x/v1/jobs', {
      method: 'POST', body: stream, duplex: 'half', headers: { authorization: 'Bearer tok-owner', 'content-type': 'application/json' },
    } as RequestInit);
    const res = await small.request(req);
    expect(res.status).toBe(413);
    const ok = await send(small, 'POST', '/v1/jobs', { json: { jobspec } });
    expect(ok.status).toBe(201);
  });

  it('a body that is not JSON is refused with 415', async () => {
    const res = await send(app, 'POST', '/v1/jobs', { body: 'jobspec=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
    const none = await send(app, 'POST', '/v1/jobs', { body: new TextEncoder().encode('{"jobspec": {}}') });
    expect(none.status).toBe(415);
  });

  it('accepts JSON media types with parameters and +json', async () => {
    for (const type of ['application/json; charset=utf-8', 'application/vnd.flurry+json']) {
      const res = await send(app, 'POST', '/v1/jobs', { json: { jobspec }, headers: { 'content-type': type } });
      expect(res.status, type).toBe(201);
    }
  });
});

describe('CORS', () => {
  it('sends no CORS headers by default', async () => {
    const res = await app.request('/v1/health', { headers: { origin: 'https://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows only the listed origins when configured', async () => {
    const withCors = createApp(fake.services, { cors: ['https://ui.example'] });
    const ok = await withCors.request('/v1/health', { headers: { origin: 'https://ui.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://ui.example');
    const other = await withCors.request('/v1/health', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await withCors.request('/v1/jobs', {
      method: 'OPTIONS',
      headers: { origin: 'https://ui.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/i);
  });
});

describe('hc<AppType>', () => {
  it('gives a typed client over the chained routes', async () => {
    const client = hc<AppType>('http://flurry.local', {
      fetch: (input: RequestInfo | URL, init?: RequestInit) => app.request(input instanceof Request ? input : String(input), init),
      headers: { authorization: 'Bearer tok-owner' },
    });
    const submitted = await client.v1.jobs.$post({ json: { jobspec: { version: 1 }, urgency: 3 } });
    expect(submitted.status).toBe(201);
    if (submitted.status === 201) {
      const { ids } = await submitted.json();
      const first: string | undefined = ids[0];
      expect(first).toBe(JOB_F58);
    }
    const info = await client.v1.jobs[':id'].$get({ param: { id: JOB_F58 } });
    if (info.status !== 200) throw new Error(`status ${info.status}`);
    const job = await info.json();
    const state: string = job.state;
    expect([job.id, state]).toEqual([JOB_F58, 'RUN']);
  });
});

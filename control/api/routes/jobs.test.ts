// jobs.test.ts - the /v1/jobs routes over a recording fake JobService: what reaches the service, what comes back.
import { beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../../core/errors.ts';
import { encodeFluid } from '../../core/fluid.ts';
import { createApp } from '../app.ts';
import { FakeServices, JOB_F58, JOB_ID, OWNER, send, SUMMARY, USER } from '../fake-services.ts';

let fake: FakeServices;
let app: ReturnType<typeof createApp>;

beforeEach(() => {
  fake = new FakeServices();
  app = createApp(fake.services, { log: () => {} });
});

const jobspec = { version: 1, resources: [{ type: 'slot', count: 1, label: 'task', with: [{ type: 'core', count: 1 }] }] };
const invalid = async (path: string, json: unknown, method = 'POST') => {
  const res = await send(app, method, path, method === 'POST' ? { json } : {});
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.error.code).toBe('invalid');
  return res.body.error as { message: string; field: string };
};

describe('POST /v1/jobs', () => {
  it('submits one jobspec object and answers 201 with f58 ids', async () => {
    fake.answers.submit = { ids: [JOB_ID, 2n ** 64n - 1n] };
    const res = await send(app, 'POST', '/v1/jobs', { json: { jobspec } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ ids: [JOB_F58, encodeFluid(2n ** 64n - 1n)] });
    expect(fake.callsOf('submit')).toEqual([[OWNER, { jobspecs: [jobspec] }]]);
  });

  it('parses YAML and JSON text, and passes urgency and the client token', async () => {
    const yaml = 'version: 1\nresources:\n  - type: slot\n    count: 1\n';
    const res = await send(app, 'POST', '/v1/jobs', { token: 'tok-user', json: { jobspecs: [yaml, JSON.stringify(jobspec), jobspec], urgency: 0, clientToken: 'c-1' } });
    expect(res.status).toBe(201);
    const [[caller, input]] = fake.callsOf('submit') as [[unknown, { jobspecs: unknown[] }]];
    expect(caller).toEqual(USER);
    expect(input).toEqual({ jobspecs: [{ version: 1, resources: [{ type: 'slot', count: 1 }] }, jobspec, jobspec], urgency: 0, clientToken: 'c-1' });
  });

  it('expands cc into ids', async () => {
    await send(app, 'POST', '/v1/jobs', { json: { jobspec, cc: '[1-3,7]' } });
    expect(fake.callsOf('submit')).toEqual([[OWNER, { jobspecs: [jobspec], cc: [1, 2, 3, 7] }]]);
  });

  it('names the field of each wrong input', async () => {
    expect(await invalid('/v1/jobs', { jobspec, urgency: 'high' })).toEqual({ code: 'invalid', field: 'body.urgency', message: 'body.urgency: must be an integer' });
    expect(await invalid('/v1/jobs', { jobspec, urgency: 40 })).toEqual({ code: 'invalid', field: 'body.urgency', message: 'body.urgency: must be ≤ 31' });
    expect(await invalid('/v1/jobs', { jobspec, urgency: 1.5 })).toMatchObject({ field: 'body.urgency' });
    expect(await invalid('/v1/jobs', { jobspec, cc: '1-' })).toMatchObject({ field: 'body.cc', message: expect.stringMatching(/^body\.cc: invalid idset "1-"/) });
    expect(await invalid('/v1/jobs', { jobspec, cc: '0-100000' })).toMatchObject({ field: 'body.cc', message: expect.stringMatching(/limit of 100000/) });
    expect(await invalid('/v1/jobs', { jobspec, cc: '' })).toMatchObject({ field: 'body.cc' });
    expect(await invalid('/v1/jobs', { jobspecs: [jobspec], cc: '1-2' })).toEqual({ code: 'invalid', field: 'body.cc', message: 'body.cc: is only allowed with a single jobspec' });
    expect(await invalid('/v1/jobs', {})).toEqual({ code: 'invalid', field: 'body', message: 'body: must hold exactly one of jobspec or jobspecs' });
    expect(await invalid('/v1/jobs', { jobspec, jobspecs: [jobspec] })).toMatchObject({ field: 'body' });
    expect(await invalid('/v1/jobs', { jobSpec: jobspec })).toMatchObject({ field: 'body.jobSpec', message: expect.stringMatching(/is not a known field/) });
    expect(await invalid('/v1/jobs', { jobspec: 42 })).toMatchObject({ field: 'body.jobspec', message: 'body.jobspec: must be a jobspec (a mapping) or a string of YAML/JSON' });
    expect(await invalid('/v1/jobs', { jobspecs: [jobspec, null] })).toMatchObject({ field: 'body.jobspecs[1]' });
    expect(await invalid('/v1/jobs', { jobspecs: [] })).toMatchObject({ field: 'body.jobspecs', message: 'body.jobspecs: must not be empty' });
    expect(await invalid('/v1/jobs', { jobspecs: Array(1001).fill('x') })).toMatchObject({ field: 'body.jobspecs', message: 'body.jobspecs: must hold at most 1000 items' });
    expect(await invalid('/v1/jobs', { jobspec, clientToken: 'x'.repeat(129) })).toMatchObject({ field: 'body.clientToken' });
    expect(await invalid('/v1/jobs', [jobspec])).toMatchObject({ field: 'body', message: 'body: must be an object' });
    expect(fake.callsOf('submit')).toEqual([]);
  });

  it('names the jobspec whose YAML does not parse', async () => {
    const err = await invalid('/v1/jobs', { jobspecs: [jobspec, 'a: [1,'] });
    expect(err.field).toBe('body.jobspecs[1]');
    expect(err.message).toMatch(/^body\.jobspecs\[1\]: invalid YAML\/JSON: .*\(line \d+, column \d+\)$/);
    expect((await invalid('/v1/jobs', { jobspec: 'a: 1\na: 2' })).field).toBe('body.jobspec');
  });

  it("maps the service's field paths onto the request body", async () => {
    fake.failNext('submit', new InvalidInputError('must be an integer ≥ 1', 'jobspecs[0].resources[0].count'));
    expect(await invalid('/v1/jobs', { jobspec })).toEqual({
      code: 'invalid', field: 'body.jobspec.resources[0].count', message: 'body.jobspec.resources[0].count: must be an integer ≥ 1',
    });
    fake.failNext('submit', new InvalidInputError('must be an integer ≥ 1', 'jobspecs[3].resources[0].count'));
    expect(await invalid('/v1/jobs', { jobspecs: [jobspec, jobspec, jobspec, jobspec] })).toMatchObject({ field: 'body.jobspecs[3].resources[0].count' });
    fake.failNext('submit', new InvalidInputError('is reused with other jobspecs', 'clientToken'));
    expect(await invalid('/v1/jobs', { jobspec, clientToken: 't' })).toMatchObject({ field: 'body.clientToken' });
  });

  it('passes refusals through: 403 for expedite by a user, 409 for a token reused differently', async () => {
    fake.failNext('submit', new ForbiddenError('only the instance owner may use urgency 31'));
    expect((await send(app, 'POST', '/v1/jobs', { token: 'tok-user', json: { jobspec, urgency: 31 } })).status).toBe(403);
    fake.failNext('submit', new ConflictError('client token c-1 was used for other jobs'));
    expect((await send(app, 'POST', '/v1/jobs', { json: { jobspec, clientToken: 'c-1' } })).status).toBe(409);
  });
});

describe('GET /v1/jobs', () => {
  it('passes the query and answers summaries with f58 ids and the cursor', async () => {
    const res = await send(app, 'GET', '/v1/jobs?filter=pending,running&user=*&name=sim&limit=5&cursor=abc');
    expect(res.status).toBe(200);
    expect(fake.callsOf('list')).toEqual([[OWNER, { filter: 'pending,running', user: '*', name: 'sim', limit: 5, cursor: 'abc' }]]);
    expect(res.body.cursor).toBe('next-page');
    expect(res.body.jobs).toEqual([{ ...SUMMARY, id: JOB_F58 }]);
    expect(typeof res.body.jobs[0].id).toBe('string');
  });

  it('passes nothing it was not given, and leaves out an absent cursor', async () => {
    fake.answers.list = { jobs: [] };
    const res = await send(app, 'GET', '/v1/jobs');
    expect(res.body).toEqual({ jobs: [] });
    expect(fake.callsOf('list')).toEqual([[OWNER, {}]]);
  });

  it('refuses a limit outside 1–1000', async () => {
    expect(await invalid('/v1/jobs?limit=0', undefined, 'GET')).toEqual({ code: 'invalid', field: 'query.limit', message: 'query.limit: must be ≥ 1' });
    expect((await invalid('/v1/jobs?limit=1001', undefined, 'GET')).message).toBe('query.limit: must be ≤ 1000');
    expect(await invalid('/v1/jobs?limit=ten', undefined, 'GET')).toMatchObject({ field: 'query.limit', message: 'query.limit: must be an integer' });
    expect((await invalid('/v1/jobs?limit=2.5', undefined, 'GET')).field).toBe('query.limit');
  });

  it('does not leak fields the service adds beyond JobSummary', async () => {
    fake.answers.list = { jobs: [{ ...SUMMARY, secretInternal: 1n } as typeof SUMMARY] };
    const res = await send(app, 'GET', '/v1/jobs');
    expect(res.status).toBe(200);
    expect(res.body.jobs[0]).not.toHaveProperty('secretInternal');
  });
});

describe('GET /v1/jobs/{id}', () => {
  it('accepts any RFC 19 encoding and answers f58', async () => {
    const encodings = [JOB_F58, 'fuZZybuNNy', '0x17e9fb8df16c2e', '0017.e9fb.8df1.6c2e', '6731191091817518', encodeFluid(JOB_ID, 'words')];
    for (const id of encodings) {
      const res = await send(app, 'GET', `/v1/jobs/${encodeURIComponent(id)}`);
      expect(res.status, id).toBe(200);
      expect(res.body.id).toBe(JOB_F58);
    }
    expect(fake.callsOf('info')).toEqual(encodings.map(() => [OWNER, JOB_ID]));
  });

  it('answers the JobInfo with jobspec and R', async () => {
    const res = await send(app, 'GET', `/v1/jobs/${JOB_F58}`);
    expect(res.body).toEqual({ ...fake.answers.info, id: JOB_F58 });
  });

  it('refuses a bad id as a 400 naming path.id, without calling the service', async () => {
    const err = await invalid('/v1/jobs/xyz', undefined, 'GET');
    expect(err.field).toBe('path.id');
    expect(err.message).toMatch(/^path\.id: invalid job id "xyz"/);
    expect((await invalid(`/v1/jobs/0x${'f'.repeat(17)}`, undefined, 'GET')).message).toMatch(/larger than 64 bits/);
    expect(fake.callsOf('info')).toEqual([]);
  });

  it('404s an unknown job', async () => {
    fake.failNext('info', new NotFoundError(`job ${JOB_F58} not found`));
    const res = await send(app, 'GET', `/v1/jobs/${JOB_F58}`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: `job ${JOB_F58} not found` } });
  });
});

describe('long polling: eventlog and output', () => {
  it('passes from and wait (seconds → ms, clamped to 0–60) and the request signal', async () => {
    const cases: Array<[string, number, number]> = [['', 0, 0], ['?from=3&wait=2.5', 3, 2500], ['?wait=600', 0, 60_000], ['?wait=-5', 0, 0]];
    for (const [query] of cases) expect((await send(app, 'GET', `/v1/jobs/${JOB_F58}/eventlog${query}`)).status).toBe(200);
    const calls = fake.callsOf('eventlog');
    expect(calls.map((c) => c.slice(0, 4))).toEqual(cases.map(([, from, wait]) => [OWNER, JOB_ID, from, wait]));
    for (const c of calls) expect(c[4]).toBeInstanceOf(AbortSignal);
  });

  it('aborts the signal it passed when the client goes away', async () => {
    const client = new AbortController();
    let seen: AbortSignal | undefined;
    fake.services.jobs.eventlog = async (_caller, _id, _from, _waitMs, signal) => {
      seen = signal;
      client.abort();
      return { events: [], next: 0, done: false };
    };
    await send(app, 'GET', `/v1/jobs/${JOB_F58}/eventlog?wait=30`, { signal: client.signal });
    expect(seen?.aborted).toBe(true);
  });

  it('answers events with ids in their context as f58', async () => {
    fake.answers.eventlog = { events: [{ timestamp: 1.5, name: 'dependency-add', context: { jobid: JOB_ID } }, { timestamp: 2, name: 'depend' }], next: 2, done: true };
    const res = await send(app, 'GET', `/v1/jobs/${JOB_F58}/eventlog`);
    expect(res.body).toEqual({ events: [{ timestamp: 1.5, name: 'dependency-add', context: { jobid: JOB_F58 } }, { timestamp: 2, name: 'depend' }], next: 2, done: true });
  });

  it('refuses a negative or fractional from, and a wait that is not a number', async () => {
    expect((await invalid(`/v1/jobs/${JOB_F58}/eventlog?from=-1`, undefined, 'GET')).field).toBe('query.from');
    expect((await invalid(`/v1/jobs/${JOB_F58}/eventlog?from=1.5`, undefined, 'GET')).field).toBe('query.from');
    expect((await invalid(`/v1/jobs/${JOB_F58}/output?wait=soon`, undefined, 'GET')).field).toBe('query.wait');
  });

  it('GET output passes the cursor and wait, and answers the page', async () => {
    const res = await send(app, 'GET', `/v1/jobs/${JOB_F58}/output?cursor=c0&wait=10`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(fake.answers.output);
    const [call] = fake.callsOf('output');
    expect(call?.slice(0, 4)).toEqual([OWNER, JOB_ID, 'c0', 10_000]);
    expect(call?.[4]).toBeInstanceOf(AbortSignal);
    await send(app, 'GET', `/v1/jobs/${JOB_F58}/output`);
    expect(fake.callsOf('output')[1]?.slice(2, 4)).toEqual([undefined, 0]);
  });

  it('honours a lower maxWaitSeconds (API Gateway cannot hold 60 s)', async () => {
    const aws = createApp(fake.services, { maxWaitSeconds: 25 });
    await send(aws, 'GET', `/v1/jobs/${JOB_F58}/output?wait=60`);
    expect(fake.callsOf('output')[0]?.[3]).toBe(25_000);
  });
});

describe('POST cancel and urgency', () => {
  it('cancels with a note, or with no body at all', async () => {
    const res = await send(app, 'POST', `/v1/jobs/${JOB_F58}/cancel`, { json: { note: 'wrong input' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...fake.answers.cancel, id: JOB_F58 });
    expect((await send(app, 'POST', `/v1/jobs/${JOB_F58}/cancel`)).status).toBe(200);
    expect((await send(app, 'POST', `/v1/jobs/${JOB_F58}/cancel`, { body: '', headers: { 'content-type': 'application/json' } })).status).toBe(200);
    expect(fake.callsOf('cancel')).toEqual([[OWNER, JOB_ID, 'wrong input'], [OWNER, JOB_ID, undefined], [OWNER, JOB_ID, undefined]]);
  });

  it('409s cancelling an inactive job', async () => {
    fake.failNext('cancel', new ConflictError(`job ${JOB_F58} is inactive`));
    const res = await send(app, 'POST', `/v1/jobs/${JOB_F58}/cancel`, { json: {} });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
  });

  it('sets the urgency', async () => {
    const res = await send(app, 'POST', `/v1/jobs/0x17e9fb8df16c2e/urgency`, { token: 'tok-user', json: { urgency: 20 } });
    expect(res.status).toBe(200);
    expect(res.body.urgency).toBe(20);
    expect(fake.callsOf('setUrgency')).toEqual([[USER, JOB_ID, 20]]);
  });

  it('refuses a missing or out-of-range urgency', async () => {
    expect(await invalid(`/v1/jobs/${JOB_F58}/urgency`, {})).toEqual({ code: 'invalid', field: 'body.urgency', message: 'body.urgency: is required' });
    expect((await invalid(`/v1/jobs/${JOB_F58}/urgency`, { urgency: -1 })).message).toBe('body.urgency: must be ≥ 0');
    expect(fake.callsOf('setUrgency')).toEqual([]);
  });
});

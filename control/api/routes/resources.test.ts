// resources.test.ts - the /v1/resources routes over a recording fake ResourceService.
import { beforeEach, describe, expect, it } from 'vitest';
import { ForbiddenError, NotFoundError } from '../../core/errors.ts';
import { createApp } from '../app.ts';
import { FakeServices, LISTING, OWNER, send, USER } from '../fake-services.ts';

let fake: FakeServices;
let app: ReturnType<typeof createApp>;

beforeEach(() => {
  fake = new FakeServices();
  app = createApp(fake.services, { log: () => {} });
});

describe('GET /v1/resources', () => {
  it('answers nodes and the four counts', async () => {
    const res = await send(app, 'GET', '/v1/resources', { token: 'tok-user' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(LISTING);
    expect(fake.callsOf('resources.list')).toEqual([[USER]]);
  });

  it('copies only the documented fields of a node', async () => {
    const node = { ...LISTING.nodes[0]!, drainReason: 'disk', pool: 'onprem', connectionId: 'secret' };
    fake.answers.resources = { ...LISTING, nodes: [node] };
    const res = await send(app, 'GET', '/v1/resources');
    expect(res.body.nodes[0]).toMatchObject({ drainReason: 'disk', pool: 'onprem' });
    expect(res.body.nodes[0]).not.toHaveProperty('connectionId');
  });
});

describe('POST /v1/resources/drain and /undrain', () => {
  it('drains with a reason, or with none', async () => {
    const res = await send(app, 'POST', '/v1/resources/drain', { json: { targets: 'n[1-2]', reason: 'bad DIMM' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ nodes: ['n1'] });
    await send(app, 'POST', '/v1/resources/drain', { json: { targets: 'n3' } });
    expect(fake.callsOf('drain')).toEqual([[OWNER, 'n[1-2]', 'bad DIMM'], [OWNER, 'n3', '']]);
  });

  it('undrains', async () => {
    const res = await send(app, 'POST', '/v1/resources/undrain', { json: { targets: 'n1' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ nodes: ['n1'] });
    expect(fake.callsOf('undrain')).toEqual([[OWNER, 'n1']]);
  });

  it('names a missing or wrong field', async () => {
    const missing = await send(app, 'POST', '/v1/resources/drain', { json: { reason: 'x' } });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toEqual({ code: 'invalid', field: 'body.targets', message: 'body.targets: is required' });
    const empty = await send(app, 'POST', '/v1/resources/undrain', { json: { targets: '' } });
    expect(empty.body.error).toMatchObject({ field: 'body.targets', message: 'body.targets: must not be empty' });
    const typo = await send(app, 'POST', '/v1/resources/undrain', { json: { targets: 'n1', reason: 'x' } });
    expect(typo.body.error.field).toBe('body.reason');
    expect(fake.callsOf('drain')).toEqual([]);
    expect(fake.callsOf('undrain')).toEqual([]);
  });

  it("passes the service's refusals through: 403 for a user, 404 for unknown hosts", async () => {
    fake.failNext('drain', new ForbiddenError('only the instance owner may drain nodes'));
    const forbidden = await send(app, 'POST', '/v1/resources/drain', { token: 'tok-user', json: { targets: 'n1' } });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toEqual({ code: 'forbidden', message: 'only the instance owner may drain nodes' });
    fake.failNext('undrain', new NotFoundError('unknown nodes: n9'));
    const unknown = await send(app, 'POST', '/v1/resources/undrain', { json: { targets: 'n9' } });
    expect(unknown.status).toBe(404);
  });
});

// elastic.test.ts - GET /v1/elastic over a fake ElasticService: the owner gets the status (documented fields only),
// a user is refused, an instance without an elastic loop answers `enabled: false`; the route is in the OpenAPI document.
import { describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../core/errors.ts';
import type { Caller, ElasticStatus } from '../../services.ts';
import { createApp } from '../app.ts';
import { FakeServices, OWNER, send } from '../fake-services.ts';

const STATUS: ElasticStatus = {
  enabled: true,
  pools: [
    { name: 'onprem', provider: 'static', counts: { up: 1, drained: 0, down: 0, joining: 0 }, nodes: [{ name: 'n1', state: 'up' }] },
    {
      name: 'burst', provider: 'ec2', min: 0, max: 8, instanceTypes: ['c6i.2xlarge'], counts: { up: 0, drained: 1, down: 0, joining: 2 },
      nodes: [{ name: 'ip-10-0-0-1', state: 'drained', instanceId: 'i-1', drainReason: 'elastic: idle for 5m' }],
    },
  ],
  launches: [{ launchId: 'l-1', pool: 'burst', instanceType: 'c6i.2xlarge', capacityType: 'spot', count: 2, pending: 2, state: 'launched', since: 1700000000, instanceIds: ['i-2', 'i-3'], reason: '2 jobs need …' }],
  decisions: [{ at: 1700000000, action: 'launch', pool: 'burst', launchId: 'l-1', text: '2 jobs need …' }],
  unavailable: [{ instanceType: 'c6i.xlarge', capacityType: 'spot', until: 1700000180 }],
  lastPass: { at: 1700000000, ms: 12, notes: [] },
};

function appWith(status: ElasticStatus | undefined) {
  const fake = new FakeServices();
  const calls: Caller[] = [];
  const services = status
    ? {
        ...fake.services,
        elastic: {
          async status(caller: Caller) {
            calls.push(caller);
            if (caller.role !== 'owner') throw new ForbiddenError('only the instance owner may see the elastic status');
            return { ...status, pools: status.pools.map((p) => ({ ...p, secret: 'x' })) } as ElasticStatus;
          },
        },
      }
    : fake.services;
  return { app: createApp(services, { log: () => {} }), calls };
}

describe('GET /v1/elastic', () => {
  it('answers the status to the owner, with only the documented fields', async () => {
    const { app, calls } = appWith(STATUS);
    const res = await send(app, 'GET', '/v1/elastic');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(STATUS);
    expect(calls).toEqual([OWNER]);
  });

  it('refuses a user', async () => {
    const { app } = appWith(STATUS);
    const res = await send(app, 'GET', '/v1/elastic', { token: 'tok-user' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    const none = appWith(undefined);
    expect((await send(none.app, 'GET', '/v1/elastic', { token: 'tok-user' })).status).toBe(403);
  });

  it('says enabled: false when the instance runs no elastic loop', async () => {
    const { app } = appWith(undefined);
    const res = await send(app, 'GET', '/v1/elastic');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ enabled: false, pools: [], launches: [], decisions: [], unavailable: [] });
  });

  it('is in the OpenAPI document with its schema', async () => {
    const { app } = appWith(undefined);
    const doc = (await send(app, 'GET', '/v1/openapi.json')).body;
    expect(doc.paths['/v1/elastic'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ElasticStatus' });
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['ElasticStatus', 'ElasticPool', 'ElasticLaunch', 'ElasticDecision', 'ElasticNode']));
  });
});

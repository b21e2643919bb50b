// bad-input.test.ts - refusals through the real control plane: each gets a clear 4xx (or close reason) and
// leaves nothing half-written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { jobspecFromShape } from '../../control/core/jobspec/index.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';

let inst: TestInstance;
beforeAll(async () => {
  inst = await startTestInstance({ nodes: 1, coresPerNode: 2 });
}, 60_000);
afterAll(async () => inst?.stop());

async function raw(path: string, init: RequestInit & { token?: string | null } = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? inst.token}`;
  const res = await fetch(inst.uri + path, { ...init, headers });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function jobCount(): Promise<number> {
  const r = await inst.api<{ jobs: unknown[] }>('/v1/jobs?filter=all&limit=1000');
  return r.body.jobs.length;
}

describe('bad input over HTTP', () => {
  it('no token, or a wrong one: 401 with a JSON error', async () => {
    expect((await raw('/v1/jobs', { token: null })).status).toBe(401);
    const wrong = await raw('/v1/jobs', { token: 'flt_nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthorized');
  });

  it('malformed JSON, wrong types, invalid jobspecs: 400 naming the field; nothing written', async () => {
    const before = await jobCount();
    const post = (body: string) => raw('/v1/jobs', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const malformed = await post('{"jobspec": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('invalid');
    const wrongType = await post(JSON.stringify({ jobspec: jobspecFromShape(['true'], {}), urgency: 'high' }));
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.field).toMatch(/urgency/);
    const bad = jobspecFromShape(['true'], {}) as any;
    bad.resources[0].count = 0;
    const invalid = await post(JSON.stringify({ jobspecs: [jobspecFromShape(['true'], {}), bad] }));
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.field).toBe('body.jobspecs[1].resources[0].count');
    expect(await jobCount()).toBe(before);
  });

  it('a huge body: 413 before parsing', async () => {
    const huge = JSON.stringify({ jobspec: 'x'.repeat(2 * 1024 * 1024) });
    const res = await raw('/v1/jobs', { method: 'POST', body: huge, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('too_large');
  });

  it('unknown and malformed job ids: 404 and 400', async () => {
    const unknown = await raw('/v1/jobs/%C6%92uZZybuNNy');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(/ƒuZZybuNNy/);
    const malformed = await raw('/v1/jobs/not-an-id');
    expect(malformed.status).toBe(400);
    expect((await raw('/v1/jobs/%C6%92uZZybuNNy/cancel', { method: 'POST' })).status).toBe(404);
  });

  it('cancelling an inactive job is a 409 conflict', async () => {
    const id = (await inst.api<{ ids: string[] }>('/v1/jobs', { body: { jobspec: jobspecFromShape(['true'], { cwd: '/tmp' }) } })).body.ids[0]!;
    for (;;) {
      const page = await inst.api<{ done: boolean }>(`/v1/jobs/${encodeURIComponent(id)}/eventlog?wait=10`);
      if (page.body.done) break;
    }
    const res = await raw(`/v1/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/inactive/);
  });
});

describe('bad input over the agent link', () => {
  const agentUri = () => inst.uri.replace('http', 'ws') + '/v1/agent';
  const closeOf = (ws: WebSocket) => new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));

  it('an unknown message type closes with 4002 naming it', async () => {
    const ws = new WebSocket(agentUri());
    await new Promise((r) => ws.on('open', r));
    const closed = closeOf(ws);
    ws.send(JSON.stringify({ v: 1, id: 'a1', type: 'job.teleport' }));
    expect(await closed).toEqual({ code: 4002, reason: 'message: unknown message type "job.teleport"' });
  });

  it('anything before hello closes with 4002; a bad token with 4001', async () => {
    const ws = new WebSocket(agentUri());
    await new Promise((r) => ws.on('open', r));
    const closed = closeOf(ws);
    ws.send(JSON.stringify({ v: 1, id: 'a1', type: 'heartbeat', running: [] }));
    expect(await closed).toEqual({ code: 4002, reason: 'expected hello before heartbeat' });

    const ws2 = new WebSocket(agentUri());
    await new Promise((r) => ws2.on('open', r));
    const closed2 = closeOf(ws2);
    const node = { hostname: 'intruder', cores: 1, gpus: 0, memoryMB: 1, properties: [] };
    ws2.send(JSON.stringify({ v: 1, id: 'a1', type: 'hello', token: 'fjt1.e30.AAAA', node, agent: { version: '1', pid: 1, startedAt: 1 }, running: [], exited: [] }));
    const c2 = await closed2;
    expect(c2.code).toBe(4001);
    expect(c2.reason).toMatch(/^unauthorized: /);
    const nodes = await inst.api<{ nodes: Array<{ name: string }> }>('/v1/resources');
    expect(nodes.body.nodes.map((n) => n.name)).not.toContain('intruder');
  });
});

// elastic-feasibility.test.ts - feasibility with elastic pools in local mode: a real control plane on DynamoDB Local
// with one 1-core static node and a `local` pool of 2-core agents. A job asking for 2 cores on one node (more than any
// static node has) is accepted, a burst node is launched for it, and the job completes there; after that node is
// scaled in and removed from the graph, another such job is still accepted and runs. A job no pool could ever hold
// (8 GPUs) is refused at submit, and the error says why.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobspecFromShape } from '../../control/core/jobspec/index.ts';
import { generateSecrets } from '../../control/security/secrets.ts';
import { signClaims } from '../../control/security/tokens.ts';
import { parseElasticConfig } from '../../elastic/config.ts';
import { startElasticHost } from '../../elastic/host.ts';
import { startControlServer, type ControlServer } from '../../local/control-server.ts';
import { runAgent, type AgentHandle } from '../../node-agent/agent.ts';
import { createTestTable } from '../support/dynamo.ts';
import { waitFor } from '../support/instance.ts';

const config = parseElasticConfig({
  batch: { idle: '0.2s', max: '1s' },
  pools: [
    { name: 'onprem', provider: 'static' },
    { name: 'big', provider: 'local', max: 1, idleTimeout: '3s', maxWaitBeforeBurst: '30s', joinTimeout: '60s', local: { cores: 2, memoryMB: 512, startupDelay: '0s' } },
  ],
});

let server: ControlServer;
let staticAgent: AgentHandle;
let token: string;
let stateDir: string;
let iid: string;

async function request(path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(server.uri + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
type Info = { result?: string; state: string; nodelist?: string; exception?: unknown };
const info = async (id: string) => (await request(`/v1/jobs/${encodeURIComponent(id)}`)).body as unknown as Info;
const nodeNames = async () => (await server.plane.tables.nodes.list(iid)).map((n) => n.name).sort();

beforeAll(async () => {
  const t = await createTestTable('elastic-feasible');
  const secrets = await generateSecrets();
  iid = `ef${Date.now().toString(36)}`;
  const store = { doc: t.doc, table: t.tableName };
  server = await startControlServer({ iid, store, secrets, fluidEpochMs: Date.now() - 1000, port: 0, heartbeatSeconds: 1 });
  token = await server.plane.auth.issue('alice', 'owner', 'test');
  const joinToken = await signClaims({ kind: 'join', iid, exp: Date.now() / 1000 + 3600 }, secrets.joinKey);
  staticAgent = await runAgent({ uri: server.uri, token: joinToken, inventory: { hostname: 'static0', cores: 1, gpus: 0, memoryMB: 512 } });
  await waitFor(async () => (await nodeNames()).includes('static0'), 15_000, 'the static node');
  stateDir = mkdtempSync(join(tmpdir(), 'flurry-elastic-feasible-'));
  startElasticHost({ plane: server.plane, store, iid, config, joinKey: secrets.joinKey, uri: server.uri, stateDir, intervalSeconds: 1 });
}, 60_000);

afterAll(async () => {
  await server?.stop(); // stops the elastic host and the local agents it started
  await staticAgent?.stop({ graceSeconds: 1 }).catch(() => undefined);
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('feasibility with an elastic pool', () => {
  const twoCores = jobspecFromShape(['hostname'], { nodes: 1, ntasks: 1, coresPerTask: 2, cwd: '/tmp' });

  it('accepts a job bigger than any static node, launches a node for it, and the job completes there', async () => {
    const res = await request('/v1/jobs', { jobspec: twoCores });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    const id = (res.body.ids as string[])[0]!;
    await waitFor(async () => (await info(id)).state === 'INACTIVE', 40_000, 'the 2-core job to run on a burst node');
    const job = await info(id);
    expect(job, JSON.stringify(job.exception)).toMatchObject({ result: 'COMPLETED', nodelist: expect.stringMatching(/^big-\d+$/) });
  }, 60_000);

  it('still accepts one once the burst node is gone from the graph, and runs it on a new one', async () => {
    await waitFor(async () => (await nodeNames()).join() === 'static0', 30_000, 'the idle burst node to be terminated and removed');
    expect(server.plane.scheduler.resources.nodes().map((n) => n.hostname)).toEqual(['static0']);
    const res = await request('/v1/jobs', { jobspec: twoCores });
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);
    const id = (res.body.ids as string[])[0]!;
    await waitFor(async () => (await info(id)).state === 'INACTIVE', 40_000, 'the second 2-core job');
    const job = await info(id);
    expect(job, JSON.stringify(job.exception)).toMatchObject({ result: 'COMPLETED', nodelist: expect.stringMatching(/^big-\d+$/) });
  }, 90_000);

  it('refuses at submit a job no pool could ever hold, naming why', async () => {
    const res = await request('/v1/jobs', { jobspec: jobspecFromShape(['hostname'], { nodes: 1, ntasks: 1, gpusPerTask: 8, cwd: '/tmp' }) });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/unsatisfiable request: the instance has \d+ node\(s\).*no elastic pool can grow for it: no pool's instance types have 8 GPUs/);
  });
});

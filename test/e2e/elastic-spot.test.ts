// elastic-spot.test.ts - agent protocol 4.4 end to end: an agent watching a (fake) EC2 metadata service sees a spot
// interruption notice; the control plane drains its node, each job running there gets a fatal exception, and is
// resubmitted as a new job naming its predecessor, except a job submitted with `attributes.system.requeue: false`.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobspecFromShape } from '../../control/core/jobspec/index.ts';
import { generateSecrets } from '../../control/security/secrets.ts';
import { signClaims } from '../../control/security/tokens.ts';
import { startControlServer, type ControlServer } from '../../local/control-server.ts';
import { runAgent, type AgentHandle } from '../../node-agent/agent.ts';
import { createTestTable } from '../support/dynamo.ts';
import { waitFor } from '../support/instance.ts';

let server: ControlServer;
let imds: Server;
let notice = false;
const agents: AgentHandle[] = [];
let token: string;
let joinToken: string;
let iid: string;

async function api<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(server.uri + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

type Info = { id: string; state: string; result?: string; nodelist?: string; exception?: { type: string; note: string } };
const info = (id: string) => api<Info>(`/v1/jobs/${encodeURIComponent(id)}`);
const eventlog = (id: string) => api<{ events: Array<{ name: string; context?: Record<string, unknown> }> }>(`/v1/jobs/${encodeURIComponent(id)}/eventlog`);

beforeAll(async () => {
  imds = createServer((req, res) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token') return void res.end('imds-token');
    if (req.url === '/latest/meta-data/spot/instance-action' && notice) {
      return void res.end(JSON.stringify({ action: 'terminate', time: new Date(Date.now() + 120_000).toISOString().replace(/\.\d+Z$/, 'Z') }));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => imds.listen(0, '127.0.0.1', () => r()));
  const t = await createTestTable('elastic-spot');
  const secrets = await generateSecrets();
  iid = `sp${Date.now().toString(36)}`;
  server = await startControlServer({ iid, store: { doc: t.doc, table: t.tableName }, secrets, fluidEpochMs: Date.now() - 1000, port: 0, heartbeatSeconds: 1 });
  token = await server.plane.auth.issue('alice', 'owner', 'test');
  joinToken = await signClaims({ kind: 'join', iid, pool: 'spot', exp: Date.now() / 1000 + 3600 }, secrets.joinKey);
  const port = (imds.address() as { port: number }).port;
  agents.push(
    await runAgent({
      uri: server.uri, token: joinToken, instanceId: 'i-spot1', spotWatch: { baseUrl: `http://127.0.0.1:${port}`, intervalMs: 100 },
      inventory: { hostname: 'spot1', cores: 2, gpus: 0, memoryMB: 512 },
    }),
  );
  await waitFor(async () => (await server.plane.tables.nodes.list(iid)).length === 1, 15_000, 'the spot node');
}, 60_000);

afterAll(async () => {
  for (const a of agents) await a.stop({ graceSeconds: 0 }).catch(() => undefined);
  await server?.stop();
  await new Promise<void>((r) => (imds ? imds.close(() => r()) : r()));
});

describe('spot interruption', () => {
  it('drains the node, fails its jobs and resubmits them (naming the predecessor) unless requeue is false', async () => {
    const requeued = jobspecFromShape(['sleep', '30'], { ntasks: 1, cwd: '/tmp' });
    const once = jobspecFromShape(['sleep', '30'], { ntasks: 1, cwd: '/tmp' });
    (once.attributes.system as Record<string, unknown>).requeue = false;
    const { ids } = await api<{ ids: string[] }>('/v1/jobs', { jobspecs: [requeued, once] });
    const [first, noRequeue] = ids as [string, string];
    await waitFor(async () => (await Promise.all(ids.map(info))).every((j) => j.state === 'RUN'), 15_000, 'both jobs to run on spot1');

    notice = true;
    await waitFor(async () => (await Promise.all(ids.map(info))).every((j) => j.state === 'INACTIVE'), 20_000, 'both jobs to end');
    for (const id of ids) expect((await info(id)).exception).toMatchObject({ type: 'node-failure', note: expect.stringContaining('spot interruption') });
    expect((await server.plane.tables.nodes.get(iid, 'spot1'))!.drained?.reason).toMatch(/^spot interruption/);

    const all = await api<{ jobs: Info[] }>('/v1/jobs?filter=all');
    const successors = all.jobs.filter((j) => !ids.includes(j.id));
    expect(successors).toHaveLength(1);
    const next = successors[0]!;
    const submit = (await eventlog(next.id)).events[0]!;
    expect(submit).toMatchObject({ name: 'submit', context: { userid: 'alice', urgency: 16, predecessor: first } });
    expect(next.state).toBe('SCHED'); // the only node is drained: it waits for another
    void noRequeue;

    // A node that can take it: the successor runs there.
    agents.push(await runAgent({ uri: server.uri, token: joinToken, inventory: { hostname: 'fresh1', cores: 2, gpus: 0, memoryMB: 512 } }));
    await waitFor(async () => (await info(next.id)).state === 'RUN', 15_000, 'the successor to run on fresh1');
    expect((await info(next.id)).nodelist).toBe('fresh1');
  }, 60_000);
});

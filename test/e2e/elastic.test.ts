// elastic.test.ts - the elastic loop end to end in local mode: a real control plane on DynamoDB Local with one static
// node, the elastic host with the `local` provider (real `flurry agent` processes as burst instances). Four 1-node jobs
// launch exactly three burst nodes, which join, run them, and are drained and terminated after the idle timeout
// (their agent processes gone) while the static node is never touched; a job running on a burst node outlives the
// idle timeout and is never killed by scale-in. Also measures the time from a backlog to the launch decision.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobspecFromShape } from '../../control/core/jobspec/index.ts';
import { generateSecrets } from '../../control/security/secrets.ts';
import { signClaims } from '../../control/security/tokens.ts';
import { parseElasticConfig } from '../../elastic/config.ts';
import { type ElasticHost, type PassReport, startElasticHost } from '../../elastic/host.ts';
import { LocalProvider } from '../../elastic/providers/local.ts';
import { startControlServer, type ControlServer } from '../../local/control-server.ts';
import { runAgent, type AgentHandle } from '../../node-agent/agent.ts';
import { createTestTable } from '../support/dynamo.ts';
import { waitFor } from '../support/instance.ts';

const config = parseElasticConfig({
  batch: { idle: '0.5s', max: '2s' },
  pools: [
    { name: 'onprem', provider: 'static' },
    { name: 'burst', provider: 'local', max: 4, idleTimeout: '3s', maxWaitBeforeBurst: 0, joinTimeout: '60s', local: { cores: 1, memoryMB: 512, startupDelay: '0.2s' } },
  ],
});

let server: ControlServer;
let host: ElasticHost;
let staticAgent: AgentHandle;
let token: string;
let stateDir: string;
const reports: PassReport[] = [];
const log = process.env.FLURRY_TEST_LOG ? (l: string) => console.log(`[cp] ${l}`) : undefined;

async function api<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(server.uri + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

type Info = { result?: string; state: string; nodelist?: string; exception?: unknown; t_inactive?: number };
const info = (id: string) => api<Info>(`/v1/jobs/${encodeURIComponent(id)}`);
let iid: string;
const nodeNames = async () => (await server.plane.tables.nodes.list(iid)).map((n) => n.name).sort();

function localProvider(): LocalProvider {
  const p = [...host.providers.values()].find((x) => x instanceof LocalProvider);
  if (!(p instanceof LocalProvider)) throw new Error('no local provider');
  return p;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const launchedIds = () => reports.flatMap((r) => r.launched.flatMap((l) => l.instanceIds));

beforeAll(async () => {
  const t = await createTestTable('elastic-e2e');
  const secrets = await generateSecrets();
  iid = `el${Date.now().toString(36)}`;
  const store = { doc: t.doc, table: t.tableName };
  server = await startControlServer({ iid, store, secrets, fluidEpochMs: Date.now() - 1000, port: 0, heartbeatSeconds: 1, ...(log ? { log } : {}) });
  token = await server.plane.auth.issue('alice', 'owner', 'test');
  const joinToken = await signClaims({ kind: 'join', iid, exp: Date.now() / 1000 + 3600 }, secrets.joinKey);
  staticAgent = await runAgent({ uri: server.uri, token: joinToken, inventory: { hostname: 'static0', cores: 1, gpus: 0, memoryMB: 512 } });
  await waitFor(async () => (await nodeNames()).includes('static0'), 15_000, 'the static node');
  stateDir = mkdtempSync(join(tmpdir(), 'flurry-elastic-e2e-'));
  host = startElasticHost({
    plane: server.plane, store, iid, config, joinKey: secrets.joinKey, uri: server.uri, stateDir, intervalSeconds: 1,
    onPass: (r) => reports.push(r), ...(log ? { log } : {}),
  });
}, 60_000);

afterAll(async () => {
  await server?.stop(); // stops the elastic host, which stops the local agents it started
  await staticAgent?.stop({ graceSeconds: 1 }).catch(() => undefined);
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('elastic scaling in local mode', () => {
  it('bursts exactly three nodes for four jobs, runs them, then drains and terminates them; the static node is untouched', async () => {
    const jobspec = jobspecFromShape(['sleep', '3'], { nodes: 1, ntasks: 1, cwd: '/tmp' });
    const posted = Date.now() / 1000;
    const { ids } = await api<{ ids: string[] }>('/v1/jobs', { jobspecs: [jobspec, jobspec, jobspec, jobspec] });
    // The backlog exists once the jobs are durable and queued: when the submission is answered.
    const submitted = Date.now() / 1000;
    expect(ids).toHaveLength(4);

    await waitFor(() => launchedIds().length > 0, 10_000, 'a launch decision');
    const decided = reports.find((r) => r.launched.length > 0)!.decidedAt;
    const latency = decided - submitted;
    console.log(
      `elastic e2e: backlog → launch decision ${(latency * 1000).toFixed(0)} ms (from the POST: ${((decided - posted) * 1000).toFixed(0)} ms; batch idle 0.5 s, maxWaitBeforeBurst 0)`,
    );

    await waitFor(async () => (await Promise.all(ids.map(info))).every((j) => j.state === 'INACTIVE'), 40_000, 'the four jobs to finish');
    const jobs = await Promise.all(ids.map(info));
    expect(jobs.map((j) => j.result), JSON.stringify(jobs.map((j) => j.exception))).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'COMPLETED']);
    // Usually one job per node; on a loaded machine static0 may finish first and take a second job.
    const hosts = jobs.map((j) => j.nodelist!);
    expect(hosts.every((h) => /^(static0|burst-[1-3])$/.test(h)), hosts.join()).toBe(true);
    expect(hosts.filter((h) => h.startsWith('burst-')).length).toBeGreaterThanOrEqual(2);
    expect(launchedIds()).toHaveLength(3);

    const pids = [...localProvider().pids().values()];
    expect(pids).toHaveLength(3);
    await waitFor(async () => (await nodeNames()).join() === 'static0', 30_000, 'the burst nodes to be terminated and removed');
    expect(pids.filter(alive)).toEqual([]);
    expect(launchedIds()).toHaveLength(3);

    const status = await api<{ pools: Array<{ name: string; counts: Record<string, number> }>; decisions: Array<{ action: string; node?: string; text: string }> }>('/v1/elastic');
    const acts = status.decisions.filter((d) => d.action !== 'note');
    expect(acts.filter((d) => d.action === 'launch')).toHaveLength(1);
    expect(acts.filter((d) => d.action === 'drain').map((d) => d.node).sort()).toEqual(['burst-1', 'burst-2', 'burst-3']);
    expect(acts.filter((d) => d.action === 'terminate').map((d) => d.node).sort()).toEqual(['burst-1', 'burst-2', 'burst-3']);
    expect(acts.some((d) => d.node === 'static0')).toBe(false);
    const staticNode = await server.plane.tables.nodes.get(iid, 'static0');
    expect(staticNode).toMatchObject({ online: true });
    expect(staticNode!.drained).toBeUndefined();
    expect(status.pools.find((p) => p.name === 'burst')!.counts).toEqual({ up: 0, drained: 0, down: 0, joining: 0 });
  }, 90_000);

  it('never terminates a burst node while its job runs past the idle timeout: the job completes, then the node goes', async () => {
    await waitFor(async () => (await nodeNames()).join() === 'static0', 30_000, 'no burst node left from before');
    const before = launchedIds().length;
    const hold = await api<{ ids: string[] }>('/v1/jobs', { jobspec: jobspecFromShape(['sleep', '10'], { nodes: 1, ntasks: 1, cwd: '/tmp' }) });
    await waitFor(async () => (await info(hold.ids[0]!)).state === 'RUN', 10_000, 'the static node to be busy');
    const { ids } = await api<{ ids: string[] }>('/v1/jobs', { jobspec: jobspecFromShape(['sleep', '8'], { nodes: 1, ntasks: 1, cwd: '/tmp' }) });
    const long = ids[0]!;
    await waitFor(async () => (await info(long)).state === 'INACTIVE', 40_000, 'the long job to finish');
    const job = await info(long);
    expect(job, JSON.stringify(job.exception)).toMatchObject({ result: 'COMPLETED', nodelist: expect.stringMatching(/^burst-\d+$/) });
    expect(job.exception).toBeUndefined();
    expect(launchedIds().length).toBe(before + 1);
    const node = job.nodelist!;
    await waitFor(async () => !(await nodeNames()).includes(node), 30_000, `${node} to be terminated`);
    const terminated = reports.find((r) => r.decisions.terminate.some((t) => t.node === node))!;
    expect(terminated.at).toBeGreaterThan(job.t_inactive!);
    // No pass ever decided to drain or terminate the node while the job ran on it.
    const early = reports.filter((r) => r.at < job.t_inactive! && (r.decisions.drain.some((d) => d.node === node) || r.decisions.terminate.some((t) => t.node === node)));
    expect(early).toEqual([]);
    expect((await info(hold.ids[0]!)).result).toBe('COMPLETED');
  }, 90_000);
});

// instance.ts - a real Flurry instance for tests: the control plane (HTTP + agent link) on the run's DynamoDB Local
// with its own table, and real node agents (in this process, or as `flurry agent` processes).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecrets } from '../../control/security/secrets.ts';
import { signClaims } from '../../control/security/tokens.ts';
import { startControlServer, type ControlServer } from '../../local/control-server.ts';
import { runAgent, type AgentHandle } from '../../node-agent/agent.ts';
import { createTestTable } from './dynamo.ts';

export interface TestInstanceOptions {
  nodes?: number;
  coresPerNode?: number;
  gpusPerNode?: number;
  /** 'inprocess' (fast) or 'process' (real `flurry agent` processes, as a user would run them). */
  agents?: 'inprocess' | 'process';
  heartbeatSeconds?: number;
  queuePolicy?: 'fcfs' | 'easy';
  user?: string;
  log?: boolean;
}

export interface TestInstance {
  uri: string;
  token: string;
  /** FLURRY_URI and FLURRY_TOKEN for CLI processes. */
  env: Record<string, string>;
  server: ControlServer;
  iid: string;
  joinToken: string;
  table: string;
  /** Agent handles (in-process) or child processes, by node name. */
  agents: Map<string, AgentHandle | ChildProcess>;
  /** GET/POST helper with the owner token. */
  api<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: T }>;
  startAgent(name: string): Promise<void>;
  stop(): Promise<void>;
}

const REPO = new URL('../..', import.meta.url).pathname;

export async function startTestInstance(o: TestInstanceOptions = {}): Promise<TestInstance> {
  const t = await createTestTable('inst');
  const secrets = await generateSecrets();
  const iid = `test${Date.now().toString(36)}`;
  const log = o.log ? (l: string) => console.log(`[cp] ${l}`) : undefined;
  const server = await startControlServer({
    iid,
    store: { doc: t.doc, table: t.tableName },
    secrets,
    fluidEpochMs: Date.now() - 1000,
    port: 0,
    heartbeatSeconds: o.heartbeatSeconds ?? 1,
    queuePolicy: o.queuePolicy,
    log,
  });
  const user = o.user ?? 'alice';
  const token = await server.plane.auth.issue(user, 'owner', 'test');
  const joinToken = await signClaims({ kind: 'join', iid, exp: Date.now() / 1000 + 3600 }, secrets.joinKey);
  const agents = new Map<string, AgentHandle | ChildProcess>();
  const cores = o.coresPerNode ?? 2;
  const gpus = o.gpusPerNode ?? 0;

  const startAgent = async (name: string) => {
    if ((o.agents ?? 'inprocess') === 'inprocess') {
      agents.set(name, await runAgent({ uri: server.uri, token: joinToken, inventory: { hostname: name, cores, gpus, memoryMB: 1024 }, log: o.log ? (l) => console.log(`[${name}] ${l}`) : undefined }));
    } else {
      const stateDir = mkdtempSync(join(tmpdir(), `flurry-agent-${name}-`));
      const child = spawn(process.execPath, [join(REPO, 'bin/flurry.mjs'), 'agent', '--uri', server.uri, '--hostname', name, '--cores', String(cores), '--gpus', String(gpus), '--memory', '1024', '--state-dir', stateDir, ...(o.log ? [] : ['--quiet'])], {
        env: { ...process.env, FLURRY_JOIN_TOKEN: joinToken },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      agents.set(name, child);
    }
  };

  const api = async <T,>(path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(server.uri + path, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { authorization: `Bearer ${token}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    return { status: res.status, body: (await res.json()) as T };
  };

  const n = o.nodes ?? 2;
  // As `flurry start` does: the expected nodes are known before they join, so node<i> is rank i.
  await server.plane.tables.nodes.preregister(
    iid,
    Array.from({ length: n }, (_, i) => ({ name: `node${i}`, inventory: { hostname: `node${i}`, cores, gpus, memoryMB: 1024, properties: [] } })),
    Date.now() / 1000,
  );
  for (let i = 0; i < n; i++) await startAgent(`node${i}`);
  await waitFor(async () => (await api<{ free: { nnodes: number } }>('/v1/resources')).body.free.nnodes === n, 15_000, `${n} agents to join`);

  return {
    uri: server.uri,
    token,
    env: { FLURRY_URI: server.uri, FLURRY_TOKEN: token },
    server,
    iid,
    joinToken,
    table: t.tableName,
    agents,
    api,
    startAgent,
    async stop() {
      await Promise.all(
        [...agents.values()].map(async (a) => {
          if ('stop' in a) await a.stop({ graceSeconds: 1 }).catch(() => undefined);
          else if (a.exitCode === null) {
            a.kill('SIGTERM');
            await new Promise((r) => a.once('exit', r));
          }
        }),
      );
      await server.stop();
    },
  };
}

/** Polls `check` until it is true (every 50 ms) or fails after `ms`, naming what it waited for. */
export async function waitFor(check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

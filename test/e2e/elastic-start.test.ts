// elastic-start.test.ts - `flurry start --elastic pools.yaml` as a user runs it: one static node, a local burst pool;
// a job the static node cannot take now runs on a burst node the elastic loop started, `flurry elastic status` shows
// the pool, and stopping the instance (SIGINT) leaves no agent process behind.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { jobspecFromShape } from '../../control/core/jobspec/index.ts';
import { waitFor } from '../support/instance.ts';

const BIN = join(new URL('../..', import.meta.url).pathname, 'bin/flurry.mjs');
const dir = mkdtempSync(join(tmpdir(), 'flurry-elastic-start-'));
let child: ChildProcess | undefined;

afterAll(() => {
  if (child && child.exitCode === null) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Processes whose command line mentions `text` (other than ps itself). */
async function processesWith(text: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ps', ['-eo', 'args=']);
  return stdout.split('\n').filter((l) => l.includes(text) && !l.startsWith('ps '));
}

describe('flurry start --elastic', () => {
  it('bursts to a local agent for a job the static node cannot take, shows it in elastic status, and cleans up', async () => {
    const pools = join(dir, 'pools.yaml');
    writeFileSync(
      pools,
      ['batch: {idle: 0.2s, max: 1s}', 'pools:', '  - {name: onprem, provider: static}',
        '  - {name: burst, provider: local, max: 2, idleTimeout: 60s, maxWaitBeforeBurst: 0, local: {cores: 1, memoryMB: 256, startupDelay: 0s}}', ''].join('\n'),
    );
    const instDir = join(dir, 'inst');
    const table = `elastic-start-${process.pid}-${Date.now().toString(36)}`;
    child = spawn(process.execPath, [BIN, 'start', '-n', '1', '--cores-per-node', '1', '--dir', instDir, '--heartbeat', '1', '--dynamodb-endpoint', inject('dynamoEndpoint'), '--table', table, '--elastic', pools], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FLURRY_TOKEN: undefined, FLURRY_URI: undefined },
    });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    await waitFor(() => out.includes('Ctrl-C to stop') || child!.exitCode !== null, 60_000, 'flurry start to be ready');
    expect(child.exitCode, out).toBeNull();
    const uri = readFileSync(join(instDir, 'uri'), 'utf8').trim();
    const token = readFileSync(join(instDir, 'token'), 'utf8').trim();
    const api = async <T,>(path: string, body?: unknown): Promise<T> => {
      const res = await fetch(uri + path, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return (await res.json()) as T;
    };

    const busy = jobspecFromShape(['sleep', '8'], { nodes: 1, ntasks: 1, cwd: '/tmp' });
    const quick = jobspecFromShape(['hostname'], { nodes: 1, ntasks: 1, cwd: '/tmp' });
    const { ids } = await api<{ ids: string[] }>('/v1/jobs', { jobspecs: [busy, quick] });
    const info = (id: string) => api<{ state: string; result?: string; nodelist?: string; exception?: unknown }>(`/v1/jobs/${encodeURIComponent(id)}`);
    await waitFor(async () => (await info(ids[1]!)).state === 'INACTIVE', 40_000, 'the second job to run on a burst node');
    const second = await info(ids[1]!);
    expect(second, JSON.stringify(second.exception)).toMatchObject({ result: 'COMPLETED', nodelist: 'burst-1' });

    const env = { ...process.env, FLURRY_URI: uri, FLURRY_TOKEN_FILE: join(instDir, 'token'), FLURRY_TOKEN: undefined };
    const status = async () => (await promisify(execFile)(process.execPath, [BIN, 'elastic', 'status'], { env })).stdout;
    // The loop settles the launch on its next pass after the node joined.
    await waitFor(async () => /^burst +local +1 +0 +0 +0 +0 +2 +burst-1$/m.test(await status()), 20_000, 'elastic status to show burst-1 up');
    const stdout = await status();
    expect(stdout).toMatch(/^onprem +static +1 +0 +0 +0 +- +- +node0$/m);
    expect(stdout).toContain('launch ');
    expect(await processesWith(join(instDir, 'elastic', 'agents', 'burst-1'))).toHaveLength(1);

    child.kill('SIGINT');
    expect(await exited, out).toBe(0);
    await waitFor(async () => (await processesWith(instDir)).length === 0, 10_000, 'every process of the instance to be gone');
  }, 120_000);
});

// agent.test.ts - `flurry agent`: option handling in-process, and the built CLI as a real process against a scripted
// control plane (join, run a job, stop on SIGTERM; exit 1 on a refused join token).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../../control/agents/protocol.ts';
import { FakeControlPlane } from '../../../node-agent/testing.ts';
import { CliError } from '../fail.ts';
import { agentOptionsFrom } from './agent.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const URI = 'ws://127.0.0.1:1/v1/agent';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'flurry-agent-cli-'));
});
afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('agentOptionsFrom', () => {
  it('takes the join token from --token, --token-file (trimmed) or FLURRY_JOIN_TOKEN', async () => {
    expect((await agentOptionsFrom({ uri: URI, token: 't1' }, {})).token).toBe('t1');
    writeFileSync(path.join(tmp, 'tok'), 't2\n');
    expect((await agentOptionsFrom({ uri: URI, tokenFile: path.join(tmp, 'tok') }, { FLURRY_JOIN_TOKEN: 'x' })).token).toBe('t2');
    expect((await agentOptionsFrom({ uri: URI }, { FLURRY_JOIN_TOKEN: 't3' })).token).toBe('t3');
  });

  it('refuses a missing or conflicting token and a missing token file', async () => {
    await expect(agentOptionsFrom({ uri: URI }, {})).rejects.toThrow(/a join token is needed/);
    await expect(agentOptionsFrom({ uri: URI, token: 'a', tokenFile: 'b' }, {})).rejects.toThrow(/not both/);
    await expect(agentOptionsFrom({ uri: URI, tokenFile: path.join(tmp, 'none') }, {})).rejects.toThrow(/no such file/);
    await expect(agentOptionsFrom({ uri: URI }, {})).rejects.toBeInstanceOf(CliError);
  });

  it('accepts no token when a state dir may hold a node credential', async () => {
    expect((await agentOptionsFrom({ uri: URI, stateDir: tmp }, {})).token).toBeUndefined();
  });

  it('turns inventory options into overrides and checks the numbers', async () => {
    const opts = await agentOptionsFrom(
      { uri: URI, token: 't', hostname: 'h', cores: '4', sockets: '2', gpus: '0', memory: '2048', property: ['efa', 'ssd'], zone: 'z', group: 'g', quiet: true },
      {},
    );
    expect(opts.inventory).toEqual({ hostname: 'h', cores: 4, sockets: 2, gpus: 0, memoryMB: 2048, properties: ['efa', 'ssd'], zone: 'z', group: 'g' });
    expect(opts.log).toBeUndefined();
    await expect(agentOptionsFrom({ uri: URI, token: 't', cores: '0' }, {})).rejects.toThrow('--cores=0: expected a whole number ≥ 1');
    await expect(agentOptionsFrom({ uri: URI, token: 't', memory: '1.5' }, {})).rejects.toThrow(/--memory=1.5/);
    await expect(agentOptionsFrom({ uri: 'flurry.example.org', token: 't' }, {})).rejects.toThrow(/--uri/);
    await expect(agentOptionsFrom({ uri: URI, token: 't', ca: path.join(tmp, 'none.pem') }, {})).rejects.toThrow(/--ca/);
  });
});

describe('flurry agent (the built CLI)', () => {
  let plane: FakeControlPlane;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    plane = await FakeControlPlane.start();
  });
  afterEach(async () => {
    child?.kill('SIGKILL');
    child = undefined;
    await plane.close();
  });

  /** Starts `flurry agent` on the plane; resolves with its exit code and stderr when it ends. */
  function agentProcess(args: string[]): Promise<{ code: number | null; err: string }> {
    let err = '';
    child = spawn(process.execPath, ['bin/flurry.mjs', 'agent', '--uri', plane.url, '--hostname', 'cli-node', '--cores', '1', '--gpus', '0', ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, FLURRY_JOIN_TOKEN: 'cli-token' },
    });
    child.stderr!.on('data', (d) => (err += d));
    return new Promise((resolve) => child!.on('exit', (code) => resolve({ code, err })));
  }

  it('prints help with an example', () => {
    const r = spawnSync(process.execPath, ['bin/flurry.mjs', 'agent', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('flurry agent --uri wss://flurry.example.org --token-file /etc/flurry/join-token');
  });

  it('joins, runs a job, and on SIGTERM reports shutdown and the killed job, then exits 0', async () => {
    const ended = agentProcess([]);
    const link = await plane.link(0, 5000);
    const hello = await link.welcome();
    expect(hello).toMatchObject({ token: 'cli-token', node: { hostname: 'cli-node', cores: 1, gpus: 0 } });
    await link.next('ack');
    const job = await link.start({ command: ['sleep', '30'] });
    await link.next('job.started');
    child!.kill('SIGTERM');
    expect(await link.next('node.event')).toMatchObject({ kind: 'shutdown' });
    expect((await link.next('job.exited')).jobid).toBe(job.jobid);
    const { code, err } = await ended;
    expect(code).toBe(0);
    expect(err).toMatch(/connected to .* as n0/);
    expect(err).toMatch(new RegExp(`job ${job.jobid} started`));
    expect(err).toMatch(/stopped by SIGTERM/);
  });

  it('exits 1 with the reason when the control plane refuses the join token', async () => {
    const ended = agentProcess(['--quiet']);
    const link = await plane.link(0, 5000);
    await link.next('hello');
    link.ws.close(CloseCode.unauthorized, 'join token expired');
    const { code, err } = await ended;
    expect(code).toBe(1);
    expect(err).toBe('flurry: the control plane refused the join token: join token expired\n');
    expect(plane.links.length).toBe(1);
  });
});

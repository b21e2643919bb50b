// state.test.ts - the state directory: credential, running process groups, unacknowledged reports, leftovers.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStateStore, killLeftovers } from './state.ts';
import { alive } from './testing.ts';

let dir: string;
const pids: number[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'flurry-state-'));
});
afterEach(() => {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A detached `sleep` in its own process group, like a task, with `env`. */
function detachedSleep(env: Record<string, string>): number {
  const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore', env: { PATH: process.env.PATH!, ...env } });
  child.unref();
  pids.push(child.pid!);
  return child.pid!;
}

describe('state directory', () => {
  it('saves and loads the credential, groups and reports, as a 0600 file', async () => {
    const store = createStateStore(path.join(dir, 'sub'));
    expect(await store.load()).toEqual({ tasks: [], exited: [] });
    const report = { jobid: 'ƒa', time: 1, status: 0, tasks: [], outputChunks: 0 };
    store.save(() => ({ credential: 'c', tasks: [{ jobid: 'ƒb', pgid: 1234 }], exited: [report] }));
    await store.flush();
    expect(await createStateStore(path.join(dir, 'sub')).load()).toEqual({ credential: 'c', tasks: [{ jobid: 'ƒb', pgid: 1234 }], exited: [report] });
    expect(statSync(path.join(dir, 'sub', 'state.json')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, 'sub')).mode & 0o777).toBe(0o700);
  });

  it('starts afresh from a torn file, and does nothing without a directory', async () => {
    writeFileSync(path.join(dir, 'state.json'), '{"credential": "x", "tas');
    expect(await createStateStore(dir).load()).toEqual({ tasks: [], exited: [] });
    const none = createStateStore(undefined);
    none.save(() => ({ tasks: [], exited: [] }));
    await none.flush();
    expect(await none.load()).toEqual({ tasks: [], exited: [] });
  });
});

describe('leftovers of a crashed agent', () => {
  it('kills a group that still carries the job id, and spares one that does not', async () => {
    const ours = detachedSleep({ FLURRY_JOB_ID: 'ƒleft' });
    const stranger = detachedSleep({ FLURRY_JOB_ID: 'ƒother' });
    const killed = await killLeftovers([
      { jobid: 'ƒleft', pgid: ours },
      { jobid: 'ƒleft', pgid: stranger },
      { jobid: 'ƒgone', pgid: 999_999_999 },
    ]);
    expect(killed).toEqual(['ƒleft']);
    for (let i = 0; i < 50 && alive(ours); i++) await new Promise((r) => setTimeout(r, 10));
    expect(alive(ours)).toBe(false);
    expect(alive(stranger)).toBe(true);
  });
});

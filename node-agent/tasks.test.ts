// tasks.test.ts - one process per task, in its own process group, with wait-status results (agent protocol 5.3, 5.5, 5.7).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeStatus, launchTask, waitStatus, type TaskResult } from './tasks.ts';
import { alive } from './testing.ts';

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

/** Runs one task to its end; returns its result and output. */
function run(command: string[], { cwd = process.cwd(), onStart }: { cwd?: string; onStart?: (t: ReturnType<typeof launchTask>) => void } = {}) {
  let out = '';
  let err = '';
  return new Promise<TaskResult & { out: string; err: string }>((resolve) => {
    const task = launchTask({
      command,
      env,
      cwd,
      onOutput: (stream, data) => (stream === 'stdout' ? (out += data) : (err += data)),
      onExit: (r) => resolve({ ...r, out, err }),
    });
    onStart?.(task);
  });
}

describe('5.5 wait status', () => {
  it('encodes exit codes as code << 8 and signals as their number, as waitpid does', () => {
    expect(waitStatus(0, null)).toBe(0);
    expect(waitStatus(3, null)).toBe(768);
    expect(waitStatus(null, 'SIGKILL')).toBe(9);
    expect(waitStatus(null, 'SIGTERM')).toBe(os.constants.signals.SIGTERM);
    expect(describeStatus(768)).toBe('exit 3');
    expect(describeStatus(9)).toBe('killed by SIGKILL');
  });

  it('reports a real exit code and captures both streams', async () => {
    expect(await run(['sh', '-c', 'echo hi; echo err >&2; exit 3'])).toEqual({ status: 3 << 8, out: 'hi\n', err: 'err\n' });
  });

  it('reports death by a signal', async () => {
    expect((await run(['sh', '-c', 'kill -KILL $$'])).status).toBe(9);
  });
});

describe('5.3 spawning', () => {
  it('runs the command without a shell, with stdin empty', async () => {
    expect(await run(['echo', '$HOME', '*'])).toMatchObject({ status: 0, out: '$HOME *\n' });
    expect(await run(['cat'])).toMatchObject({ status: 0, out: '' });
  });

  it('reports a command that is not found as 127 << 8 and one that is not executable as 126 << 8', async () => {
    expect(await run(['/nonexistent/cmd'])).toMatchObject({ status: 127 << 8, error: '/nonexistent/cmd: command not found' });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'flurry-task-'));
    const plain = path.join(dir, 'not-executable');
    writeFileSync(plain, 'echo hi\n', { mode: 0o644 });
    try {
      expect(await run([plain])).toMatchObject({ status: 126 << 8, error: `${plain}: permission denied` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('puts each task in a process group of its own', async () => {
    let pgid: number | undefined;
    const result = await run(['sh', '-c', 'ps -o pgid= -p $$'], { onStart: (t) => (pgid = t.pgid) });
    expect(Number(result.out.trim())).toBe(pgid);
    expect(pgid).not.toBe(process.pid);
  });
});

describe('5.7 killing the process group', () => {
  it('reaches children of the task', async () => {
    let task: ReturnType<typeof launchTask> | undefined;
    let child = 0;
    const done = new Promise<TaskResult>((resolve) => {
      task = launchTask({
        command: ['sh', '-c', 'sleep 30 & echo $!; wait'],
        env,
        cwd: '/',
        onOutput: (_s, data) => {
          child = Number(String(data).trim());
          task!.signal('SIGTERM');
        },
        onExit: resolve,
      });
    });
    expect((await done).status).toBe(os.constants.signals.SIGTERM);
    expect(child).toBeGreaterThan(0);
    expect(alive(child)).toBe(false);
  });

  it('kills what a task left running in its group once the task itself exits', async () => {
    const result = await run(['sh', '-c', 'sleep 30 >/dev/null 2>&1 & echo $!']);
    expect(result.status).toBe(0);
    const child = Number(result.out.trim());
    for (let i = 0; i < 50 && alive(child); i++) await new Promise((r) => setTimeout(r, 10));
    expect(alive(child)).toBe(false);
  });
});

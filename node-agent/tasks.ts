// tasks.ts - one task = one process, started without a shell in its own process group (agent protocol 5.3).
// Invariants: stdin is /dev/null; stdout and stderr are captured as Buffers; `onExit` fires exactly once, after the
// process was reaped and its pipes drained (or 1 s after its exit when a stray descendant keeps them open), with
// a wait status encoded like waitpid(2); when the task's leader exits, what is left of its process group is killed.
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';

export type Stream = 'stdout' | 'stderr';

/** How a task ended: `status` is a wait status; `error` says why it never started (then status is 126/127 << 8). */
export interface TaskResult {
  status: number;
  error?: string;
}

export interface TaskSpec {
  command: string[];
  env: Record<string, string>;
  cwd: string;
  onOutput(stream: Stream, data: Buffer): void;
  onExit(result: TaskResult): void;
}

export interface TaskProcess {
  /** The leader's pid, which is also the process group id; undefined when spawning failed. */
  readonly pgid: number | undefined;
  readonly exited: boolean;
  /** Signals the whole process group (the task and all it started); a group already gone is not an error. */
  signal(sig: NodeJS.Signals): void;
}

/** How long to wait for the pipes to close after the leader exited. */
const DRAIN_AFTER_EXIT_MS = 1000;

/**
 * The wait status of an exit, as waitpid(2) reports it: code << 8, or the signal's number.
 * @example waitStatus(3, null) // 768; waitStatus(null, 'SIGKILL') // 9
 */
export function waitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (signal) return os.constants.signals[signal] ?? 0x7f;
  return ((code ?? 0) & 0xff) << 8;
}

/** A sentence for a wait status, for logs. @example describeStatus(768) // 'exit 3' */
export function describeStatus(status: number): string {
  if ((status & 0x7f) === 0) return `exit ${status >> 8}`;
  const n = status & 0x7f;
  const name = Object.entries(os.constants.signals).find(([, v]) => v === n)?.[0];
  return `killed by ${name ?? `signal ${n}`}`;
}

/** Sends `sig` to process group `pgid`; false when the group is gone. */
export function killGroup(pgid: number, sig: NodeJS.Signals | number): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * Spawns one task. Spawn failures (command not found, not executable, bad cwd) are reported through `onExit`,
 * never thrown.
 * @example launchTask({ command: ['true'], env: {}, cwd: '/', onOutput() {}, onExit: (r) => console.log(r.status) })
 */
export function launchTask(spec: TaskSpec): TaskProcess {
  const [file, ...args] = spec.command;
  let exited = false;
  let status: number | null = null;
  let drainTimer: NodeJS.Timeout | null = null;
  const finish = (result: TaskResult): void => {
    if (exited) return;
    exited = true;
    if (drainTimer) clearTimeout(drainTimer);
    spec.onExit(result);
  };

  let child: ChildProcess;
  try {
    child = spawn(file!, args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  } catch (err) {
    // Synchronous failures: bad arguments (a NUL byte in an argument or the environment).
    queueMicrotask(() => finish({ status: 127 << 8, error: `${file}: ${(err as Error).message}` }));
    return { pgid: undefined, get exited() { return exited; }, signal() {} };
  }
  const pgid = child.pid;

  child.stdout!.on('data', (chunk: Buffer) => spec.onOutput('stdout', chunk));
  child.stderr!.on('data', (chunk: Buffer) => spec.onOutput('stderr', chunk));
  child.on('error', (err: NodeJS.ErrnoException) => {
    if (pgid !== undefined) return; // a failed kill(2) on a live child: nothing to report
    const notExecutable = err.code === 'EACCES' || err.code === 'ENOEXEC';
    const what = err.code === 'ENOENT' ? 'command not found' : notExecutable ? 'permission denied' : err.message;
    finish({ status: (notExecutable ? 126 : 127) << 8, error: `${file}: ${what}` });
  });
  child.on('exit', (code, signal) => {
    status = waitStatus(code, signal);
    // The task is over: what it left behind in its group goes too, so nothing outlives the job.
    if (pgid !== undefined) killGroup(pgid, 'SIGKILL');
    drainTimer = setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
      finish({ status: status! });
    }, DRAIN_AFTER_EXIT_MS);
  });
  child.on('close', () => {
    if (status !== null) finish({ status });
  });

  return {
    pgid,
    get exited() {
      return exited;
    },
    signal(sig) {
      if (pgid !== undefined && !exited) killGroup(pgid, sig);
    },
  };
}

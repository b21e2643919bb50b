// job-runner.ts - one job's life on this node: spawn its tasks, enforce its time limit, kill it, report its end
// (agent protocol 5.3, 5.5-5.7). Invariants: `onExit` fires exactly once, after every task was reaped and the last
// output batch was emitted; the job's status is the largest task wait status; a job whose cwd is missing or that has
// no tasks here runs nothing and ends with `error` and status 127 << 8; a kill escalates to SIGKILL after its grace.
import { statSync } from 'node:fs';
import type { ExitedBody, JobOutput, JobStartBody, Unsent } from '../control/agents/protocol.ts';
import { parseIdset } from '../control/core/idset.ts';
import { OutputBatcher } from './output.ts';
import { launchTask, type TaskProcess, type TaskResult, type TaskSpec } from './tasks.ts';

export interface JobRunOptions {
  /** The `http(s)://host:port` tasks get as FLURRY_URI unless the job's env names one. */
  flurryUri?: string;
  /** Environment variables a task gets when the job's env lacks them (PATH, HOME). */
  fallbackEnv?: Record<string, string>;
  /** Grace between SIGTERM and SIGKILL when the time limit passes (ms). */
  timeLimitGraceMs: number;
  output?: { intervalMs?: number; batchBytes?: number; capBytes?: number };
  emitOutput(message: Unsent<JobOutput>): void;
  onExit(exited: ExitedBody): void;
  launch?: (spec: TaskSpec) => TaskProcess;
}

/** `setTimeout` for any duration (Node's own overflows past 24.8 days and fires at once). */
function longTimeout(fn: () => void, ms: number): { clear(): void } {
  const MAX = 2 ** 31 - 1;
  let handle: NodeJS.Timeout;
  const arm = (left: number): void => {
    handle = setTimeout(() => (left > MAX ? arm(left - MAX) : fn()), Math.min(left, MAX));
  };
  arm(ms);
  return { clear: () => clearTimeout(handle) };
}

/**
 * The environment of task `rank` (5.3): the job's env, the FLURRY_* variables, CUDA_VISIBLE_DEVICES when GPUs were
 * given, FLURRY_URI only when the job's env has none, and `fallback` for variables the job's env lacks.
 * @example taskEnv(job, 4, { flurryUri: 'http://127.0.0.1:8080' }).FLURRY_TASK_RANK // '4'
 */
export function taskEnv(
  job: JobStartBody,
  rank: number,
  { flurryUri, fallback = {} }: { flurryUri?: string; fallback?: Record<string, string> } = {},
): Record<string, string> {
  const env: Record<string, string> = { ...fallback, ...job.env };
  env.FLURRY_JOB_ID = job.jobid;
  env.FLURRY_TASK_RANK = String(rank);
  env.FLURRY_JOB_SIZE = String(job.size);
  env.FLURRY_JOB_NNODES = String(job.nnodes);
  env.FLURRY_JOB_NODELIST = job.nodelist;
  env.FLURRY_NODE_RANK = String(job.nodeRank);
  if (job.env.FLURRY_URI === undefined && flurryUri !== undefined) env.FLURRY_URI = flurryUri;
  const gpus = job.gpus ? parseIdset(job.gpus) : [];
  if (gpus.length > 0) env.CUDA_VISIBLE_DEVICES = gpus.join(',');
  return env;
}

/** One job on this node; `start()` once, `kill()` any number of times. */
export class JobRun {
  readonly jobid: string;
  /** Seconds since the epoch when the tasks were spawned (0 before `start`). */
  startedAt = 0;
  private readonly tasks: Array<{ rank: number; proc: TaskProcess | null; result: TaskResult | null }> = [];
  private readonly output: OutputBatcher;
  private limit: { clear(): void } | null = null;
  private escalation: { at: number; timer: NodeJS.Timeout } | null = null;
  private timedOut = false;
  private done = false;
  private left = 0;

  constructor(
    readonly job: JobStartBody,
    private readonly options: JobRunOptions,
  ) {
    this.jobid = job.jobid;
    this.output = new OutputBatcher({ jobid: job.jobid, emit: options.emitOutput, ...options.output });
  }

  /** Process group ids of the tasks still running. */
  get pgids(): number[] {
    return this.tasks.flatMap((t) => (t.proc && !t.proc.exited && t.proc.pgid !== undefined ? [t.proc.pgid] : []));
  }

  get finished(): boolean {
    return this.done;
  }

  /**
   * Spawns every task of this node; returns false when nothing could be started (then `onExit` follows shortly
   * with the reason). Never throws.
   */
  start(): boolean {
    this.startedAt = Date.now() / 1000;
    const { job } = this;
    let ranks: number[];
    try {
      ranks = parseIdset(job.taskRanks);
    } catch (err) {
      return this.refuse(`bad taskRanks ${JSON.stringify(job.taskRanks)}: ${(err as Error).message}`);
    }
    if (ranks.length === 0) return this.refuse('no tasks to run on this node');
    const cwd = job.cwd || process.cwd();
    let isDir = false;
    try {
      isDir = statSync(cwd).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) {
      for (const rank of ranks) this.tasks.push({ rank, proc: null, result: null });
      return this.refuse(`cannot run in ${cwd}: no such directory`);
    }
    const launch = this.options.launch ?? launchTask;
    this.left = ranks.length;
    let spawned = 0;
    for (const rank of ranks) {
      const entry: (typeof this.tasks)[number] = { rank, proc: null, result: null };
      this.tasks.push(entry);
      entry.proc = launch({
        command: job.command,
        env: taskEnv(job, rank, { flurryUri: this.options.flurryUri, fallback: this.options.fallbackEnv }),
        cwd,
        onOutput: (stream, data) => this.output.append(stream, rank, data),
        onExit: (result) => {
          entry.result = result;
          if (--this.left === 0) this.finish();
        },
      });
      if (entry.proc.pgid !== undefined) spawned++;
    }
    if (job.duration > 0 && spawned > 0) {
      this.limit = longTimeout(() => {
        this.timedOut = true;
        this.kill('SIGTERM', this.options.timeLimitGraceMs);
      }, job.duration * 1000);
    }
    return spawned > 0;
  }

  /** 5.7: signals every task's process group, then SIGKILL after `graceMs` (an earlier deadline wins). */
  kill(signal: NodeJS.Signals, graceMs: number): void {
    if (this.done) return;
    for (const t of this.tasks) t.proc?.signal(signal);
    if (signal === 'SIGKILL') return;
    const at = Date.now() + graceMs;
    if (this.escalation && this.escalation.at <= at) return;
    if (this.escalation) clearTimeout(this.escalation.timer);
    this.escalation = { at, timer: setTimeout(() => this.kill('SIGKILL', 0), graceMs) };
  }

  private refuse(error: string): false {
    const tasks = this.tasks.map((t) => ({ rank: t.rank, status: 127 << 8 }));
    queueMicrotask(() => this.report({ status: 127 << 8, tasks, error: error.slice(0, 4000) }));
    return false;
  }

  private finish(): void {
    const tasks = this.tasks.map((t) => ({ rank: t.rank, status: t.result?.status ?? 0 }));
    const status = tasks.reduce((max, t) => Math.max(max, t.status), 0);
    const errors = this.tasks.flatMap((t) => (t.result?.error ? [t.result.error] : []));
    const error = errors.length === 0 ? undefined : errors.length === 1 ? errors[0] : `${errors[0]} (and ${errors.length - 1} more tasks)`;
    this.report({ status, tasks, ...(error ? { error: error.slice(0, 4000) } : {}) });
  }

  private report(result: Pick<ExitedBody, 'status' | 'tasks' | 'error'>): void {
    if (this.done) return;
    this.done = true;
    this.limit?.clear();
    if (this.escalation) clearTimeout(this.escalation.timer);
    this.output.close();
    const exited: ExitedBody = { jobid: this.jobid, time: Date.now() / 1000, ...result, outputChunks: this.output.chunks };
    if (this.timedOut) exited.timedOut = true;
    this.options.onExit(exited);
  }
}

// jobs.ts - the jobs of this node: running ones, finished ones whose `job.exited` is not yet acknowledged, and the
// recently finished (agent protocol 3.1, 5.3, 5.5, 5.7). Invariants: a jobid runs at most once per agent life (a
// repeated `job.start` is ignored); a finished job's report stays in `exited` until acknowledged, directly or through
// the `hello` that carried it; a job killed "silently" (3.3 `kill`) is never reported.
import type { ExitedBody, JobStartBody } from '../control/agents/protocol.ts';
import { JobRun, type JobRunOptions } from './job-runner.ts';
import type { Session } from './session.ts';
import { describeStatus } from './tasks.ts';

const RECENT_LIMIT = 4096;

export interface JobTableOptions {
  session: Session;
  run: Omit<JobRunOptions, 'emitOutput' | 'onExit'>;
  log(line: string): void;
  /** Something worth persisting changed (running groups, unacknowledged reports). */
  onChange(): void;
}

/** The outcome of `start`: spawned, refused as a repeat, or nothing could start (a report follows). */
export type StartOutcome = { kind: 'started'; run: JobRun } | { kind: 'duplicate' } | { kind: 'failed' };

export class JobTable {
  private readonly runs = new Map<string, JobRun>();
  private readonly silent = new Set<string>();
  private readonly exited = new Map<string, ExitedBody>();
  private readonly recent = new Set<string>();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: JobTableOptions) {}

  /** 3.1 `running`. */
  running(): Array<{ jobid: string; startedAt: number }> {
    return [...this.runs.values()].map((r) => ({ jobid: r.jobid, startedAt: r.startedAt }));
  }

  /** 4.1 heartbeat `running`. */
  runningIds(): string[] {
    return [...this.runs.keys()];
  }

  /** 3.1 `exited`: every report not yet acknowledged. */
  unreported(): ExitedBody[] {
    return [...this.exited.values()];
  }

  /** Process groups of running tasks, for the state directory. */
  groups(): Array<{ jobid: string; pgid: number }> {
    return [...this.runs.values()].flatMap((r) => r.pgids.map((pgid) => ({ jobid: r.jobid, pgid })));
  }

  /** Reports saved by a previous incarnation, to be sent in the next `hello`. */
  restore(reports: ExitedBody[]): void {
    for (const r of reports) this.exited.set(r.jobid, r);
  }

  /** The `hello` that carried these reports was acknowledged: they are durable. */
  acknowledged(jobids: string[]): void {
    for (const id of jobids) this.exited.delete(id);
    if (jobids.length) this.options.onChange();
  }

  /** 5.3: starts a verified job unless it already ran here. */
  start(job: JobStartBody): StartOutcome {
    if (this.runs.has(job.jobid) || this.exited.has(job.jobid) || this.recent.has(job.jobid)) return { kind: 'duplicate' };
    const run = new JobRun(job, {
      ...this.options.run,
      emitOutput: (message) => this.options.session.send(message, { policy: 'resend' }),
      onExit: (report) => this.finished(run, report),
    });
    this.runs.set(job.jobid, run);
    const spawned = run.start();
    if (spawned) this.options.log(`job ${job.jobid} started: ${job.command.join(' ')} (tasks ${job.taskRanks})`);
    this.options.onChange();
    return spawned ? { kind: 'started', run } : { kind: 'failed' };
  }

  /** 5.7 / 3.3: signals a job's tasks, SIGKILL after `graceMs`; false when it does not run here. */
  kill(jobid: string, signal: NodeJS.Signals, graceMs: number, { silent = false }: { silent?: boolean } = {}): boolean {
    const run = this.runs.get(jobid);
    if (!run) return false;
    if (silent) this.silent.add(jobid);
    run.kill(signal, graceMs);
    return true;
  }

  /** Kills every job (reported as usual unless `silent`) and resolves once none runs. */
  killAll(signal: NodeJS.Signals, graceMs: number, { silent = false }: { silent?: boolean } = {}): Promise<void> {
    for (const id of this.runs.keys()) this.kill(id, signal, graceMs, { silent });
    if (this.runs.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private finished(run: JobRun, report: ExitedBody): void {
    const { jobid } = run;
    this.runs.delete(jobid);
    this.recent.add(jobid);
    if (this.recent.size > RECENT_LIMIT) this.recent.delete(this.recent.values().next().value!);
    if (this.silent.delete(jobid)) {
      this.options.log(`job ${jobid} killed as the control plane asked`);
    } else {
      const what = report.error ? `failed: ${report.error}` : `exited: ${describeStatus(report.status)}${report.timedOut ? ' (time limit)' : ''}`;
      this.options.log(`job ${jobid} ${what}`);
      this.exited.set(jobid, report);
      this.options.session.send(
        { type: 'job.exited', ...report },
        {
          policy: 'hello',
          urgent: true,
          onAck: () => {
            // Accepted or refused (2.2), it must not be sent again.
            this.exited.delete(jobid);
            this.options.onChange();
          },
        },
      );
    }
    this.options.onChange();
    if (this.runs.size === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}

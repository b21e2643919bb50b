// execution.ts - what the agents report about running jobs, turned into eventlog appends: a node started its
// tasks, a node's tasks exited, a node was lost. A job completes (finish, release, free, clean in one append)
// when the last of its nodes has reported; a timeout, a failure to start, or a lost node raises a fatal
// exception at once, and the other nodes are killed as a consequence (see job-manager's side effects).
// Invariant: every report is idempotent (a resent report finds its node already recorded and appends nothing).
import { applyEvents, completionEvents, exceptionEvents, waitStatusFromSignal, type JobEvent } from '../core/job/index.ts';
import { rankList } from '../core/resource/rv1.ts';
import type { EventCommitter } from './committer.ts';
import type { JobState } from './job-state.ts';

/** A node that will never report (it went down): recorded in `exits` with this marker. */
const LOST = -1;

export interface ExitReport {
  status: number;
  timedOut?: boolean;
  error?: string;
  outputChunks: number;
}

/** The node's index in the job's nodelist (R's ranks ascending), or -1. */
export function nodeIndex(job: JobState, rank: number): number {
  return job.item.R ? rankList(job.item.R).indexOf(rank) : -1;
}

export class Execution {
  /**
   * Called when every node of a job has reported its exit and the completion is being written: the processes are
   * gone, so a long-lived scheduler may reuse the resources before the `free` event is durable (see the scheduler's
   * rebuild for the crash case). Not called when a node was lost (its processes may still run).
   */
  finishing: (job: JobState) => void = () => {};

  constructor(
    private readonly committer: EventCommitter,
    private readonly clock: () => number,
    /** The job as this process holds it, if it does (to free resources as soon as an exit report arrives). */
    private readonly peek: (id: bigint) => JobState | undefined = () => undefined,
  ) {}

  /** A node started its tasks: the first one logs `start`. */
  async started(id: bigint, rank: number, time: number): Promise<void> {
    await this.committer.commit(id, (job) => {
      if (job.view.state !== 'RUN' || job.view.started || nodeIndex(job, rank) < 0) return null;
      return { events: [{ timestamp: time, name: 'start' }] };
    });
  }

  /** A node's tasks all exited (or could not start). */
  async exited(id: bigint, rank: number, report: ExitReport, time: number): Promise<void> {
    // The last node's report frees the job's resources now, so the next job's allocation is decided before the
    // committer flushes and shares a transaction with this completion. (The builder below does it otherwise.)
    const known = this.peek(id);
    if (known && this.completesOn(known, rank)) this.finishing(known);
    await this.committer.commit(id, (job) => {
      const idx = nodeIndex(job, rank);
      if (job.view.state === 'INACTIVE' || idx < 0 || job.item.exits?.[idx] !== undefined) return null;
      const exits = { ...job.item.exits, [idx]: report.status };
      const oc = { ...job.item.oc, [idx]: report.outputChunks };
      const events: JobEvent[] = [];
      let view = job.view;
      const add = (evs: JobEvent[]) => {
        events.push(...evs);
        view = applyEvents(view, evs);
      };
      if (view.state === 'RUN' && !view.started) add([{ timestamp: time, name: 'start' }]);
      if (report.error) add(exceptionEvents(view, { type: 'exec', note: report.error, timestamp: time }));
      if (report.timedOut) {
        add(exceptionEvents(view, { type: 'timeout', note: `job exceeded its time limit of ${job.item.dur}s`, timestamp: time }));
      }
      const completion = this.completionIfDone({ ...job, view }, exits, time);
      add(completion);
      if (completion.some((e) => e.name === 'free') && !Object.values(exits).includes(LOST)) this.finishing(job);
      return { events, set: { exits, oc } };
    });
  }

  /** A node of the job went down: a fatal exception; the job completes once its other nodes have reported. */
  async nodeLost(id: bigint, rank: number, note: string): Promise<void> {
    await this.committer.commit(id, (job) => {
      const idx = nodeIndex(job, rank);
      if (job.view.state === 'INACTIVE' || idx < 0 || job.item.exits?.[idx] !== undefined) return null;
      const exits = { ...job.item.exits, [idx]: LOST };
      const events = exceptionEvents(job.view, { type: 'node-failure', note, timestamp: this.clock() });
      const view = applyEvents(job.view, events);
      events.push(...this.completionIfDone({ ...job, view }, exits, this.clock()));
      return { events, set: { exits } };
    });
  }

  /** Would an exit report from `rank` be the last one the job waits for (with no node lost)? */
  private completesOn(job: JobState, rank: number): boolean {
    const idx = nodeIndex(job, rank);
    if (idx < 0 || job.view.state === 'INACTIVE' || !job.item.R) return false;
    const exits = job.item.exits ?? {};
    if (exits[idx] !== undefined || Object.values(exits).includes(LOST)) return false;
    return Object.keys(exits).length + 1 >= rankList(job.item.R).length;
  }

  /** The completion events once every node has exited or been lost; [] while some are still running. */
  private completionIfDone(job: JobState, exits: Record<string, number>, time: number): JobEvent[] {
    const nnodes = job.item.R ? rankList(job.item.R).length : 0;
    if (Object.keys(exits).length < nnodes) return [];
    const statuses = Object.values(exits);
    const real = statuses.filter((s) => s !== LOST);
    const lost = real.length < statuses.length;
    const status = Math.max(lost ? waitStatusFromSignal(9) : 0, ...real);
    return completionEvents(job.view, { status, timestamp: time });
  }
}

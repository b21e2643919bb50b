// job-manager.ts - the job manager: the JobService the API calls, the execution reports the agents feed, and
// the side effects of committed events (flux-core's event_job_action): wake long polls, free resources, kill
// jobs that got a fatal exception while holding resources, take cancelled jobs out of the queue.
// Invariant: side effects run only after the events that cause them are durable, and are idempotent.
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../core/errors.ts';
import { cancelEvents, matchesFilter, parseStateFilter, type JobEvent, type Result, type State } from '../core/job/index.ts';
import type { FluidGenerator } from '../core/fluid.ts';
import { encodeFluid } from '../core/fluid.ts';
import { priorityFromUrgency } from '../core/queue/index.ts';
import type { ResourceRequest } from '../core/resource/types.ts';
import type { Caller, EventlogPage, JobInfo, JobService, JobSummary, ListQuery, OutputPage, SubmitInput } from '../services.ts';
import type { JobItem, JobTable } from '../store/jobs.ts';
import type { OutputEntry, OutputTable } from '../store/output.ts';
import type { SubmissionTable } from '../store/submissions.ts';
import { WriteBatcher } from './batcher.ts';
import { EventCommitter } from './committer.ts';
import { Dependencies } from './dependencies.ts';
import { Execution, nodeIndex } from './execution.ts';
import { Ingest } from './ingest.ts';
import { MemoryJobCache } from './job-cache.ts';
import { stateOf, type JobState } from './job-state.ts';
import { listJobs } from './listing.ts';
import { jobKey, outputKey, type Notifier } from './notifier.ts';
import { decodeCursor, encodeCursor } from './output-cursor.ts';
import { infoOf, summaryOf } from './summaries.ts';
import type { OutputChunk } from '../store/output.ts';

/** What the job manager needs from the scheduler and the agent dispatcher (set after construction). */
export interface JobHooks {
  /** New pending jobs, durable. */
  queued(jobs: JobState[]): void;
  /** A pending job left the queue (cancelled) or changed priority (re-queue it with its new priority). */
  dequeued(id: bigint): void;
  requeued(job: JobState): void;
  /** The job's resources are free (its `free` event is durable). */
  freed(job: JobState): void;
  /** Kill a job on its nodes (a fatal exception while it holds resources). */
  kill(job: JobState, reason: string): void;
  /** Why a request can never run here, or undefined. */
  unsatisfiable(req: ResourceRequest): string | undefined;
}

export interface JobManagerDeps {
  iid: string;
  jobs: JobTable;
  output: OutputTable;
  submissions: SubmissionTable;
  fluids: FluidGenerator;
  /** Seconds since the epoch. */
  clock: () => number;
  notifier: Notifier;
  /**
   * True when this process is the only writer of the instance's jobs (local mode), so its cache can answer
   * reads; false on Lambda, where reads go to the table.
   */
  soleWriter: boolean;
}

const noHooks: JobHooks = {
  queued() {},
  dequeued() {},
  requeued() {},
  freed() {},
  kill() {},
  unsatisfiable: () => undefined,
};

export class JobManager implements JobService {
  readonly cache = new MemoryJobCache();
  readonly committer: EventCommitter;
  readonly execution: Execution;
  readonly dependencies: Dependencies;
  private readonly ingest: Ingest;
  private readonly outputWrites: WriteBatcher<OutputChunk>;
  hooks: JobHooks = noHooks;
  private readonly admitted = new Set<(jobs: JobState[]) => void>();

  constructor(private readonly deps: JobManagerDeps) {
    this.committer = new EventCommitter(deps.jobs, this.cache, { onCommitted: (job, events) => this.afterCommit(job, events) });
    this.execution = new Execution(this.committer, deps.clock, (id) => (deps.soleWriter ? this.cache.get(id) : undefined));
    this.dependencies = new Dependencies({ committer: this.committer, load: (id) => this.load(id), clock: deps.clock });
    this.outputWrites = new WriteBatcher((chunks) => deps.output.put(chunks), 4, 500);
    this.ingest = new Ingest({
      iid: deps.iid,
      table: deps.jobs,
      submissions: deps.submissions,
      fluids: deps.fluids,
      clock: deps.clock,
      unsatisfiable: (req) => this.hooks.unsatisfiable(req),
      submitted: (jobs) => this.admit(jobs),
    });
  }

  /**
   * New jobs are durable (a submission, or a job the control plane resubmitted itself): hold them, queue them, start
   * on their dependencies, and tell whoever listens (push subscriptions that follow a user's new jobs).
   */
  admit(jobs: JobState[]): void {
    for (const j of jobs) this.cache.set(j.item.id, j);
    this.hooks.queued(jobs);
    for (const j of jobs) if (j.view.state === 'DEPEND') void this.dependencies.evaluate(j.item.id).catch(() => undefined);
    for (const fn of this.admitted) {
      try {
        fn(jobs);
      } catch {
        // A listener's problem is its own; the jobs are admitted.
      }
    }
  }

  /** Calls `fn` with every batch of newly admitted jobs; returns the unsubscribe. */
  onAdmitted(fn: (jobs: JobState[]) => void): () => void {
    this.admitted.add(fn);
    return () => this.admitted.delete(fn);
  }

  /** flux-core's event_job_action: the side effects of events that are now durable. */
  private afterCommit(job: JobState, events: JobEvent[]): void {
    const id = job.item.id;
    this.deps.notifier.notify(jobKey(id));
    this.deps.notifier.notify(outputKey(id));
    const names = new Set(events.map((e) => e.name));
    if (names.has('free')) this.hooks.freed(job);
    if (names.has('start') || names.has('clean')) this.dependencies.antecedentChanged(id);
    const fatal = events.find((e) => e.name === 'exception' && (e.context?.severity ?? 0) === 0);
    if (fatal) {
      if (job.view.allocated && !job.view.freed) this.hooks.kill(job, String(fatal.context?.note ?? fatal.context?.type ?? 'exception'));
      if (!job.view.allocated) this.hooks.dequeued(id);
    } else if (names.has('priority') && job.view.state === 'SCHED') {
      this.hooks.requeued(job);
    }
  }

  submit(caller: Caller, input: SubmitInput): Promise<{ ids: bigint[] }> {
    return this.ingest.submit(caller, input);
  }

  /** A job, from the cache when this process is the sole writer, else from the table. */
  async load(id: bigint): Promise<JobState> {
    if (this.deps.soleWriter) {
      const cached = this.cache.get(id);
      if (cached) return cached;
    }
    const item = await this.deps.jobs.get(id);
    if (!item || item.iid !== this.deps.iid) throw new NotFoundError(`job ${encodeFluid(id)} not found`);
    const job = stateOf(item);
    this.cache.set(id, job);
    return job;
  }

  /** Loads a job the caller may see: its owner's, or any for the instance owner. Others are "not found". */
  private async visible(caller: Caller, id: bigint): Promise<JobState> {
    const job = await this.load(id);
    if (caller.role !== 'owner' && job.item.owner !== caller.user) throw new NotFoundError(`job ${encodeFluid(id)} not found`);
    return job;
  }

  async info(caller: Caller, id: bigint): Promise<JobInfo> {
    return infoOf(await this.visible(caller, id), this.deps.clock());
  }

  async list(caller: Caller, query: ListQuery): Promise<{ jobs: JobSummary[]; cursor?: string }> {
    const user = query.user ?? caller.user;
    if (user !== caller.user && caller.role !== 'owner') throw new ForbiddenError('only the instance owner may list other users\' jobs');
    const filter = parseStateFilter(query.filter ?? 'active');
    const limit = query.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InvalidInputError('must be an integer from 1 to 1000', 'limit');
    const activeOnly = filter.results.size === 0 && !filter.states.has('INACTIVE');
    const match = (item: JobItem) =>
      matchesFilter({ state: item.st as State, result: item.res as Result | undefined }, filter) && (query.name === undefined || item.name === query.name);
    return listJobs(
      { table: this.deps.jobs, iid: this.deps.iid, now: this.deps.clock() },
      { user: user === '*' ? undefined : user, match, limit, cursor: query.cursor, activeOnly },
    );
  }

  async eventlog(caller: Caller, id: bigint, from: number, waitMs: number, signal?: AbortSignal): Promise<EventlogPage> {
    if (!Number.isInteger(from) || from < 0) throw new InvalidInputError('must be an integer ≥ 0', 'from');
    const deadline = Date.now() + waitMs;
    for (;;) {
      const seen = this.deps.notifier.mark(jobKey(id));
      const job = await this.visible(caller, id);
      const log = job.item.eventlog;
      const done = job.view.state === 'INACTIVE';
      const remaining = deadline - Date.now();
      if (log.length > from || done || remaining <= 0 || signal?.aborted) {
        return { events: log.slice(from), next: Math.max(from, log.length), done };
      }
      await this.deps.notifier.wait(jobKey(id), remaining, signal, seen);
    }
  }

  async output(caller: Caller, id: bigint, cursorText: string | undefined, waitMs: number, signal?: AbortSignal): Promise<OutputPage> {
    let cursor = decodeCursor(cursorText);
    const deadline = Date.now() + waitMs;
    const entries: OutputPage['entries'] = [];
    let truncated = false;
    for (;;) {
      const seen = this.deps.notifier.mark(outputKey(id));
      const job = await this.visible(caller, id);
      const inactive = job.view.state === 'INACTIVE';
      const nnodes = job.item.nnodes ?? 0;
      if (nnodes > 0) {
        const read = await this.deps.output.read(id, Array.from({ length: nnodes }, (_, i) => i), cursor);
        cursor = read.cursor;
        for (const c of read.chunks) {
          entries.push(...c.entries);
          truncated ||= Boolean(c.truncated);
        }
      }
      const complete = inactive && Array.from({ length: nnodes }, (_, i) => (cursor[i] ?? 0) >= (job.item.oc?.[i] ?? 0)).every(Boolean);
      const remaining = deadline - Date.now();
      if (entries.length || complete || remaining <= 0 || signal?.aborted) {
        return { entries, cursor: encodeCursor(cursor), done: complete, truncated };
      }
      await this.deps.notifier.wait(outputKey(id), remaining, signal, seen);
    }
  }

  async cancel(caller: Caller, id: bigint, note?: string): Promise<JobSummary> {
    await this.visible(caller, id);
    const out = await this.committer.commit(id, (job) => {
      if (job.view.state === 'INACTIVE') throw new ConflictError(`job ${encodeFluid(id)} is already inactive`);
      const events = cancelEvents(job.view, { timestamp: this.deps.clock(), userid: caller.user, note: note ?? '' });
      return events.length ? { events } : null;
    });
    if (out.status === 'lease-lost') throw new Error('unexpected lease check on cancel');
    return summaryOf(out.job.item, this.deps.clock());
  }

  async setUrgency(caller: Caller, id: bigint, urgency: number): Promise<JobSummary> {
    if (!Number.isInteger(urgency) || urgency < 0 || urgency > 31) throw new InvalidInputError('must be an integer from 0 to 31', 'urgency');
    if (urgency > 16 && caller.role !== 'owner') throw new ForbiddenError('urgency: only the instance owner may set an urgency above 16');
    await this.visible(caller, id);
    const out = await this.committer.commit(id, (job) => {
      const s = job.view.state;
      if (s !== 'DEPEND' && s !== 'PRIORITY' && s !== 'SCHED') throw new ConflictError(`job ${encodeFluid(id)} is ${s.toLowerCase()}: urgency can only change while it is pending`);
      const t = this.deps.clock();
      const events: JobEvent[] = [{ timestamp: t, name: 'urgency', context: { userid: caller.user, urgency } }];
      if (s !== 'DEPEND') events.push({ timestamp: t, name: 'priority', context: { priority: priorityFromUrgency(urgency) } });
      return { events, set: { urgency } };
    });
    if (out.status === 'lease-lost') throw new Error('unexpected lease check on urgency');
    return summaryOf(out.job.item, this.deps.clock());
  }

  /** Re-evaluates every job waiting in DEPEND (after a restart, and on each tick where nothing stays in memory). */
  async evaluateDependencies(): Promise<void> {
    const pending = await this.deps.jobs.queryActive(this.deps.iid, 'pending');
    await Promise.all(pending.filter((p) => p.st === 'DEPEND').map((p) => this.dependencies.evaluate(p.id).catch(() => undefined)));
  }

  /** A `job.output` message from a node of the job: stored (batched with others), then long polls wake. */
  async recordOutput(id: bigint, rank: number, seq: number, entries: OutputEntry[], truncated: boolean): Promise<void> {
    const job = await this.load(id);
    const node = nodeIndex(job, rank);
    if (node < 0) return;
    await this.outputWrites.add([{ jobId: id, node, seq, time: this.deps.clock(), entries, truncated }]);
    this.deps.notifier.notify(outputKey(id));
  }
}

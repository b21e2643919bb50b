// ingest.ts - job submission: validate every jobspec first (nothing is written if one is bad), assign FLUIDs,
// write the jobs durably (batched with concurrent submissions), and only then hand them to the scheduler.
// Invariants: a job is born with submit+validate+depend+priority in its eventlog (all decided here, so written
// together); a retry with the same client token creates nothing new; ids are returned in submission order.
import { FluidGenerator } from '../core/fluid.ts';
import { ForbiddenError, InvalidInputError, ConflictError } from '../core/errors.ts';
import { submitEvent, type JobEvent } from '../core/job/index.ts';
// Direct imports, not the jobspec index: that re-exports the YAML parser, which only the HTTP edge needs.
import { describeJobspec } from '../core/jobspec/describe.ts';
import { validateJobspecV1, type JobspecV1 } from '../core/jobspec/v1.ts';
import { priorityFromUrgency } from '../core/queue/index.ts';
import type { ResourceRequest } from '../core/resource/types.ts';
import type { Caller, SubmitInput } from '../services.ts';
import type { JobItem, JobTable } from '../store/jobs.ts';
import type { SubmissionTable } from '../store/submissions.ts';
import { WriteBatcher } from './batcher.ts';
import { checkDependencies } from './dependencies.ts';
import { stateOf, type JobState } from './job-state.ts';

/** Jobs per submission: the client-token record and the response stay well under their size limits. */
export const MAX_JOBS_PER_SUBMIT = 100_000;
export const QUEUES = ['default'];
/** Submissions of up to this many jobs are written with their client token in one transaction. */
const SMALL_SUBMISSION = 9;

export interface IngestDeps {
  iid: string;
  table: JobTable;
  submissions: SubmissionTable;
  fluids: FluidGenerator;
  /** Seconds since the epoch. */
  clock: () => number;
  /** Why this request can never run here, or undefined if it can (now or once elastic nodes join). */
  unsatisfiable: (req: ResourceRequest) => string | undefined;
  /** The jobs are durable: queue them. */
  submitted: (jobs: JobState[]) => void;
}

interface Prepared {
  jobspec: JobspecV1;
  field: string;
  cc?: number;
}

export class Ingest {
  private readonly inserts: WriteBatcher<JobItem>;

  constructor(private readonly deps: IngestDeps) {
    this.inserts = new WriteBatcher((items) => deps.table.insert(items), 4, 5000);
  }

  async submit(caller: Caller, input: SubmitInput): Promise<{ ids: bigint[] }> {
    const urgency = input.urgency ?? 16;
    if (!Number.isInteger(urgency) || urgency < 0 || urgency > 31) throw new InvalidInputError('must be an integer from 0 to 31', 'urgency');
    if (urgency > 16 && caller.role !== 'owner') throw new ForbiddenError('urgency: only the instance owner may set an urgency above 16');
    const prepared = this.prepare(input);
    const t = this.deps.clock();
    const ids = this.deps.fluids.nextBatch(prepared.length);

    const items = prepared.map((p, i) => this.buildItem(ids[i]!, p, caller, urgency, t));
    if (input.clientToken) {
      const token = input.clientToken;
      if (items.length <= SMALL_SUBMISSION) {
        // A few jobs (a `flurry run`): the token and the jobs in one transaction, one round trip, all or nothing.
        if (await this.deps.table.insertWithToken(items, this.deps.submissions.tokenItem(token, caller.user, ids, t))) {
          this.deps.submitted(items.map(stateOf));
          return { ids };
        }
        return this.retried(caller, items, await this.deps.submissions.read(token));
      }
      const earlier = await this.deps.submissions.claim(token, caller.user, ids, t);
      if (earlier) return this.retried(caller, items, earlier);
    }
    await this.inserts.add(items);
    this.deps.submitted(items.map(stateOf));
    return { ids };
  }

  /** A retry of an earlier submission with the same client token: its jobs (writing any still missing), nothing new. */
  private async retried(caller: Caller, items: JobItem[], earlier: { owner: string; ids: bigint[] } | undefined): Promise<{ ids: bigint[] }> {
    if (!earlier || earlier.owner !== caller.user || earlier.ids.length !== items.length) {
      throw new ConflictError('clientToken: already used for a different submission');
    }
    await this.deps.table.insertIfAbsent(items.map((item, i) => ({ ...item, id: earlier.ids[i]! })));
    return { ids: earlier.ids };
  }

  /** Parses and validates everything before anything is written. */
  private prepare(input: SubmitInput): Prepared[] {
    const many = input.jobspecs.length > 1;
    if (input.jobspecs.length === 0) throw new InvalidInputError('at least one jobspec is required', 'jobspecs');
    if (input.cc && many) throw new InvalidInputError('cc replicates a single jobspec; it cannot be combined with several', 'cc');
    const count = input.cc ? input.cc.length : input.jobspecs.length;
    if (count > MAX_JOBS_PER_SUBMIT) throw new InvalidInputError(`at most ${MAX_JOBS_PER_SUBMIT} jobs per submission (got ${count})`, input.cc ? 'cc' : 'jobspecs');
    if (input.cc && input.cc.length === 0) throw new InvalidInputError('must name at least one id', 'cc');

    const specs = input.jobspecs.map((raw, i) => {
      // Always jobspecs[i]: the HTTP edge knows whether the client sent one `jobspec` and names the field accordingly.
      const field = `jobspecs[${i}]`;
      const jobspec = withField(field, () => validateJobspecV1(raw));
      const shape = describeJobspec(jobspec);
      const queue = shape.queue ?? 'default';
      if (!QUEUES.includes(queue)) {
        throw new InvalidInputError(`queue "${queue}" does not exist (queues: ${QUEUES.join(', ')})`, `${field}.attributes.system.queue`);
      }
      checkDependencies(shape.dependencies, field);
      const why = this.deps.unsatisfiable(shape.request);
      if (why) throw new InvalidInputError(`unsatisfiable request: ${why}`, `${field}.resources`);
      return { jobspec, field };
    });
    if (!input.cc) return specs;
    const only = specs[0]!;
    return input.cc.map((cc) => ({ ...only, cc }));
  }

  private buildItem(id: bigint, p: Prepared, caller: Caller, urgency: number, t: number): JobItem {
    let jobspec = p.jobspec;
    if (p.cc !== undefined) {
      const system = jobspec.attributes.system;
      jobspec = { ...jobspec, attributes: { ...jobspec.attributes, system: { ...system, environment: { ...(system.environment ?? {}), FLURRY_JOB_CC: String(p.cc) } } } };
    }
    const shape = describeJobspec(jobspec);
    const priority = priorityFromUrgency(urgency);
    const events: JobEvent[] = [submitEvent(t, { userid: caller.user, urgency }), { timestamp: t, name: 'validate' }];
    if (shape.dependencies.length) {
      for (const d of shape.dependencies) events.push({ timestamp: t, name: 'dependency-add', context: { description: `${d.scheme}:${d.value}` } });
    } else {
      events.push({ timestamp: t, name: 'depend' }, { timestamp: t, name: 'priority', context: { priority } });
    }
    const view = stateOf({ eventlog: events } as JobItem).view;
    return {
      id,
      iid: this.deps.iid,
      owner: caller.user,
      name: shape.name,
      jobspec,
      urgency,
      priority: view.priority,
      req: shape.request,
      dur: shape.duration,
      ntasks: shape.ntasks,
      eventlog: events,
      ver: 1,
      st: view.state,
      tsub: t,
    };
  }
}

/** Runs `fn`, prefixing the field path of any InvalidInputError it throws with `prefix`. */
function withField<T>(prefix: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InvalidInputError) throw new InvalidInputError(err.detail, err.field ? `${prefix}.${err.field}` : prefix, { cause: err });
    throw err;
  }
}

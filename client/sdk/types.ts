// types.ts - the JSON the Flurry REST API (v1) answers with, as docs/rest-api.md and the OpenAPI document describe it.
// Invariants: written once, by hand, for SDK users (no server imports); job ids are f58 strings; times are seconds
// since the epoch; contract.test.ts checks every field here against the server's OpenAPI document.

/** RFC 21 job states, in lifecycle order. */
export type JobState = 'NEW' | 'DEPEND' | 'PRIORITY' | 'SCHED' | 'RUN' | 'CLEANUP' | 'INACTIVE';

/** What an INACTIVE job ended as. */
export type JobResult = 'COMPLETED' | 'FAILED' | 'CANCELED' | 'TIMEOUT';

/** A job id as the API prints it: a FLUID in f58 (`ƒ2MU1GM7V`). Any RFC 19 encoding is accepted as input. */
export type JobId = string;

/** The most severe exception a job got. Severity 0 is fatal. */
export interface JobException {
  type: string;
  severity: number;
  note: string;
}

/** A job as `flurry jobs` lists it. */
export interface JobSummary {
  id: JobId;
  owner: string;
  name: string;
  state: JobState;
  /** Flux's ST column: D P S R C while active, CD F CA TO once inactive. */
  stateCode: string;
  result?: JobResult;
  exitCode?: number;
  /** Signal number, when a signal ended the job. */
  signal?: number;
  /** The largest job-shell wait status, as waitpid(2) encodes it. */
  waitstatus?: number;
  urgency: number;
  priority?: number;
  ntasks?: number;
  nnodes?: number;
  nodelist?: string;
  t_submit: number;
  t_run?: number;
  t_inactive?: number;
  /** Seconds run so far. */
  runtime: number;
  /** Time limit in seconds, 0 = unlimited. */
  duration: number;
  exception?: JobException;
}

/** RFC 20 resource set R, version 1. */
export interface ResourceSetR {
  version: 1;
  execution: {
    R_lite: Array<{ rank: string; children: { core?: string; gpu?: string } }>;
    nodelist: string[];
    starttime: number;
    expiration: number;
    properties?: Record<string, string>;
  };
}

/** One job with its jobspec and, once allocated, R. */
export interface JobInfo extends JobSummary {
  jobspec: unknown;
  R?: ResourceSetR;
}

/** A page of `GET /v1/jobs`, newest first. */
export interface JobPage {
  jobs: JobSummary[];
  /** Pass back to get the next page; absent on the last one. */
  cursor?: string;
}

/** One RFC 18/21 eventlog entry. */
export interface JobEvent {
  timestamp: number;
  name: string;
  context?: Record<string, unknown>;
}

export interface EventlogPage {
  events: JobEvent[];
  /** Pass as `from` to get only newer events. */
  next: number;
  /** The job is inactive: no event will follow. */
  done: boolean;
}

/** A piece of a task's standard output or error. */
export interface OutputEntry {
  stream: 'stdout' | 'stderr';
  /** The task's rank in the job. */
  task: number;
  data: string;
}

export interface OutputPage {
  entries: OutputEntry[];
  /** Opaque: pass back to continue after these entries. */
  cursor: string;
  /** The job is inactive and all its output has been read. */
  done: boolean;
  /** Some output was dropped at the per-job cap. */
  truncated: boolean;
}

export interface ResourceCounts {
  nnodes: number;
  ncores: number;
  ngpus: number;
  /** RFC 29 hostlist (`n[1-4]`), empty when there are none. */
  nodelist: string;
}

export interface NodeInfo {
  name: string;
  rank: number;
  state: 'up' | 'down' | 'drained';
  drainReason?: string;
  cores: number;
  coresFree: number;
  gpus: number;
  gpusFree: number;
  memoryMB: number;
  properties: string[];
  pool?: string;
  /** Jobs running on the node. */
  jobs: number;
}

/** `GET /v1/resources`: the nodes, and totals as `flux resource list` shows them. */
export interface ResourceListing {
  nodes: NodeInfo[];
  free: ResourceCounts;
  allocated: ResourceCounts;
  down: ResourceCounts;
  drained: ResourceCounts;
}

export interface Whoami {
  user: string;
  role: 'owner' | 'user';
}

export interface Health {
  ok: true;
  version: string;
}

/** `POST /v1/jobs`: the ids, in submission order. */
export interface SubmitAnswer {
  ids: JobId[];
}

/** Drain/undrain: the nodes affected. */
export interface NodeNames {
  nodes: string[];
}

/** The body of every 4xx/5xx answer. */
export interface ApiErrorBody {
  error: { code: string; message: string; field?: string };
}

// services.ts - what the HTTP API (and anything else at the edge) may ask of the control plane. The routes in
// control/api are thin maps onto these; the implementations live in control/jobs and control/resources.
// Ids cross this boundary as bigint; the edge encodes them as f58 strings (they exceed 2^53).
import type { JobEvent } from './core/job/index.ts';
import type { Result, State } from './core/job/index.ts';
import type { Rv1 } from './core/resource/types.ts';
import type { KvsLookupOptions, KvsLookupResult, KvsNamespace, KvsWatchPage, Op } from './kvs/types.ts';
import type { Role } from './store/users.ts';

export type { Role };

/** Who is calling (from the bearer token). */
export interface Caller {
  user: string;
  role: Role;
}

export interface SubmitInput {
  /** One jobspec (object, already parsed from JSON/YAML), or several. */
  jobspecs: unknown[];
  /** Replicate the single jobspec once per id of this idset (`--cc`); each job sees FLURRY_JOB_CC=<id>. */
  cc?: number[];
  /** 0–31, default 16 (RFC 30). Only the instance owner may use 31 (expedite). */
  urgency?: number;
  /** Idempotency: a retry with the same token gets the same ids back and creates nothing. */
  clientToken?: string;
}

export interface JobSummary {
  id: bigint;
  owner: string;
  name: string;
  state: State;
  /** Flux's ST column: D P S R C for active jobs, CD F CA TO for inactive ones. */
  stateCode: string;
  result?: Result;
  exitCode?: number;
  /** Signal number when a signal ended the job. */
  signal?: number;
  waitstatus?: number;
  urgency: number;
  priority?: number;
  ntasks?: number;
  nnodes?: number;
  nodelist?: string;
  /** Seconds since the epoch. */
  t_submit: number;
  t_run?: number;
  t_inactive?: number;
  /** Seconds run (so far, for a running job). */
  runtime: number;
  /** The fatal exception's note, if any (INFO column). */
  exception?: { type: string; severity: number; note: string };
  /** Duration limit in seconds, 0 = unlimited. */
  duration: number;
}

export interface JobInfo extends JobSummary {
  jobspec: unknown;
  R?: Rv1;
}

export interface ListQuery {
  /** Only this user's jobs; undefined = the caller's own; '*' = everyone's (instance owner only). */
  user?: string;
  /** State/result names and groups as `flurry jobs --filter` takes them (pending, running, active, inactive…). */
  filter?: string;
  /** Only jobs whose name matches exactly. */
  name?: string;
  /** Page size (1–1000, default 100). */
  limit?: number;
  cursor?: string;
}

export interface EventlogPage {
  events: JobEvent[];
  /** Pass as `from` to get only newer events. */
  next: number;
  /** The job is INACTIVE: no event will ever follow. */
  done: boolean;
}

export interface OutputPage {
  entries: Array<{ stream: 'stdout' | 'stderr'; task: number; data: string }>;
  /** Opaque; pass back to continue after these entries. */
  cursor: string;
  /** The job is INACTIVE and every chunk its nodes sent has been read. */
  done: boolean;
  /** Some output was dropped at the per-job cap. */
  truncated: boolean;
}

export interface JobService {
  /** Validates everything first (nothing is written if any jobspec is invalid), then writes durably, then answers. */
  submit(caller: Caller, input: SubmitInput): Promise<{ ids: bigint[] }>;
  list(caller: Caller, query: ListQuery): Promise<{ jobs: JobSummary[]; cursor?: string }>;
  info(caller: Caller, id: bigint): Promise<JobInfo>;
  /** Events from index `from`; if there are none yet, waits up to `waitMs` for one (long polling). */
  eventlog(caller: Caller, id: bigint, from: number, waitMs: number, signal?: AbortSignal): Promise<EventlogPage>;
  /** Output after `cursor`; if there is none yet and the job is active, waits up to `waitMs`. */
  output(caller: Caller, id: bigint, cursor: string | undefined, waitMs: number, signal?: AbortSignal): Promise<OutputPage>;
  /** Raises a fatal `cancel` exception; kills the job if it runs. Cancelling an inactive job is a ConflictError. */
  cancel(caller: Caller, id: bigint, note?: string): Promise<JobSummary>;
  setUrgency(caller: Caller, id: bigint, urgency: number): Promise<JobSummary>;
}

export type NodeState = 'up' | 'down' | 'drained';

export interface NodeListing {
  name: string;
  rank: number;
  state: NodeState;
  /** A drained node can still be running jobs until they end. */
  drainReason?: string;
  cores: number;
  coresFree: number;
  gpus: number;
  gpusFree: number;
  memoryMB: number;
  properties: string[];
  pool?: string;
  jobs: number;
}

export interface ResourceCounts {
  nnodes: number;
  ncores: number;
  ngpus: number;
  nodelist: string;
}

export interface ResourceListing {
  nodes: NodeListing[];
  /** As `flux resource list`: free (up, undrained, unallocated), allocated, down, drained (with reasons). */
  free: ResourceCounts;
  allocated: ResourceCounts;
  down: ResourceCounts;
  drained: ResourceCounts;
}

export interface ResourceService {
  list(caller: Caller): Promise<ResourceListing>;
  /** Instance owner only. `targets` is a hostlist; unknown hosts are a NotFoundError naming them. */
  drain(caller: Caller, targets: string, reason: string): Promise<{ nodes: string[] }>;
  undrain(caller: Caller, targets: string): Promise<{ nodes: string[] }>;
}

export interface AuthService {
  /** The caller behind a bearer token, or undefined if the token is unknown. */
  authenticate(token: string): Promise<Caller | undefined>;
}

/** Flux's KVS (control/kvs): namespaces, lookups, transactions, watches. Namespace names and keys as Flux spells them. */
export interface KvsService {
  /** Every namespace for the instance owner; the caller's own for anyone else. */
  listNamespaces(caller: Caller): Promise<KvsNamespace[]>;
  /** Instance owner (any name, any owner), or a job's owner (`job-<id>` of their job). Exists: ConflictError. */
  createNamespace(caller: Caller, name: string, owner?: string): Promise<KvsNamespace>;
  removeNamespace(caller: Caller, name: string): Promise<void>;
  /** The namespace's current version: how many commits it has had. */
  version(caller: Caller, namespace: string): Promise<number>;
  /** Waits up to `waitMs` for the namespace to reach `version`; answers the version it is at. */
  waitVersion(caller: Caller, namespace: string, version: number, waitMs: number, signal?: AbortSignal): Promise<number>;
  lookup(caller: Caller, namespace: string, key: string, opts?: KvsLookupOptions): Promise<KvsLookupResult>;
  /** Applies all of `ops` as one new version, or none of them. */
  commit(caller: Caller, namespace: string, ops: readonly Op[]): Promise<{ version: number }>;
  /** Changes of `key` in commits after `after`; if there are none yet, waits up to `waitMs` for one (long polling). */
  watch(caller: Caller, namespace: string, key: string, after: number, waitMs: number, signal?: AbortSignal): Promise<KvsWatchPage>;
}

/** One node of an elastic status. */
export interface ElasticNodeStatus {
  name: string;
  state: 'up' | 'drained' | 'down';
  instanceId?: string;
  /** Why it is drained (scale-in reasons start with `elastic:`). */
  drainReason?: string;
}

/** A pool as `flurry elastic status` shows it. */
export interface ElasticPoolStatus {
  name: string;
  /** `static`, `local`, `ec2` or `sim`; `static` also for nodes that joined without a pool. */
  provider: string;
  min?: number;
  max?: number;
  instanceTypes?: string[];
  /** Nodes by state, and instances launched but not joined yet. */
  counts: { up: number; drained: number; down: number; joining: number };
  nodes: ElasticNodeStatus[];
  /** Why its launches are held back, and until when (seconds since the epoch). */
  held?: { why: string; until: number };
}

/** A launch not yet settled: recorded, instances launched, some not joined. */
export interface ElasticLaunchStatus {
  launchId: string;
  pool: string;
  instanceType: string;
  capacityType: 'spot' | 'on-demand';
  count: number;
  /** Instances still expected to join. */
  pending: number;
  state: 'launching' | 'launched';
  /** Seconds since the epoch. */
  since: number;
  instanceIds: string[];
  placementGroup?: string;
  reason: string;
  lastError?: string;
}

/** One entry of the decision log, newest last. */
export interface ElasticDecisionStatus {
  at: number;
  action: string;
  pool?: string;
  node?: string;
  instanceId?: string;
  launchId?: string;
  text: string;
}

/** `GET /v1/elastic`. */
export interface ElasticStatus {
  /** False when the instance runs no elastic loop (everything else is then empty). */
  enabled: boolean;
  pools: ElasticPoolStatus[];
  launches: ElasticLaunchStatus[];
  decisions: ElasticDecisionStatus[];
  /** Offerings skipped after an insufficient-capacity error, until (seconds since the epoch). */
  unavailable: Array<{ instanceType: string; capacityType: 'spot' | 'on-demand'; zone?: string; subnet?: string; until: number }>;
  /** The last pass: when, how long it took, and what the policy noted. */
  lastPass?: { at: number; ms: number; notes: string[] };
}

/** The elastic loop, as the edge sees it (elastic/host.ts implements it). */
export interface ElasticService {
  /** Instance owner only (ForbiddenError otherwise). */
  status(caller: Caller): Promise<ElasticStatus>;
}

/** Everything the HTTP app needs. */
export interface Services {
  jobs: JobService;
  resources: ResourceService;
  auth: AuthService;
  /** The KVS; absent in test doubles that do not need it (its routes then answer 503). */
  kvs?: KvsService;
  /** The elastic loop; absent when the instance has none (GET /v1/elastic then answers `enabled: false`). */
  elastic?: ElasticService;
}

// client.ts - FlurryClient: the typed SDK over the REST API (submit, list, follow, cancel, resources, the KVS as
// `kvs`) and push subscriptions over the watch link (local mode).
// Invariants: fetch only (no node:* imports) so it runs in Node, Deno, browsers and notebook kernels; GETs and
// submissions (which always carry a client token, so a repeat creates nothing) are retried on network errors and
// 5xx, nothing else is; ids come back as f58 strings in submission order.
import { formatIdset, parseIdset } from '../../control/core/idset.ts';
import { ROUTES } from './contract.ts';
import { FlurryApiError } from './errors.ts';
import { followEvents, followOutput, type EventsOptions, type OutputOptions } from './follow.ts';
import { isJobRequest, jobspec, type JobRequest, type JobspecV1 } from './jobspec.ts';
import { KvsClient } from './kvs.ts';
import { subscribePushes, type SubscribeSpec, type WatchPush, type WebSocketConstructor } from './subscribe.ts';
import { Transport, type TransportOptions } from './transport.ts';
import type {
  EventlogPage, Health, JobEvent, JobId, JobInfo, JobPage, JobSummary, NodeNames, OutputEntry, OutputPage,
  ResourceListing, SubmitAnswer, Whoami,
} from './types.ts';

export interface FlurryClientOptions extends TransportOptions {
  /** For subscribe(): the WebSocket class to use (default: the global WebSocket, else the `ws` package). */
  webSocket?: WebSocketConstructor;
}

/** What to submit: a V1 jobspec object, its YAML/JSON text, or a command with shape options. */
export type JobInput = JobspecV1 | Record<string, unknown> | string | JobRequest;

export interface SubmitOptions {
  /** 0–31 (RFC 30), default 16. */
  urgency?: number;
  /** Idempotency token for the (first) request; default a random one per call. */
  clientToken?: string;
  signal?: AbortSignal;
  /** With `cc` or `submitMany`: jobs per request (default 5000 for cc, 1000 for submitMany) and requests in flight (4). */
  chunkSize?: number;
  concurrency?: number;
  /** Called as chunks are acknowledged: jobs submitted so far, and the total. */
  onProgress?: (submitted: number, total: number) => void;
}

export interface CcSubmitOptions extends SubmitOptions {
  /** One copy of the job per id (an RFC 22 idset like `'1-100'`, or the ids); each copy sees FLURRY_JOB_CC=<id>. */
  cc: string | readonly number[];
}

export interface JobQuery {
  /** States/results, comma-separated (`pending,running`, `inactive`, `failed`…); default `active`. */
  filter?: string;
  /** Whose jobs: default the caller's; `*` = everyone (instance owner only). */
  user?: string;
  name?: string;
  /** Page size, 1–1000 (default 100). */
  limit?: number;
  cursor?: string;
  signal?: AbortSignal;
}

/** The server's per-request caps (control/api/routes/jobs.ts). */
const MAX_JOBSPECS_PER_REQUEST = 1000;
const MAX_CC_PER_REQUEST = 100_000;

/** A random client token (UUID where the runtime has one). */
function randomToken(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order; the first failure wins. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/**
 * A client of one Flurry instance.
 * @example
 * const flurry = new FlurryClient({ uri: 'http://127.0.0.1:8080', token });
 * const id = await flurry.submit({ command: ['hostname'], nodes: 2 });
 * for await (const o of flurry.output(id)) console.log(o.task, o.data);
 * const job = await flurry.wait(id); // job.result, job.exitCode
 */
export class FlurryClient {
  readonly #t: Transport;
  readonly #token: string;
  readonly #webSocket: WebSocketConstructor | undefined;
  /**
   * The instance's KVS, with the same URI, token and fetch.
   * @example await flurry.kvs.commit('primary', [{ op: 'put', key: 'a.b', value: 1 }])
   */
  readonly kvs: KvsClient;

  constructor(options: FlurryClientOptions) {
    this.#t = new Transport(options);
    this.#token = options.token;
    this.#webSocket = options.webSocket;
    this.kvs = new KvsClient({ uri: options.uri, token: options.token, ...(options.fetch ? { fetch: options.fetch } : {}) });
  }

  /** The base URI requests go to. */
  get uri(): string {
    return this.#t.base;
  }

  health(signal?: AbortSignal): Promise<Health> {
    return this.#t.call(ROUTES.health, { retry: true, signal });
  }

  /** The user and role behind the token. */
  whoami(signal?: AbortSignal): Promise<Whoami> {
    return this.#t.call(ROUTES.whoami, { retry: true, signal });
  }

  /**
   * Submit one job and get its id, or with `cc` one copy per id and get their ids in order. Safe to retry: every
   * request carries a client token.
   * @example await flurry.submit(jobspec(['app'], { ntasks: 4 }), { urgency: 20 })
   */
  submit(job: JobInput, opts: CcSubmitOptions): Promise<JobId[]>;
  submit(job: JobInput, opts?: SubmitOptions): Promise<JobId>;
  async submit(job: JobInput, opts: SubmitOptions & { cc?: string | readonly number[] } = {}): Promise<JobId | JobId[]> {
    const spec = isJobRequest(job) ? jobspec(job.command, job) : job;
    if (opts.cc === undefined) {
      const [id] = await this.#submitChunks([{ jobspec: spec }], 1, opts);
      return id!;
    }
    const ids = typeof opts.cc === 'string' ? parseIdset(opts.cc, { max: 10_000_000 }) : [...opts.cc];
    if (ids.length === 0) throw new FlurryApiError(0, 'invalid', 'cc: must name at least one id', 'cc');
    const size = Math.min(opts.chunkSize ?? 5000, MAX_CC_PER_REQUEST);
    const bodies: Array<Record<string, unknown>> = [];
    for (let i = 0; i < ids.length; i += size) bodies.push({ jobspec: spec, cc: formatIdset(ids.slice(i, i + size)) });
    return this.#submitChunks(bodies, ids.length, opts);
  }

  /** Submit several jobs (in requests of up to 1000) and get their ids in the same order. */
  async submitMany(jobs: readonly JobInput[], opts: SubmitOptions = {}): Promise<JobId[]> {
    if (jobs.length === 0) return [];
    const specs = jobs.map((j) => (isJobRequest(j) ? jobspec(j.command, j) : j));
    const size = Math.min(opts.chunkSize ?? MAX_JOBSPECS_PER_REQUEST, MAX_JOBSPECS_PER_REQUEST);
    const bodies: Array<Record<string, unknown>> = [];
    for (let i = 0; i < specs.length; i += size) bodies.push({ jobspecs: specs.slice(i, i + size) });
    return this.#submitChunks(bodies, specs.length, opts);
  }

  async #submitChunks(bodies: Array<Record<string, unknown>>, total: number, opts: SubmitOptions): Promise<JobId[]> {
    const base = opts.clientToken;
    let submitted = 0;
    const send = async (body: Record<string, unknown>, i: number): Promise<JobId[]> => {
      const clientToken = base === undefined ? randomToken() : bodies.length === 1 ? base : `${base.slice(0, 116)}#${i}`;
      const full: Record<string, unknown> = { ...body, clientToken };
      if (opts.urgency !== undefined) full.urgency = opts.urgency;
      const { ids } = await this.#t.call<SubmitAnswer>(ROUTES.submit, { body: full, retry: true, signal: opts.signal });
      submitted += ids.length;
      opts.onProgress?.(submitted, total);
      return ids;
    };
    try {
      return (await mapLimit(bodies, opts.concurrency ?? 4, send)).flat();
    } catch (err) {
      if (err instanceof FlurryApiError && submitted > 0) {
        throw new FlurryApiError(err.status, err.code, `${err.message} (${submitted} of ${total} jobs were submitted)`, err.field, { cause: err });
      }
      throw err;
    }
  }

  /** One page of jobs, newest first. */
  jobs(query: JobQuery = {}): Promise<JobPage> {
    const { signal, ...q } = query;
    return this.#t.call(ROUTES.jobs, { query: { ...q }, retry: true, signal });
  }

  /**
   * Every job matching `query`, across pages, newest first; stops after `max` jobs.
   * @example for await (const j of flurry.allJobs({ filter: 'inactive' })) console.log(j.id, j.result)
   */
  async *allJobs(query: Omit<JobQuery, 'cursor'> & { max?: number } = {}): AsyncGenerator<JobSummary> {
    const { max = Infinity, ...q } = query;
    let cursor: string | undefined;
    let seen = 0;
    do {
      const limit = Math.min(q.limit ?? 1000, 1000, max - seen);
      if (limit <= 0) return;
      const page = await this.jobs({ ...q, limit, ...(cursor === undefined ? {} : { cursor }) });
      for (const job of page.jobs) {
        if (seen++ >= max) return;
        yield job;
      }
      cursor = page.cursor;
    } while (cursor !== undefined && seen < max);
  }

  /** One job, with its jobspec and R. */
  job(id: JobId | bigint, signal?: AbortSignal): Promise<JobInfo> {
    return this.#t.call(ROUTES.job, { params: { id: String(id) }, retry: true, signal });
  }

  /** Raise a `cancel` exception on the job; a `conflict` error if it is already inactive. */
  cancel(id: JobId | bigint, note?: string, signal?: AbortSignal): Promise<JobSummary> {
    return this.#t.call(ROUTES.cancel, { params: { id: String(id) }, body: note === undefined ? {} : { note }, signal });
  }

  /** Change a pending job's urgency (0–31). */
  setUrgency(id: JobId | bigint, urgency: number, signal?: AbortSignal): Promise<JobSummary> {
    return this.#t.call(ROUTES.urgency, { params: { id: String(id) }, body: { urgency }, signal });
  }

  resources(signal?: AbortSignal): Promise<ResourceListing> {
    return this.#t.call(ROUTES.resources, { retry: true, signal });
  }

  /** Drain nodes (a hostlist, e.g. `n[1-4]`); instance owner only. */
  drain(targets: string, reason?: string, signal?: AbortSignal): Promise<NodeNames> {
    return this.#t.call(ROUTES.drain, { body: reason === undefined ? { targets } : { targets, reason }, signal });
  }

  undrain(targets: string, signal?: AbortSignal): Promise<NodeNames> {
    return this.#t.call(ROUTES.undrain, { body: { targets }, signal });
  }

  /** One eventlog page from index `from`, waiting up to `waitSeconds` for a new event when there is none. */
  eventlogPage(id: JobId | bigint, opts: { from?: number; waitSeconds?: number; signal?: AbortSignal } = {}): Promise<EventlogPage> {
    const query = { from: opts.from ?? 0, wait: opts.waitSeconds };
    return this.#t.call(ROUTES.eventlog, { params: { id: String(id) }, query, retry: true, signal: opts.signal });
  }

  /** One output page after `cursor`, waiting up to `waitSeconds` when there is nothing new. */
  outputPage(id: JobId | bigint, opts: { cursor?: string; waitSeconds?: number; signal?: AbortSignal } = {}): Promise<OutputPage> {
    const query = { cursor: opts.cursor, wait: opts.waitSeconds };
    return this.#t.call(ROUTES.output, { params: { id: String(id) }, query, retry: true, signal: opts.signal });
  }

  /**
   * The job's events as they happen (long polling), ending after the last one once the job is inactive.
   * @example for await (const ev of flurry.events(id)) if (ev.name === 'exception') console.error(ev.context)
   */
  events(id: JobId | bigint, opts: EventsOptions = {}): AsyncGenerator<JobEvent> {
    return followEvents((o) => this.eventlogPage(id, o), opts);
  }

  /**
   * The job's standard output and error as they arrive, ending once the job is inactive and all is read.
   * @example for await (const o of flurry.output(id)) (o.stream === 'stdout' ? stdout : stderr).write(o.data)
   */
  output(id: JobId | bigint, opts: OutputOptions = {}): AsyncGenerator<OutputEntry> {
    return followOutput((o) => this.outputPage(id, o), opts);
  }

  /**
   * Pushes over one WebSocket (the watch link of a local-mode instance; on AWS use events()/output()): each job's
   * events and output in order, `done` per job, and KVS changes. Iteration ends once every job is done, unless KVS
   * keys or `'all-mine'` keep it open; break out of the loop (or abort `signal`) to close the socket.
   * @example for await (const p of flurry.subscribe({ jobs: [id], output: true })) if (p.type === 'output') show(p.entries)
   */
  subscribe(spec: SubscribeSpec): AsyncGenerator<WatchPush> {
    return subscribePushes(this.#t.base, this.#token, spec, this.#webSocket);
  }

  /**
   * Wait for the job to become inactive and return it (result, exitCode, signal, exception).
   * @example const { result, exitCode } = await flurry.wait(id)
   */
  async wait(id: JobId | bigint, opts: { signal?: AbortSignal; waitSeconds?: number } = {}): Promise<JobInfo> {
    let from = 0;
    for (;;) {
      const page = await this.eventlogPage(id, { from, waitSeconds: opts.waitSeconds ?? 25, signal: opts.signal });
      if (page.done) return this.job(id, opts.signal);
      from = page.next;
    }
  }
}

// fake-services.ts - a recording test double of `Services` for the HTTP edge's tests (not for product code).
// Invariants: every call is recorded with its arguments in order; answers are canned and can be replaced per
// method; `failNext(method, err)` makes the next call of that method throw err once.
import type {
  Caller,
  EventlogPage,
  JobInfo,
  JobSummary,
  OutputPage,
  ResourceListing,
  Services,
} from '../services.ts';

/** Two known tokens: the instance owner and an ordinary user. */
export const OWNER: Caller = { user: 'alice', role: 'owner' };
export const USER: Caller = { user: 'bob', role: 'user' };
export const TOKENS: Record<string, Caller> = { 'tok-owner': OWNER, 'tok-user': USER };

/** A FLUID whose f58 form is known (RFC 19's example). */
export const JOB_ID = 6731191091817518n;
export const JOB_F58 = 'ƒuZZybuNNy';

export const SUMMARY: JobSummary = {
  id: JOB_ID, owner: 'alice', name: 'hostname', state: 'RUN', stateCode: 'R', urgency: 16, priority: 16,
  ntasks: 2, nnodes: 1, nodelist: 'n1', t_submit: 1_700_000_000.5, t_run: 1_700_000_001, runtime: 3.25, duration: 0,
};

export const INFO: JobInfo = {
  ...SUMMARY,
  jobspec: { version: 1, resources: [], tasks: [], attributes: { system: { duration: 0 } } },
  R: { version: 1, execution: { R_lite: [{ rank: '0', children: { core: '0-1' } }], nodelist: ['n1'], starttime: 1_700_000_001, expiration: 0 } },
};

const COUNTS = { nnodes: 1, ncores: 4, ngpus: 0, nodelist: 'n1' };
const NONE = { nnodes: 0, ncores: 0, ngpus: 0, nodelist: '' };
export const LISTING: ResourceListing = {
  nodes: [{ name: 'n1', rank: 0, state: 'up', cores: 4, coresFree: 2, gpus: 0, gpusFree: 0, memoryMB: 8192, properties: ['efa'], jobs: 1 }],
  free: COUNTS, allocated: NONE, down: NONE, drained: NONE,
};

export interface Call {
  method: string;
  args: unknown[];
}

type Answers = {
  submit: { ids: bigint[] };
  list: { jobs: JobSummary[]; cursor?: string };
  info: JobInfo;
  eventlog: EventlogPage;
  output: OutputPage;
  cancel: JobSummary;
  setUrgency: JobSummary;
  resources: ResourceListing;
  drain: { nodes: string[] };
  undrain: { nodes: string[] };
};

/** A recording fake of every service the app calls. */
export class FakeServices {
  readonly calls: Call[] = [];
  readonly answers: Answers = {
    submit: { ids: [JOB_ID] },
    list: { jobs: [SUMMARY], cursor: 'next-page' },
    info: INFO,
    eventlog: { events: [{ timestamp: 1_700_000_000.5, name: 'submit', context: { userid: 'alice', urgency: 16, flags: 0, version: 1 } }], next: 1, done: false },
    output: { entries: [{ stream: 'stdout', task: 0, data: 'n1\n' }], cursor: 'c1', done: true, truncated: false },
    cancel: { ...SUMMARY, state: 'CLEANUP', stateCode: 'C' },
    setUrgency: { ...SUMMARY, state: 'SCHED', stateCode: 'S', urgency: 20 },
    resources: LISTING,
    drain: { nodes: ['n1'] },
    undrain: { nodes: ['n1'] },
  };
  readonly #failures = new Map<string, unknown>();

  /** The next call of `method` throws `err` (once). */
  failNext(method: string, err: unknown): void {
    this.#failures.set(method, err);
  }

  /** The recorded calls of one method. */
  callsOf(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  readonly services: Services = {
    auth: { authenticate: async (token) => this.#record('authenticate', [token], TOKENS[token]) },
    jobs: {
      submit: async (...args) => this.#record('submit', args, this.answers.submit),
      list: async (...args) => this.#record('list', args, this.answers.list),
      info: async (...args) => this.#record('info', args, this.answers.info),
      eventlog: async (...args) => this.#record('eventlog', args, this.answers.eventlog),
      output: async (...args) => this.#record('output', args, this.answers.output),
      cancel: async (...args) => this.#record('cancel', args, this.answers.cancel),
      setUrgency: async (...args) => this.#record('setUrgency', args, this.answers.setUrgency),
    },
    resources: {
      list: async (...args) => this.#record('resources.list', args, this.answers.resources),
      drain: async (...args) => this.#record('drain', args, this.answers.drain),
      undrain: async (...args) => this.#record('undrain', args, this.answers.undrain),
    },
  };

  #record<T>(method: string, args: unknown[], answer: T): T {
    this.calls.push({ method, args });
    if (this.#failures.has(method)) {
      const err = this.#failures.get(method);
      this.#failures.delete(method);
      throw err;
    }
    return answer;
  }
}

/** What `send` needs of an app. */
interface Requestable {
  request(input: string, init?: RequestInit): Response | Promise<Response>;
}

/**
 * Send a request as `token` (default the owner's; null for none), with `json` as a JSON body.
 * @example const res = await send(app, 'POST', '/v1/jobs', { json: { jobspec } })
 */
export async function send(
  app: Requestable,
  method: string,
  path: string,
  opts: { token?: string | null; json?: unknown; body?: BodyInit; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...opts.headers };
  const token = opts.token === undefined ? 'tok-owner' : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] ??= 'application/json';
  }
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = body;
  if (opts.signal) init.signal = opts.signal;
  const res = await app.request(path, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

// contract.ts - what the SDK relies on from the REST API, as data: the routes it calls (method, path, query and body
// fields) and the fields of every answer type. Invariants: the client builds every request from ROUTES; SHAPES
// list exactly the keys of the types in types.ts (checked by the compiler); contract.test.ts checks both against
// the server's OpenAPI document.
import type {
  EventlogPage, Health, JobEvent, JobException, JobInfo, JobPage, JobSummary, NodeInfo, NodeNames, OutputEntry,
  OutputPage, ResourceCounts, ResourceListing, ResourceSetR, SubmitAnswer, Whoami,
} from './types.ts';

type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T] & string;
type OptionalKeys<T> = Exclude<keyof T & string, RequiredKeys<T>>;
/** A compile error naming the keys left out, when `Listed` does not cover `All`. */
type Covers<All, Listed> = [Exclude<All, Listed>] extends [never] ? unknown : { missing: Exclude<All, Listed> };

/** The fields of one answer type; `nested` names the shape of object (or array-of-object) fields. */
export interface Shape {
  required: readonly string[];
  optional: readonly string[];
  nested: Readonly<Record<string, ShapeName>>;
}

/** Lists T's keys, split by optionality; the compiler refuses a list that misses or misfiles a key. */
function shape<T>() {
  return <const R extends readonly RequiredKeys<T>[], const O extends readonly OptionalKeys<T>[]>(
    required: R & Covers<RequiredKeys<T>, R[number]>,
    optional: O & Covers<OptionalKeys<T>, O[number]>,
    nested: Partial<Record<keyof T & string, ShapeName>> = {},
  ): Shape => ({ required, optional, nested: nested as Record<string, ShapeName> });
}

type ShapeName =
  | 'Health' | 'Whoami' | 'SubmitAnswer' | 'JobSummary' | 'JobException' | 'JobInfo' | 'ResourceSetR' | 'JobPage'
  | 'JobEvent' | 'EventlogPage' | 'OutputEntry' | 'OutputPage' | 'ResourceCounts' | 'NodeInfo' | 'ResourceListing' | 'NodeNames';

const SUMMARY_REQUIRED = ['id', 'owner', 'name', 'state', 'stateCode', 'urgency', 't_submit', 'runtime', 'duration'] as const;
const SUMMARY_OPTIONAL = [
  'result', 'exitCode', 'signal', 'waitstatus', 'priority', 'ntasks', 'nnodes', 'nodelist', 't_run', 't_inactive', 'exception',
] as const;

/** Every answer type's fields. */
export const SHAPES: Record<ShapeName, Shape> = {
  Health: shape<Health>()(['ok', 'version'], []),
  Whoami: shape<Whoami>()(['user', 'role'], []),
  SubmitAnswer: shape<SubmitAnswer>()(['ids'], []),
  JobException: shape<JobException>()(['type', 'severity', 'note'], []),
  JobSummary: shape<JobSummary>()(SUMMARY_REQUIRED, SUMMARY_OPTIONAL, { exception: 'JobException' }),
  JobInfo: shape<JobInfo>()([...SUMMARY_REQUIRED, 'jobspec'], [...SUMMARY_OPTIONAL, 'R'], { exception: 'JobException', R: 'ResourceSetR' }),
  ResourceSetR: shape<ResourceSetR>()(['version', 'execution'], []),
  JobPage: shape<JobPage>()(['jobs'], ['cursor'], { jobs: 'JobSummary' }),
  JobEvent: shape<JobEvent>()(['timestamp', 'name'], ['context']),
  EventlogPage: shape<EventlogPage>()(['events', 'next', 'done'], [], { events: 'JobEvent' }),
  OutputEntry: shape<OutputEntry>()(['stream', 'task', 'data'], []),
  OutputPage: shape<OutputPage>()(['entries', 'cursor', 'done', 'truncated'], [], { entries: 'OutputEntry' }),
  ResourceCounts: shape<ResourceCounts>()(['nnodes', 'ncores', 'ngpus', 'nodelist'], []),
  NodeInfo: shape<NodeInfo>()(
    ['name', 'rank', 'state', 'cores', 'coresFree', 'gpus', 'gpusFree', 'memoryMB', 'properties', 'jobs'],
    ['drainReason', 'pool'],
  ),
  ResourceListing: shape<ResourceListing>()(['nodes', 'free', 'allocated', 'down', 'drained'], [], {
    nodes: 'NodeInfo', free: 'ResourceCounts', allocated: 'ResourceCounts', down: 'ResourceCounts', drained: 'ResourceCounts',
  }),
  NodeNames: shape<NodeNames>()(['nodes'], []),
};

/** One route the SDK calls. `path` may hold `{id}`; `status` is the success status it expects. */
export interface Route {
  method: 'GET' | 'POST';
  path: string;
  query?: readonly string[];
  body?: readonly string[];
  status: number;
  answer: ShapeName;
}

/** Every route the SDK calls. */
export const ROUTES = {
  health: { method: 'GET', path: '/v1/health', status: 200, answer: 'Health' },
  whoami: { method: 'GET', path: '/v1/whoami', status: 200, answer: 'Whoami' },
  submit: { method: 'POST', path: '/v1/jobs', body: ['jobspec', 'jobspecs', 'cc', 'urgency', 'clientToken'], status: 201, answer: 'SubmitAnswer' },
  jobs: { method: 'GET', path: '/v1/jobs', query: ['filter', 'user', 'name', 'limit', 'cursor'], status: 200, answer: 'JobPage' },
  job: { method: 'GET', path: '/v1/jobs/{id}', status: 200, answer: 'JobInfo' },
  eventlog: { method: 'GET', path: '/v1/jobs/{id}/eventlog', query: ['from', 'wait'], status: 200, answer: 'EventlogPage' },
  output: { method: 'GET', path: '/v1/jobs/{id}/output', query: ['cursor', 'wait'], status: 200, answer: 'OutputPage' },
  cancel: { method: 'POST', path: '/v1/jobs/{id}/cancel', body: ['note'], status: 200, answer: 'JobSummary' },
  urgency: { method: 'POST', path: '/v1/jobs/{id}/urgency', body: ['urgency'], status: 200, answer: 'JobSummary' },
  resources: { method: 'GET', path: '/v1/resources', status: 200, answer: 'ResourceListing' },
  drain: { method: 'POST', path: '/v1/resources/drain', body: ['targets', 'reason'], status: 200, answer: 'NodeNames' },
  undrain: { method: 'POST', path: '/v1/resources/undrain', body: ['targets'], status: 200, answer: 'NodeNames' },
} as const satisfies Record<string, Route>;

export type RouteName = keyof typeof ROUTES;

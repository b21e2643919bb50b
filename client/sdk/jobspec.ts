// jobspec.ts - build a V1 jobspec (RFC 25) from the same shape options as `flurry submit` (-N -n -c -g ...), for
// SDK users. Invariants: pure (no environment, clock or node:* access: env and cwd are only what the caller
// passes); the rules are Flux's, shared with the CLI through control/core's jobspecFromShape; bad options throw
// InvalidInputError naming the option.
import { InvalidInputError } from '../../control/core/errors.ts';
import { parseFSD } from '../../control/core/duration.ts';
// The zod-free builder: its output is valid by construction and the server validates it anyway, so neither scripts
// nor the CLI pay for loading zod and yaml to build a jobspec.
import { buildJobspecFromShape as jobspecFromShape, type ShapeOptions } from '../../control/core/jobspec/shape-build.ts';
import type { JobspecV1 } from '../../control/core/jobspec/v1.ts';

export type { JobspecV1 };

/** Shape and attributes of a job, named like the CLI's long options. */
export interface JobspecOptions {
  /** -N: number of nodes. */
  nodes?: number;
  /** -n: number of tasks (default 1, or one per node with `nodes`). */
  ntasks?: number;
  /** -c: cores per task (default 1). */
  coresPerTask?: number;
  /** -g: GPUs per task. */
  gpusPerTask?: number;
  /** Tasks per node (needs `nodes`; not with ntasks/coresPerTask/gpusPerTask). */
  tasksPerNode?: number;
  /** Total cores (with `nodes`: spread evenly). */
  cores?: number;
  /** GPUs per node (needs `nodes`). */
  gpusPerNode?: number;
  /** -x: whole nodes. */
  exclusive?: boolean;
  /** Time limit: seconds, or an RFC 23 duration like `'10m'`, `'1.5h'`; 0 or `'inf'` means none. */
  duration?: number | string;
  /** Node constraints (`'efa'`, `'-spot'`, `'host:n[1-4]'`), ANDed. */
  requires?: string | string[];
  queue?: string;
  /** Job name (default: the command's first word). */
  name?: string;
  /** The job's environment. Nothing is copied from the caller's. */
  env?: Record<string, string>;
  /** Absolute working directory. */
  cwd?: string;
  /** RFC 26 dependencies, e.g. `'afterok:ƒ2MU1GM7V'`. */
  dependency?: string | string[];
}

const list = (v: string | string[] | undefined): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

/** RFC 23 duration or seconds → seconds, 0 for unlimited. */
function durationSeconds(d: number | string): number {
  let s: number;
  try {
    s = typeof d === 'number' ? d : parseFSD(d);
  } catch (e) {
    throw new InvalidInputError(e instanceof InvalidInputError ? e.detail : String(e), 'duration');
  }
  if (!(s >= 0) || Number.isNaN(s)) throw new InvalidInputError(`must be a duration ≥ 0, not ${JSON.stringify(d)}`, 'duration');
  return s === Infinity ? 0 : s;
}

/**
 * A V1 jobspec running `command` with the given shape.
 * @example jobspec(['hostname'], { nodes: 2, ntasks: 4, duration: '10m', env: { PATH: '/usr/bin:/bin' }, cwd: '/tmp' })
 */
export function jobspec(command: readonly string[], opts: JobspecOptions = {}): JobspecV1 {
  if (!Array.isArray(command) || command.some((w) => typeof w !== 'string')) {
    throw new InvalidInputError('must be an array of strings, e.g. ["hostname"]', 'command');
  }
  const shape: ShapeOptions = {};
  if (opts.nodes !== undefined) shape.nodes = opts.nodes;
  if (opts.ntasks !== undefined) shape.ntasks = opts.ntasks;
  if (opts.coresPerTask !== undefined) shape.coresPerTask = opts.coresPerTask;
  if (opts.gpusPerTask !== undefined) shape.gpusPerTask = opts.gpusPerTask;
  if (opts.tasksPerNode !== undefined) shape.tasksPerNode = opts.tasksPerNode;
  if (opts.cores !== undefined) shape.cores = opts.cores;
  if (opts.gpusPerNode !== undefined) shape.gpusPerNode = opts.gpusPerNode;
  if (opts.exclusive !== undefined) shape.exclusive = opts.exclusive;
  if (opts.duration !== undefined) shape.timeLimit = durationSeconds(opts.duration);
  const requires = list(opts.requires);
  if (requires) shape.requires = requires;
  if (opts.queue !== undefined) shape.queue = opts.queue;
  if (opts.name !== undefined) shape.jobName = opts.name;
  if (opts.env !== undefined) shape.env = { ...opts.env };
  if (opts.cwd !== undefined) shape.cwd = opts.cwd;
  const dependency = list(opts.dependency);
  if (dependency) shape.dependency = dependency;
  return jobspecFromShape([...command], shape);
}

/** A job described by its command and shape, which `FlurryClient.submit` turns into a jobspec. */
export interface JobRequest extends JobspecOptions {
  command: readonly string[];
}

/** Whether `x` is a JobRequest (`{command: [...], ...}`) rather than a jobspec. */
export function isJobRequest(x: unknown): x is JobRequest {
  return typeof x === 'object' && x !== null && Array.isArray((x as { command?: unknown }).command) && !('version' in x);
}

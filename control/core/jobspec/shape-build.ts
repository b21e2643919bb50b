// shape-build.ts - builds a V1 jobspec from Flux's command-line shape options (-N -n -c -g, --cores,
// --tasks-per-node, --gpus-per-node, -x), combining them as flux submit/run do. Invariant: the result always passes
// validateJobspecV1 (property-tested in from-shape.test.ts); impossible combinations throw InvalidInputError naming
// the option (`--nodes: ...`). No zod or yaml is imported here, so the CLI starts without them.
import { InvalidInputError } from '../errors.ts';
import { parseRequires } from '../constraint-query.ts';
import type { JobspecV1 } from './v1.ts';

export interface ShapeOptions {
  nodes?: number;
  ntasks?: number;
  coresPerTask?: number;
  gpusPerTask?: number;
  tasksPerNode?: number;
  cores?: number;
  gpusPerNode?: number;
  exclusive?: boolean;
  /** Seconds; 0 = unlimited (the default). */
  timeLimit?: number;
  /** Raw `--requires` strings (RFC 35 syntax), ANDed. */
  requires?: string[];
  queue?: string;
  jobName?: string;
  env?: Record<string, string>;
  cwd?: string;
  /** RFC 26 command-line form: `scheme:value[?key=val[&key=val...]]`, e.g. `afterok:ƒ2MU1GM7V`. */
  dependency?: string[];
}

/** The slot label Flux's tools use. */
export const SLOT_LABEL = 'task';

type Vertex = { type: 'core' | 'gpu'; count: number };
type Layout = { nodes?: number; exclusive: boolean; slots: number; cores: number; gpus: number; count: { per_slot: 1 } | { total: number } };

function checkInt(value: number | undefined, flag: string, min: number): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
    throw new InvalidInputError(`must be an integer ≥ ${min}`, flag);
  }
}

/** --cores / --tasks-per-node / --gpus-per-node: resources first, tasks follow (Flux's per-resource mode). */
function perResource(o: ShapeOptions): Layout {
  const perTask = o.ntasks !== undefined ? '--ntasks' : o.coresPerTask !== undefined ? '--cores-per-task' : o.gpusPerTask ? '--gpus-per-task' : undefined;
  if (perTask) throw new InvalidInputError('cannot be combined with --cores, --tasks-per-node or --gpus-per-node', perTask);
  if (o.gpusPerNode !== undefined && o.nodes === undefined) throw new InvalidInputError('requires --nodes', '--gpus-per-node');
  if (o.tasksPerNode !== undefined && o.nodes === undefined) throw new InvalidInputError('requires --nodes', '--tasks-per-node');
  const gpus = o.gpusPerNode ?? 0;
  if (o.nodes === undefined) {
    // Only --cores: one task per core.
    return { exclusive: false, slots: o.cores!, cores: 1, gpus: 0, count: { per_slot: 1 } };
  }
  const n = o.nodes;
  const count = o.tasksPerNode !== undefined && o.tasksPerNode > 1 ? { total: n * o.tasksPerNode } : ({ per_slot: 1 } as const);
  if (o.cores === undefined) {
    // Only -N: whole nodes, as Flux does when -N comes without a core count.
    return { nodes: n, exclusive: true, slots: 1, cores: 1, gpus, count };
  }
  if (o.cores < n) throw new InvalidInputError(`must be at least the node count (${n})`, '--cores');
  if (o.cores % n !== 0) throw new InvalidInputError(`must be a multiple of the node count (${n})`, '--cores');
  return { nodes: n, exclusive: o.exclusive ?? false, slots: 1, cores: o.cores / n, gpus, count };
}

/** -n / -c / -g, optionally spread over -N nodes (Flux's per-task mode). */
function perTask(o: ShapeOptions): Layout {
  const cores = o.coresPerTask ?? 1;
  const gpus = o.gpusPerTask ?? 0;
  if (o.nodes === undefined) {
    return { exclusive: false, slots: o.ntasks ?? 1, cores, gpus, count: { per_slot: 1 } };
  }
  const n = o.nodes;
  // -N without -n: one task per node on whole nodes.
  const ntasks = o.ntasks ?? n;
  const exclusive = o.ntasks === undefined ? true : (o.exclusive ?? false);
  if (n > ntasks) throw new InvalidInputError(`must not be greater than the number of tasks (-n ${ntasks})`, '--nodes');
  const slots = Math.ceil(ntasks / n);
  const count = ntasks % n === 0 ? ({ per_slot: 1 } as const) : { total: ntasks };
  return { nodes: n, exclusive, slots, cores, gpus, count };
}

/**
 * Parse RFC 26 command-line dependencies (`afterok:ID`, `string:foo?type=out&scope=user`) into jobspec objects.
 * @example parseDependencies(['afterany:ƒ2oLkTLb']) // [{ scheme: 'afterany', value: 'ƒ2oLkTLb' }]
 */
export function parseDependencies(specs: string[]): Array<{ scheme: string; value: string; [k: string]: string }> {
  return specs.map((spec) => {
    const m = /^([A-Za-z][\w-]*):([^?]+)(?:\?(.*))?$/.exec(spec.trim());
    if (!m) throw new InvalidInputError(`"${spec}" must be scheme:value, e.g. afterok:ƒ2MU1GM7V`, '--dependency');
    const dep: { scheme: string; value: string; [k: string]: string } = { scheme: m[1]!, value: m[2]! };
    for (const pair of (m[3] ?? '').split(/[&;]/).filter(Boolean)) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new InvalidInputError(`"${pair}" in "${spec}" must be key=value`, '--dependency');
      const key = pair.slice(0, eq);
      if (key === 'scheme' || key === 'value') throw new InvalidInputError(`"${key}" cannot be set as an option in "${spec}"`, '--dependency');
      dep[key] = pair.slice(eq + 1);
    }
    return dep;
  });
}

/**
 * Build a V1 jobspec from a command and shape options, with Flux's rules: -N alone gives one task per node on whole
 * nodes; -N greater than -n is an error; -N with -n spreads ceil(n/N) slots per node (`total` when uneven);
 * --cores/--tasks-per-node/--gpus-per-node cannot be mixed with -n/-c/-g; -x and --gpus-per-node need -N.
 * @example buildJobspecFromShape(['app'], { nodes: 4, ntasks: 5 }).resources
 * // [{ type: 'node', count: 4, with: [{ type: 'slot', count: 2, label: 'task', with: [{ type: 'core', count: 1 }] }] }]
 */
export function buildJobspecFromShape(command: string[], opts: ShapeOptions): JobspecV1 {
  if (command.length === 0 || command[0] === '') throw new InvalidInputError('a command to run is required', 'command');
  checkInt(opts.nodes, '--nodes', 1);
  checkInt(opts.ntasks, '--ntasks', 1);
  checkInt(opts.coresPerTask, '--cores-per-task', 1);
  checkInt(opts.gpusPerTask, '--gpus-per-task', 0);
  checkInt(opts.tasksPerNode, '--tasks-per-node', 1);
  checkInt(opts.cores, '--cores', 1);
  checkInt(opts.gpusPerNode, '--gpus-per-node', 0);
  if (opts.timeLimit !== undefined && !(Number.isFinite(opts.timeLimit) && opts.timeLimit >= 0)) {
    throw new InvalidInputError('must be a duration ≥ 0', '--time-limit');
  }
  if (opts.exclusive && opts.nodes === undefined) throw new InvalidInputError('requires --nodes', '--exclusive');
  if (opts.queue !== undefined && opts.queue === '') throw new InvalidInputError('must not be empty', '--queue');
  if (opts.jobName !== undefined && opts.jobName === '') throw new InvalidInputError('must not be empty', '--job-name');
  if (opts.cwd !== undefined && !opts.cwd.startsWith('/')) throw new InvalidInputError('must be an absolute path', '--cwd');

  const resourceMode = opts.tasksPerNode !== undefined || opts.cores !== undefined || opts.gpusPerNode !== undefined;
  const l = resourceMode ? perResource(opts) : perTask(opts);

  const inner: Vertex[] = [{ type: 'core', count: l.cores }];
  if (l.gpus > 0) inner.push({ type: 'gpu', count: l.gpus });
  const slot = { type: 'slot' as const, count: l.slots, label: SLOT_LABEL, with: inner };
  const top =
    l.nodes === undefined
      ? slot
      : { type: 'node' as const, count: l.nodes, ...(l.exclusive ? { exclusive: true } : {}), with: [slot] };

  const system: Record<string, unknown> = { duration: opts.timeLimit ?? 0 };
  if (opts.env) system.environment = { ...opts.env };
  if (opts.cwd !== undefined) system.cwd = opts.cwd;
  if (opts.queue !== undefined) system.queue = opts.queue;
  if (opts.jobName !== undefined) system.job = { name: opts.jobName };
  if (opts.requires && opts.requires.length > 0) system.constraints = parseRequires(opts.requires);
  if (opts.dependency && opts.dependency.length > 0) system.dependencies = parseDependencies(opts.dependency);

  return {
    version: 1,
    resources: [top],
    tasks: [{ command: [...command], slot: SLOT_LABEL, count: l.count }],
    attributes: { system },
  } as JobspecV1;
}

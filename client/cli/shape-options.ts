// shape-options.ts - Flux's job shape and submission flags (-N -n -c -g -x -t, --cores, --requires, --env, ...),
// shared by submit, run, batch and alloc. Invariant: every user error is an InvalidInputError naming the flag;
// the environment rules are applied in command-line order, starting from a copy of the caller's environment.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidInputError } from '../../control/core/errors.ts';
import { parseTimeLimit } from '../../control/core/duration.ts';
import { parseIdset } from '../../control/core/idset.ts';
// The builder without validation (its output is valid by construction; the server validates anyway): the CLI starts
// without loading zod or yaml.
import { buildJobspecFromShape as jobspecFromShape, type ShapeOptions } from '../../control/core/jobspec/shape-build.ts';
import type { JobspecV1 } from '../../control/core/jobspec/v1.ts';

/** The raw values commander collects (numbers stay strings until shapeFromOptions checks them). */
export interface ShapeCliOptions {
  nodes?: string;
  ntasks?: string;
  coresPerTask?: string;
  gpusPerTask?: string;
  exclusive?: boolean;
  timeLimit?: string;
  tasksPerNode?: string;
  cores?: string;
  gpusPerNode?: string;
  requires?: string[];
  queue?: string;
  urgency?: string;
  jobName?: string;
  /** Ordered env rules from --env, --env-remove (as `-PATTERN`) and --env-file (as `^FILE`): one shared list. */
  env?: string[];
  envRemove?: string[];
  envFile?: string[];
  cwd?: string;
  dependency?: string[];
  cc?: string;
}

export const URGENCY_DEFAULT = 16;
const URGENCY_NAMES: Record<string, number> = { hold: 0, default: URGENCY_DEFAULT, expedite: 31 };

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/**
 * Add the shape and submission flags to a command (submit, run, batch, alloc).
 * @example addShapeOptions(program.command('submit')).argument('<command...>')
 */
export function addShapeOptions(cmd: Command): Command {
  // --env, --env-remove and --env-file share one list so their rules apply in the order given.
  const rules: string[] = [];
  const rule = (prefix: string) => (value: string) => {
    rules.push(`${prefix}${value}`);
    return rules;
  };
  return cmd
    .option('-N, --nodes <N>', 'number of nodes (tasks are spread evenly over them)')
    .option('-n, --ntasks <N>', 'number of tasks (default 1, or one per node with -N)')
    .option('-c, --cores-per-task <N>', 'cores per task (default 1)')
    .option('-g, --gpus-per-task <N>', 'GPUs per task (default none)')
    .option('-x, --exclusive', 'allocate whole nodes (needs -N; implied by -N without -n)')
    .option('-t, --time-limit <MINUTES|FSD>', 'time limit: minutes, or a duration like 30s, 1.5h, 2d (0 or inf: none)')
    .option('--tasks-per-node <N>', 'tasks per node (needs -N; not with -n/-c/-g)')
    .option('--cores <N>', 'total cores (with -N: spread evenly; not with -n/-c/-g)')
    .option('--gpus-per-node <N>', 'GPUs per node (needs -N; not with -n/-c/-g)')
    .option('--requires <CONSTRAINT>', 'node constraint, e.g. "efa", "-spot", "host:n[1-4] or rank:0" (repeatable, ANDed)', collect)
    .option('-q, --queue <NAME>', 'submit to this queue')
    .option('--urgency <N>', `urgency 0-31, or hold, default (${URGENCY_DEFAULT}), expedite`)
    .option('--job-name <NAME>', 'job name (default: the command)')
    .option('--env <RULE>', 'NAME=VALUE to set ($NAME expands), NAME or GLOB to copy, -GLOB to remove, ^FILE for rules (repeatable)', rule(''))
    .option('--env-remove <PATTERN>', 'remove variables matching a glob or /regex/ (same as --env=-PATTERN)', rule('-'))
    .option('--env-file <FILE>', 'read env rules from FILE, one per line (same as --env=^FILE)', rule('^'))
    .option('--cwd <DIR>', 'working directory of the job (default: the current directory)')
    .option('--dependency <DEP>', 'dependency like afterok:JOBID, afterany:JOBID (repeatable)', collect)
    .option('--cc <IDSET>', 'submit one copy of the job per id in IDSET');
}

/** A whole number ≥ `min` from a flag's text, or an error naming the flag. */
export function intOption(text: string | undefined, flag: string, min = 1, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) < min || Number(t) > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
    throw new InvalidInputError(`must be ${range}, not "${text}"`, flag);
  }
  return Number(t);
}

function urgencyOf(text: string | undefined): number {
  if (text === undefined) return URGENCY_DEFAULT;
  const named = URGENCY_NAMES[text.trim().toLowerCase()];
  return named ?? intOption(text, '--urgency', 0, 31)!;
}

/** Glob (`*`, `?`, `[...]`) or `/regex/` pattern to a RegExp over whole names. */
function patternOf(p: string): RegExp {
  if (p.startsWith('/')) {
    const body = p.endsWith('/') && p.length > 1 ? p.slice(1, -1) : p.slice(1);
    try {
      return new RegExp(body);
    } catch {
      throw new InvalidInputError(`invalid regex "${p}"`, '--env');
    }
  }
  const re = p.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`);
}

/** `$$`, `$NAME`, `${NAME}` from the job's environment so far, then the caller's; unset names are errors. */
function expand(value: string, job: Record<string, string>, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(/\$(\$|\{([^}]*)\}|([A-Za-z_]\w*))|\$/g, (all, _x: string, braced?: string, bare?: string) => {
    if (all === '$$') return '$';
    const name = braced ?? bare;
    if (name === undefined || !/^[A-Za-z_]\w*$/.test(name)) throw new InvalidInputError(`cannot expand "${all}" in "${value}"`, '--env');
    const v = job[name] ?? env[name];
    if (v === undefined) throw new InvalidInputError(`$${name} is not set (in "${value}")`, '--env');
    return v;
  });
}

/**
 * Flux's env rules over a copy of `env`: NAME=VALUE sets (with $-expansion), -PATTERN removes, ^FILE reads rules,
 * anything else is a pattern copying from `env` the names not already set.
 * @example applyEnvRules(['-*', 'PATH', 'A=$PATH:/x'], { PATH: '/bin', B: '1' }) // { PATH: '/bin', A: '/bin:/x' }
 */
export function applyEnvRules(
  rules: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): Record<string, string> {
  const job: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) job[k] = v;
  const apply = (r: string, depth: number): void => {
    if (r.startsWith('-')) {
      const re = patternOf(r.slice(1));
      for (const k of Object.keys(job)) if (re.test(k)) delete job[k];
    } else if (r.startsWith('^')) {
      if (depth > 8) throw new InvalidInputError(`env files nest too deeply at "${r}"`, '--env-file');
      const path = r.slice(1).replace(/^~(?=\/|$)/, env.HOME ?? '~');
      let text: string;
      try {
        text = readFile(path);
      } catch (e) {
        throw new InvalidInputError(`cannot read ${path}: ${(e as Error).message}`, '--env-file');
      }
      for (const line of text.split('\n').map((l) => l.trim())) if (line !== '' && !line.startsWith('#')) apply(line, depth + 1);
    } else if (/^[A-Za-z_]\w*=/.test(r)) {
      const eq = r.indexOf('=');
      job[r.slice(0, eq)] = expand(r.slice(eq + 1), job, env);
    } else if (r !== '') {
      const re = patternOf(r);
      for (const [k, v] of Object.entries(env)) if (v !== undefined && re.test(k) && !(k in job)) job[k] = v;
    }
  };
  for (const r of rules) apply(r, 0);
  return job;
}

/**
 * Turn the collected flags, the command, the caller's environment and directory into a V1 jobspec, the urgency,
 * and the --cc ids.
 * @example shapeFromOptions({ nodes: '2' }, ['hostname'], process.env, process.cwd()).jobspec.resources[0].count // 2
 */
export function shapeFromOptions(
  opts: ShapeCliOptions,
  command: string[],
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  readFile?: (path: string) => string,
): { jobspec: JobspecV1; urgency: number; cc?: number[] } {
  let timeLimit: number | undefined;
  if (opts.timeLimit !== undefined) {
    try {
      timeLimit = parseTimeLimit(opts.timeLimit);
    } catch (e) {
      throw new InvalidInputError(e instanceof InvalidInputError ? e.detail : String(e), '--time-limit');
    }
  }
  const shape: ShapeOptions = {
    nodes: intOption(opts.nodes, '--nodes'),
    ntasks: intOption(opts.ntasks, '--ntasks'),
    coresPerTask: intOption(opts.coresPerTask, '--cores-per-task'),
    gpusPerTask: intOption(opts.gpusPerTask, '--gpus-per-task', 0),
    tasksPerNode: intOption(opts.tasksPerNode, '--tasks-per-node'),
    cores: intOption(opts.cores, '--cores'),
    gpusPerNode: intOption(opts.gpusPerNode, '--gpus-per-node', 0),
    exclusive: opts.exclusive,
    timeLimit,
    requires: opts.requires,
    queue: opts.queue,
    jobName: opts.jobName,
    env: applyEnvRules(opts.env ?? opts.envRemove ?? opts.envFile ?? [], env, readFile),
    cwd: opts.cwd !== undefined ? resolve(cwd, opts.cwd) : cwd,
    dependency: opts.dependency,
  };
  for (const k of Object.keys(shape) as Array<keyof ShapeOptions>) if (shape[k] === undefined) delete shape[k];
  const result: { jobspec: JobspecV1; urgency: number; cc?: number[] } = {
    jobspec: jobspecFromShape(command, shape),
    urgency: urgencyOf(opts.urgency),
  };
  if (opts.cc !== undefined) {
    let ids: number[];
    try {
      ids = parseIdset(opts.cc);
    } catch (e) {
      throw new InvalidInputError(e instanceof InvalidInputError ? e.detail : String(e), '--cc');
    }
    if (ids.length === 0) throw new InvalidInputError('must name at least one id', '--cc');
    result.cc = ids;
  }
  return result;
}

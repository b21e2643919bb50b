// canonical.ts - the canonical jobspec (RFC 14): any resource types, count ranges, idset/range count strings,
// several tasks. Invariant: validateCanonicalJobspec accepts Flux's valid corpus and names the problem otherwise.
import * as z from 'zod';
import { InvalidInputError } from '../errors.ts';
import { constraintSchema } from '../constraint.ts';
import { parseIdset } from '../idset.ts';
import { formatPath, invalidFrom, jobspecErrorMap, says } from './issues.ts';
import { positiveInt } from './v1.ts';

/** RFC 14 count range: `min`, optional `max` (default unbounded), `operator` + `operand` (default `+`, 1). */
export interface CountRange {
  min: number;
  max?: number;
  operator?: '+' | '*' | '^';
  operand?: number;
}
/** An integer, an RFC 22 idset / RFC 45 range string ("4,9,16", "2+", "2-32:2:*"), or a range mapping. */
export type CanonicalCount = number | string | CountRange;

export interface CanonicalVertex {
  type: string;
  count: CanonicalCount;
  unit?: string;
  exclusive?: boolean;
  with?: CanonicalVertex[];
  label?: string;
  id?: string;
}

type Problem = { path: PropertyKey[]; message: string };

const RANGE_KEYS = new Set(['min', 'max', 'operator', 'operand']);

/**
 * Problems with an RFC 14 range (paths relative to the range); operator and operand default together to "+", 1.
 * @example rangeProblems({ min: 1, max: 4, operator: '*', operand: 1 }) // [{ path: ['operand'], message: 'must be ≥ 2 with operator "*"' }]
 */
export function rangeProblems(r: Record<string, unknown>): Problem[] {
  const out: Problem[] = [];
  for (const k of Object.keys(r)) if (!RANGE_KEYS.has(k)) out.push({ path: [k], message: 'unknown key (a range has min, max, operator, operand)' });
  if (r.min === undefined) out.push({ path: ['min'], message: 'is required' });
  for (const k of ['min', 'max', 'operand'] as const) {
    const v = r[k];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 1)) out.push({ path: [k], message: 'must be an integer ≥ 1' });
  }
  if (out.length > 0) return out;
  const min = r.min as number;
  if (typeof r.max === 'number' && r.max < min) out.push({ path: ['max'], message: `must be ≥ min (${min})` });
  if ((r.operator === undefined) !== (r.operand === undefined)) {
    out.push({ path: [r.operator === undefined ? 'operator' : 'operand'], message: 'is required: give both operator and operand, or neither' });
  }
  if (r.operator !== undefined) {
    if (r.operator !== '+' && r.operator !== '*' && r.operator !== '^') {
      out.push({ path: ['operator'], message: 'must be "+", "*" or "^"' });
    } else if (r.operator !== '+' && typeof r.operand === 'number' && r.operand < 2) {
      out.push({ path: ['operand'], message: `must be ≥ 2 with operator "${r.operator}"` });
    } else if (r.operator === '^' && min < 2) {
      out.push({ path: ['min'], message: 'must be ≥ 2 with operator "^"' });
    }
  }
  return out;
}

const RANGE_STRING = /^(\[?)(\d+)(?:-(\d+)|(\+))(?::(\d+)(?::(.))?)?(\]?)$/;

/**
 * Why a count string is neither an idset nor an RFC 45 range (or holds counts below `minimum`); undefined if fine.
 * @example countStringProblem('2-32:2:*', 1) // undefined; countStringProblem('bar', 1) // 'must be an integer, an idset ...'
 */
export function countStringProblem(s: string, minimum: number): string | undefined {
  let ids: number[] | undefined;
  try {
    ids = parseIdset(s);
  } catch {
    ids = undefined;
  }
  if (ids) {
    if (ids.length === 0) return 'must not be an empty idset';
    return ids.some((id) => id < minimum) ? `must not include counts below ${minimum}` : undefined;
  }
  const m = RANGE_STRING.exec(s);
  if (!m || m[1] !== (m[7] === ']' ? '[' : '')) return 'must be an integer, an idset ("4,9,16") or a range ("2+", "2-32:2:*")';
  const r: Record<string, unknown> = { min: Number(m[2]) };
  if (m[3] !== undefined) r.max = Number(m[3]);
  if (m[5] !== undefined) {
    r.operand = Number(m[5]);
    r.operator = m[6] ?? '+';
  }
  const [first] = rangeProblems(r);
  return first ? `invalid range: ${String(first.path[0])} ${first.message}` : undefined;
}

const COUNT_KINDS = 'must be an integer, a range mapping {min, max, operator, operand}, or an idset/range string';

/** Types whose count must be ≥ 1 (RFC 14 requires the others only to be ≥ 0). */
const NONZERO_TYPES = new Set(['node', 'slot', 'core']);

function countProblems(type: unknown, count: unknown): Problem[] {
  const minimum = typeof type === 'string' && NONZERO_TYPES.has(type) ? 1 : 0;
  if (count === undefined) return [{ path: [], message: 'is required' }];
  if (typeof count === 'number') {
    return Number.isInteger(count) && count >= minimum ? [] : [{ path: [], message: `must be an integer ≥ ${minimum}` }];
  }
  if (typeof count === 'string') {
    const problem = countStringProblem(count, Math.max(minimum, 1));
    return problem ? [{ path: [], message: problem }] : [];
  }
  if (count !== null && typeof count === 'object' && !Array.isArray(count)) return rangeProblems(count as Record<string, unknown>);
  return [{ path: [], message: COUNT_KINDS }];
}

// Recursive via z.lazy; the registry id lets OpenAPI generators emit a $ref instead of recursing forever.
const vertexSchema: z.ZodType<CanonicalVertex> = z.lazy(() =>
  z
    .strictObject({
      type: z.string().min(1),
      count: z.union([z.number(), z.string(), z.record(z.string(), z.unknown())], { error: COUNT_KINDS }) as z.ZodType<CanonicalCount>,
      unit: z.string().optional(),
      exclusive: z.boolean().optional(),
      with: z.array(vertexSchema).min(1).optional(),
      label: z.string().min(1).optional(),
      id: z.string().optional(),
    })
    .superRefine((v, ctx) => {
      for (const p of countProblems(v.type, v.count)) ctx.addIssue({ code: 'custom', path: ['count', ...p.path], message: p.message });
      if (v.type === 'slot' && v.label === undefined) ctx.addIssue({ code: 'custom', path: ['label'], message: 'is required for a slot' });
      if (v.type === 'slot' && v.with === undefined) ctx.addIssue({ code: 'custom', path: ['with'], message: 'is required for a slot (what it holds)' });
    }),
).meta({ id: 'CanonicalResourceVertex', description: 'RFC 14 resource vertex' });

const taskCountSchema = z
  .strictObject({
    per_slot: positiveInt().optional(),
    total: positiveInt().optional(),
    per_resource: z.strictObject({ type: z.string().min(1), count: positiveInt() }).optional(),
  })
  .superRefine((c, ctx) => {
    if (Object.keys(c).length !== 1) ctx.addIssue({ code: 'custom', path: [], message: 'must hold exactly one of per_slot, per_resource or total' });
  });

const taskSchema = z.strictObject({
  command: z.array(z.string(), says('must be a list of strings')).min(1, 'must not be empty'),
  slot: z.string().min(1),
  count: taskCountSchema,
  distribution: z.string().optional(),
  attributes: z.record(z.string(), z.unknown()).optional(),
});

const systemSchema = z.looseObject({
  duration: z.number().min(0).optional(),
  cwd: z.string().optional(),
  environment: z.record(z.string(), z.string().nullable()).optional(),
  queue: z.string().optional(),
  constraints: constraintSchema.optional(),
  dependencies: z.array(z.looseObject({ scheme: z.string().min(1), value: z.string() })).optional(),
  job: z.record(z.string(), z.string()).optional(),
});

/** RFC 14 canonical jobspec. Parse with `{ error: jobspecErrorMap }`, or call validateCanonicalJobspec. */
export const canonicalJobspecSchema = z.strictObject({
  version: positiveInt(),
  resources: z.array(vertexSchema).min(1),
  tasks: z.array(taskSchema).min(1),
  attributes: z.strictObject({ system: systemSchema.optional(), user: z.record(z.string(), z.unknown()).optional() }),
});

export type CanonicalJobspec = z.infer<typeof canonicalJobspecSchema>;

/** RFC 14: every label in a jobspec is unique. */
function checkLabels(vs: CanonicalVertex[], path: PropertyKey[], seen: Set<string>): void {
  vs.forEach((v, i) => {
    const at = [...path, i];
    if (v.label !== undefined) {
      if (seen.has(v.label)) throw new InvalidInputError(`duplicate label "${v.label}"`, formatPath([...at, 'label']));
      seen.add(v.label);
    }
    if (v.with) checkLabels(v.with, [...at, 'with'], seen);
  });
}

/**
 * Validate a parsed jobspec as canonical (RFC 14). Task `slot` names are not cross-checked against labels
 * (Flux's corpus holds such jobspecs as valid); V1 checks them.
 * @example validateCanonicalJobspec(parseJobspecText(text)).tasks.length
 */
export function validateCanonicalJobspec(obj: unknown): CanonicalJobspec {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new InvalidInputError('a jobspec must be a mapping with version, resources, tasks and attributes');
  }
  const r = canonicalJobspecSchema.safeParse(obj, { error: jobspecErrorMap });
  if (!r.success) throw invalidFrom(r.error.issues);
  checkLabels(r.data.resources, ['resources'], new Set());
  return r.data;
}

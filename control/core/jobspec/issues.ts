// issues.ts - turns zod issues into one InvalidInputError naming the offending field ("resources[0].count: ...").
// Invariant: messages are written for a person; the shallowest issue is reported, since it is usually the cause.
import type { z } from 'zod';
import { InvalidInputError } from '../errors.ts';

type Path = ReadonlyArray<PropertyKey>;

/**
 * Format a path the way users write it.
 * @example formatPath(['resources', 0, 'with', 1, 'count']) // 'resources[0].with[1].count'
 */
export function formatPath(path: Path): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

const EXPECTED: Record<string, string> = {
  number: 'a number',
  int: 'an integer',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  null: 'null',
};

/** Word a zod "expected" type for a person. */
function expected(kind: string): string {
  return EXPECTED[kind] ?? kind;
}

function entries(n: number): string {
  return n === 1 ? '1 entry' : `${n} entries`;
}

/**
 * The zod error map every jobspec schema is parsed with: messages in the project's style.
 * Messages set on a schema itself (`{ error: ... }`) take precedence over this map.
 * @example schema.safeParse(obj, { error: jobspecErrorMap })
 */
export const jobspecErrorMap: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'is required';
      return `must be ${expected(iss.expected)}`;
    case 'unrecognized_keys':
      return 'unknown key';
    case 'invalid_union': {
      if (iss.note === 'No matching discriminator' && iss.discriminator) {
        const input = iss.input as Record<string, unknown> | undefined;
        if (input && typeof input === 'object' && input[iss.discriminator] === undefined) return 'is required';
        const options = (iss as { options?: unknown }).options;
        const opts = Array.isArray(options) ? options.map((o) => JSON.stringify(o)) : [];
        return `must be ${opts.join(' or ')}`;
      }
      return undefined;
    }
    case 'invalid_value':
      return `must be ${iss.values.map((v) => JSON.stringify(v)).join(' or ')}`;
    case 'too_small': {
      const min = Number(iss.minimum);
      if (iss.origin === 'array') return iss.exact ? `must have exactly ${entries(min)}` : `must have at least ${entries(min)}`;
      if (iss.origin === 'string') return min === 1 ? 'must not be empty' : `must be at least ${min} characters`;
      return `must be ${iss.inclusive ? '≥' : '>'} ${min}`;
    }
    case 'too_big': {
      const max = Number(iss.maximum);
      if (iss.origin === 'array') return iss.exact ? `must have exactly ${entries(max)}` : `must have at most ${entries(max)}`;
      if (iss.origin === 'string') return `must be at most ${max} characters`;
      return `must be ${iss.inclusive ? '≤' : '<'} ${max}`;
    }
    default:
      return undefined;
  }
};

/**
 * A schema error option: "is required" when the value is missing, `text` otherwise.
 * @example z.int(says('must be an integer ≥ 1'))
 */
export const says = (text: string) => ({ error: (iss: { input?: unknown }) => (iss.input === undefined ? 'is required' : text) });

/** One problem: where and what. */
export interface Problem {
  path: PropertyKey[];
  detail: string;
}

/**
 * Flatten zod issues into problems (one per unknown key, duplicates dropped), shallowest first.
 * @example problemsFrom(result.error.issues)[0] // { path: ['tasks'], detail: 'must be a list' }
 */
export function problemsFrom(issues: ReadonlyArray<z.core.$ZodIssue>): Problem[] {
  const out: Problem[] = [];
  const seen = new Set<string>();
  const add = (path: PropertyKey[], detail: string) => {
    const key = `${formatPath(path)}\n${detail}`;
    if (!seen.has(key)) out.push({ path, detail });
    seen.add(key);
  };
  for (const iss of issues) {
    if (iss.code === 'unrecognized_keys') for (const key of iss.keys) add([...iss.path, key], iss.message);
    else add(iss.path.slice(), iss.message);
  }
  // Shallowest first; at equal depth a wrong value before a missing one (what was written before what was forgotten).
  const missing = (p: Problem) => (p.detail === 'is required' ? 1 : 0);
  return out
    .map((p, i) => ({ p, i }))
    .sort((a, b) => a.p.path.length - b.p.path.length || missing(a.p) - missing(b.p) || a.i - b.i)
    .map(({ p }) => p);
}

/**
 * The error to throw for a failed parse: the most useful problem, with its field path.
 * @example throw invalidFrom(result.error.issues) // "resources[0].count: must be an integer ≥ 1"
 */
export function invalidFrom(issues: ReadonlyArray<z.core.$ZodIssue>, prefix: Path = []): InvalidInputError {
  const [first] = problemsFrom(issues);
  if (!first) return new InvalidInputError('is not valid', formatPath(prefix) || undefined);
  const field = formatPath([...prefix, ...first.path]);
  return new InvalidInputError(first.detail, field || undefined);
}

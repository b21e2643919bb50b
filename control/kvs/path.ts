// path.ts - KVS keys and namespace names: Flux's dotted keys ("a.b.c"; "." is the root), `ns::key` references,
// and job namespaces (`job-<f58>`). Invariants: pure; a normalized key has no empty component and is "." or
// a dotted path; every key that reaches storage went through normalizeKey.
import { InvalidInputError } from '../core/errors.ts';
import { decodeFluid, encodeFluid } from '../core/fluid.ts';
import { KVS_LIMITS } from './types.ts';

export const ROOT = '.';
export const PRIMARY = 'primary';

const encoder = new TextEncoder();

/**
 * A key in canonical form: dots collapsed, leading and trailing dots dropped, "." (or "") for the root, as Flux
 * normalizes keys. Control characters, over-long keys and too many components are refused.
 * @example normalizeKey('..a..b.') // 'a.b'; normalizeKey('') // '.'
 */
export function normalizeKey(key: string, field = 'key'): string {
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new InvalidInputError('must not contain control characters', field);
  const parts = key.split('.').filter((p) => p !== '');
  if (parts.length === 0) return ROOT;
  const out = parts.join('.');
  if (encoder.encode(out).length > KVS_LIMITS.keyBytes) throw new InvalidInputError(`must be at most ${KVS_LIMITS.keyBytes} bytes`, field);
  if (parts.length > KVS_LIMITS.keyDepth) throw new InvalidInputError(`must have at most ${KVS_LIMITS.keyDepth} components`, field);
  return out;
}

/** The components of a normalized key (none for the root). */
export function components(key: string): string[] {
  return key === ROOT ? [] : key.split('.');
}

/**
 * The proper ancestors of a normalized key, outermost first (the root excluded).
 * @example ancestors('a.b.c') // ['a', 'a.b']
 */
export function ancestors(key: string): string[] {
  const parts = components(key);
  return parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('.'));
}

/**
 * The key `rest` below `dir` (either may be the root).
 * @example joinKey('a', 'b.c') // 'a.b.c'; joinKey('.', 'x') // 'x'
 */
export function joinKey(dir: string, rest: string): string {
  if (dir === ROOT) return rest;
  if (rest === ROOT || rest === '') return dir;
  return `${dir}.${rest}`;
}

/**
 * Whether `key` is `prefix` or lies below it.
 * @example within('a.b.c', 'a.b') // true; within('a.bc', 'a.b') // false; within('x', '.') // true
 */
export function within(key: string, prefix: string): boolean {
  return prefix === ROOT || key === prefix || key.startsWith(`${prefix}.`);
}

/** The last component of a key ("." for the root). */
export function basename(key: string): string {
  const i = key.lastIndexOf('.');
  return key === ROOT || i < 0 ? key : key.slice(i + 1);
}

/**
 * Split Flux's `ns::key` notation (as `flux kvs readlink` prints it).
 * @example parseNsKey('job-ƒ2::a.b') // { namespace: 'job-ƒ2', key: 'a.b' }; parseNsKey('a.b') // { key: 'a.b' }
 */
export function parseNsKey(text: string): { namespace?: string; key: string } {
  const i = text.indexOf('::');
  if (i < 0) return { key: text };
  return { namespace: text.slice(0, i), key: text.slice(i + 2) };
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * A namespace name in canonical form: job namespaces (`job-<id>`, any RFC 19 encoding) become `job-<f58>`;
 * other names are letters, digits, `_`, `.` and `-` (at most 128), and "namespaces" is reserved.
 * @example normalizeNamespace('job-6731191091817518') // 'job-ƒuZZybuNNy'
 */
export function normalizeNamespace(name: string, field = 'namespace'): string {
  const job = jobOfNamespace(name);
  if (job !== undefined) return `job-${encodeFluid(job)}`;
  if (!NAME.test(name)) {
    throw new InvalidInputError(`"${name.slice(0, 64)}" is not a namespace name (letters, digits, "_", "." and "-", at most 128)`, field);
  }
  if (name === 'namespaces') throw new InvalidInputError('"namespaces" is a reserved name', field);
  return name;
}

/**
 * The job id of a job namespace name (`job-ƒuZZybuNNy`, `job-6731191091817518`…), or undefined for other names.
 * @example jobOfNamespace('job-ƒuZZybuNNy') // 6731191091817518n; jobOfNamespace('primary') // undefined
 */
export function jobOfNamespace(name: string): bigint | undefined {
  if (!name.startsWith('job-')) return undefined;
  try {
    return decodeFluid(name.slice(4));
  } catch {
    return undefined;
  }
}

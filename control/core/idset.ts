// idset.ts - RFC 22 idsets: sets of non-negative integer ids written as "1-3,5" or "[1-3,5]".
// Invariants: every result is sorted ascending without duplicates; parse and format are linear in the output
// (plus one sort when the input is out of order); bad input throws InvalidInputError, never a partial result.
import { InvalidInputError } from './errors.ts';

/** An idset given either as its string form or as the ids themselves. */
export type IdsetInput = string | Iterable<number>;

/** Parsing refuses to expand more ids than this unless told otherwise (`"0-4294967295"` would exhaust memory). */
export const IDSET_DEFAULT_MAX = 1_000_000;

type Range = [lo: number, hi: number];

/**
 * Parse an idset string into its ids. Ranges may come in any order and overlap (the set is what counts);
 * leading zeros, reversed ranges and stray characters are errors, as RFC 22 forbids them.
 * @example parseIdset('[0-2,5]') // [0, 1, 2, 5]; parseIdset('') // []
 */
export function parseIdset(text: string, { max = IDSET_DEFAULT_MAX }: { max?: number } = {}): number[] {
  const ranges = parseRanges(text);
  const count = countRanges(ranges);
  if (count > max) fail(text, `${count} ids is more than the limit of ${max}`);
  const ids = new Array<number>(count);
  let k = 0;
  for (const [lo, hi] of ranges) for (let id = lo; id <= hi; id++) ids[k++] = id;
  return ids;
}

/**
 * Format ids as an idset string with consecutive ids compressed into ranges. Input in any order is accepted
 * (sorted and de-duplicated first). `brackets` wraps the result in `[ ]` when it holds more than one id, as Flux does.
 * @example formatIdset([5, 0, 1, 2]) // '0-2,5'; formatIdset([1, 2], { brackets: true }) // '[1-2]'
 */
export function formatIdset(ids: Iterable<number>, { brackets = false }: { brackets?: boolean } = {}): string {
  const sorted = toSortedUnique(ids);
  if (sorted.length === 0) return '';
  const parts: string[] = [];
  let start = sorted[0]!;
  let prev = start;
  for (let i = 1; i <= sorted.length; i++) {
    const id = i < sorted.length ? sorted[i]! : -1;
    if (id === prev + 1) {
      prev = id;
      continue;
    }
    parts.push(start === prev ? String(start) : `${start}-${prev}`);
    start = prev = id;
  }
  const out = parts.join(',');
  return brackets && sorted.length > 1 ? `[${out}]` : out;
}

/**
 * Number of ids in a set, without expanding ranges given as a string.
 * @example idsetCount('0-1023,2048') // 1025
 */
export function idsetCount(set: IdsetInput): number {
  return typeof set === 'string' ? countRanges(parseRanges(set)) : toSortedUnique(set).length;
}

/**
 * The union of any number of sets.
 * @example idsetUnion('0-2', [2, 7], '5') // [0, 1, 2, 5, 7]
 */
export function idsetUnion(...sets: IdsetInput[]): number[] {
  const all: number[] = [];
  for (const set of sets) for (const id of toIds(set)) all.push(id);
  return toSortedUnique(all) as number[]; // a fresh array: `all` or a sorted copy of it
}

/**
 * The ids of `a` that are not in `b`.
 * @example idsetMinus('0-7', '2-3,6') // [0, 1, 4, 5, 7]
 */
export function idsetMinus(a: IdsetInput, b: IdsetInput): number[] {
  const drop = new Set(toIds(b));
  return toSortedUnique(toIds(a)).filter((id) => !drop.has(id));
}

/**
 * The n-th smallest id (0-based; negative counts from the end, -1 is the largest), or undefined when out of range.
 * A string set is walked range by range, never expanded.
 * @example idsetNth('3-5,9', 3) // 9; idsetNth('3-5,9', -2) // 5; idsetNth('3-5', 3) // undefined
 */
export function idsetNth(set: IdsetInput, n: number): number | undefined {
  if (!Number.isInteger(n)) throw new InvalidInputError(`index must be an integer, got ${n}`);
  const ranges: Range[] = typeof set === 'string' ? parseRanges(set) : rangesOf(toSortedUnique(set));
  const count = countRanges(ranges);
  let i = n < 0 ? count + n : n;
  if (i < 0 || i >= count) return undefined;
  for (const [lo, hi] of ranges) {
    if (i <= hi - lo) return lo + i;
    i -= hi - lo + 1;
  }
  return undefined;
}

function fail(text: string, why: string): never {
  const shown = text.length > 64 ? `${text.slice(0, 64)}…` : text;
  throw new InvalidInputError(`invalid idset "${shown}": ${why}`);
}

const NUMBER = /^(0|[1-9]\d*)$/;

/** Parse into sorted, merged, non-overlapping ranges. */
function parseRanges(text: string): Range[] {
  let body = text.trim();
  if (body.startsWith('[') || body.endsWith(']')) {
    if (!(body.startsWith('[') && body.endsWith(']'))) fail(text, 'unbalanced brackets');
    body = body.slice(1, -1);
  }
  if (body === '') return [];
  const ranges: Range[] = [];
  let ordered = true;
  for (const token of body.split(',')) {
    const dash = token.indexOf('-');
    const loText = dash < 0 ? token : token.slice(0, dash);
    const hiText = dash < 0 ? token : token.slice(dash + 1);
    const lo = parseId(text, loText);
    const hi = parseId(text, hiText);
    if (hi < lo) fail(text, `range "${token}" runs backwards`);
    const last = ranges.at(-1);
    if (last && lo <= last[1] + 1) ordered = false;
    ranges.push([lo, hi]);
  }
  return ordered ? ranges : mergeRanges(ranges);
}

function parseId(text: string, token: string): number {
  if (token === '') fail(text, 'empty id (stray "," or "-")');
  if (!NUMBER.test(token)) {
    if (/^\d+$/.test(token)) fail(text, `"${token}" has a leading zero`);
    fail(text, `"${token}" is not a non-negative integer (only digits, ",", "-" and "[ ]" are allowed)`);
  }
  const id = Number(token);
  if (!Number.isSafeInteger(id)) fail(text, `"${token}" is too large`);
  return id;
}

function mergeRanges(ranges: Range[]): Range[] {
  ranges.sort((x, y) => x[0] - y[0]);
  const merged: Range[] = [];
  for (const r of ranges) {
    const last = merged.at(-1);
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

function countRanges(ranges: Range[]): number {
  let n = 0;
  for (const [lo, hi] of ranges) n += hi - lo + 1;
  return n;
}

function rangesOf(sorted: readonly number[]): Range[] {
  const ranges: Range[] = [];
  for (const id of sorted) {
    const last = ranges.at(-1);
    if (last && id === last[1] + 1) last[1] = id;
    else ranges.push([id, id]);
  }
  return ranges;
}

function toIds(set: IdsetInput): Iterable<number> {
  return typeof set === 'string' ? parseIdset(set) : set;
}

/** Validate and return the ids ascending without duplicates; linear when the input is already sorted. */
function toSortedUnique(ids: Iterable<number>): readonly number[] {
  const arr: readonly number[] = Array.isArray(ids) ? (ids as readonly number[]) : [...ids];
  let sorted = true;
  for (let i = 0; i < arr.length; i++) {
    const id = arr[i]!;
    if (!Number.isSafeInteger(id) || id < 0) throw new InvalidInputError(`invalid id ${id}: ids are non-negative integers`);
    if (i > 0 && id <= arr[i - 1]!) sorted = false;
  }
  if (sorted) return arr;
  const out = Float64Array.from(arr).sort();
  const unique: number[] = [];
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[i - 1]) unique.push(out[i]!);
  return unique;
}

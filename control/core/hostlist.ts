// hostlist.ts - RFC 29 hostlists: ordered lists of host names written compactly as "prefix[idlist]suffix,...".
// Invariants: expand keeps order, duplicates and zero padding; compress keeps order and is the exact inverse of
// expand (expandHostlist(compressHostlist(h)) equals h); both are linear; bad input throws InvalidInputError.
import { InvalidInputError } from './errors.ts';

/** Expansion refuses to produce more names than this unless told otherwise (`n[0-999999999]` would exhaust memory). */
export const HOSTLIST_DEFAULT_MAX = 1_000_000;

/** One hostlist expression: a plain name (`ids` null) or `prefix[ids]suffix` with ids zero-padded to `width`. */
interface Expr {
  prefix: string;
  suffix: string;
  ids: Array<[lo: number, hi: number]> | null;
  width: number;
}

/**
 * Expand a hostlist into its names, in order, duplicates kept.
 * @example expandHostlist('n[01-03],login') // ['n01', 'n02', 'n03', 'login']; expandHostlist('foo[0-1]-eth2') // ['foo0-eth2', 'foo1-eth2']
 */
export function expandHostlist(text: string, { max = HOSTLIST_DEFAULT_MAX }: { max?: number } = {}): string[] {
  const exprs = parseHostlist(text);
  const count = countExprs(exprs);
  if (count > max) fail(text, `${count} hosts is more than the limit of ${max}`);
  const hosts = new Array<string>(count);
  let k = 0;
  for (const e of exprs) {
    if (e.ids === null) hosts[k++] = e.prefix;
    else for (const [lo, hi] of e.ids) for (let id = lo; id <= hi; id++) hosts[k++] = e.prefix + pad(id, e.width) + e.suffix;
  }
  return hosts;
}

/**
 * Compress names into a hostlist, keeping their order: consecutive names that differ only in one number, with
 * the same prefix, suffix and zero padding, share one bracket expression.
 * @example compressHostlist(['n01', 'n02', 'n03', 'n07', 'login']) // 'n[01-03,07],login'
 */
export function compressHostlist(hosts: readonly string[]): string {
  for (const h of hosts) checkHost(h);
  const out: string[] = [];
  let i = 0;
  while (i < hosts.length) {
    const h = hosts[i]!;
    const run = pickRun(h, hosts[i + 1]);
    if (run === null) {
      out.push(h);
      i++;
      continue;
    }
    const prefix = h.slice(0, run.start);
    const suffix = h.slice(run.end);
    const first = h.slice(run.start, run.end);
    const width = first.length > 1 && first.startsWith('0') ? first.length : 0;
    const nums = [Number(first)];
    let j = i + 1;
    for (; j < hosts.length; j++) {
      const g = hosts[j]!;
      const len = g.length - prefix.length - suffix.length;
      if (len < 1 || len > MAX_DIGITS || !g.startsWith(prefix) || !g.endsWith(suffix)) break;
      const mid = g.slice(prefix.length, prefix.length + len);
      if (!ALL_DIGITS.test(mid)) break;
      const v = Number(mid);
      if (pad(v, width) !== mid) break;
      nums.push(v);
    }
    out.push(nums.length === 1 ? h : `${prefix}[${formatIds(nums, width)}]${suffix}`);
    i = j;
  }
  return out.join(',');
}

/**
 * Number of names in a hostlist (duplicates counted), without expanding it.
 * @example hostlistCount('n[0-1023],login') // 1025
 */
export function hostlistCount(text: string): number {
  return countExprs(parseHostlist(text));
}

/**
 * The n-th name (0-based; negative counts from the end, -1 is the last), or undefined when out of range.
 * @example hostlistNth('n[1-4]', 1) // 'n2'; hostlistNth('n[1-4]', -1) // 'n4'
 */
export function hostlistNth(text: string, n: number): string | undefined {
  if (!Number.isInteger(n)) throw new InvalidInputError(`index must be an integer, got ${n}`);
  const exprs = parseHostlist(text);
  let i = n < 0 ? countExprs(exprs) + n : n;
  if (i < 0) return undefined;
  for (const e of exprs) {
    if (e.ids === null) {
      if (i === 0) return e.prefix;
      i -= 1;
      continue;
    }
    for (const [lo, hi] of e.ids) {
      if (i <= hi - lo) return e.prefix + pad(lo + i, e.width) + e.suffix;
      i -= hi - lo + 1;
    }
  }
  return undefined;
}

/**
 * Every name that appears in any of the lists, once, in natural order (n2 before n10).
 * @example hostlistUnion('n[3-4]', 'n[1-3]', 'login') // 'login,n[1-4]'
 */
export function hostlistUnion(...lists: string[]): string {
  const seen = new Set<string>();
  for (const list of lists) for (const h of expandHostlist(list)) seen.add(h);
  return compressHostlist(sortHosts([...seen]));
}

/**
 * The names of `a` that are not in `b`, in `a`'s order (every occurrence of a name in `b` is removed).
 * @example hostlistMinus('n[1-5]', 'n[2,4]') // 'n[1,3,5]'
 */
export function hostlistMinus(a: string, b: string): string {
  const drop = new Set(expandHostlist(b));
  return compressHostlist(expandHostlist(a).filter((h) => !drop.has(h)));
}

/**
 * The names present in every list, once, in natural order.
 * @example hostlistIntersect('n[1-5]', 'n[4-9]') // 'n[4-5]'
 */
export function hostlistIntersect(...lists: string[]): string {
  if (lists.length === 0) return '';
  let common = new Set(expandHostlist(lists[0]!));
  for (const list of lists.slice(1)) {
    const other = new Set(expandHostlist(list));
    common = new Set([...common].filter((h) => other.has(h)));
  }
  return compressHostlist(sortHosts([...common]));
}

/**
 * A sorted copy of the names in natural order: text compared as text, digit runs compared as numbers.
 * @example sortHosts(['n10', 'n9', 'login']) // ['login', 'n9', 'n10']
 */
export function sortHosts(hosts: readonly string[]): string[] {
  const keyed = hosts.map((h) => ({ h, parts: h.split(DIGIT_RUNS).map((p, t) => (t % 2 === 1 ? p.replace(/^0+(?=\d)/, '') : p)) }));
  keyed.sort((x, y) => naturalCompare(x.parts, y.parts) || (x.h < y.h ? -1 : x.h > y.h ? 1 : 0));
  return keyed.map((k) => k.h);
}

const MAX_DIGITS = 15; // longer digit runs are not treated as numbers (beyond 2^53)
const ALL_DIGITS = /^\d+$/;
const DIGIT_RUNS = /(\d+)/;

function fail(text: string, why: string): never {
  const shown = text.length > 64 ? `${text.slice(0, 64)}…` : text;
  throw new InvalidInputError(`invalid hostlist "${shown}": ${why}`);
}

function pad(n: number, width: number): string {
  const s = String(n);
  return s.length >= width ? s : '0'.repeat(width - s.length) + s;
}

function parseHostlist(text: string): Expr[] {
  const s = text.trim();
  const exprs: Expr[] = [];
  let start = 0;
  let open = -1;
  let close = -1;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s[i]! : ',';
    if (open >= 0 && close < 0) {
      if (c === ']') close = i;
      else if (i === s.length) fail(text, `"[" at ${open + 1} is never closed`);
      else if (!/[\d,-]/.test(c)) fail(text, `"${c}" inside [ ]: an idlist holds only digits, "," and "-"`);
      continue;
    }
    if (c === ',') {
      if (i > start) exprs.push(makeExpr(text, s.slice(start, i), open < 0 ? -1 : open - start, close - start));
      start = i + 1;
      open = close = -1;
    } else if (c === '[') {
      if (close >= 0) fail(text, `"${s.slice(start).split(',')[0]}" has a second "[": one [idlist] per host expression`);
      open = i;
    } else if (c === ']') {
      fail(text, `"]" at ${i + 1} without a matching "["`);
    } else if (c <= ' ' || c > '~') {
      fail(text, `${JSON.stringify(c)} at ${i + 1}: host names are printable ASCII without spaces`);
    }
  }
  return exprs;
}

function makeExpr(text: string, expr: string, open: number, close: number): Expr {
  if (open < 0) return { prefix: expr, suffix: '', ids: null, width: 0 };
  const list = expr.slice(open + 1, close);
  if (list === '') fail(text, `"${expr}" has an empty [ ]`);
  const ids: Array<[number, number]> = [];
  let width = 0;
  for (const token of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(token);
    if (!m) fail(text, `"${token}" in "${expr}" is not a number or a range like 1-4`);
    const [loText, hiText = loText] = [m[1]!, m[2]];
    if (loText.length > MAX_DIGITS || hiText.length > MAX_DIGITS) fail(text, `"${token}" in "${expr}" is too large`);
    const lo = Number(loText);
    const hi = Number(hiText);
    if (hi < lo) fail(text, `range "${token}" in "${expr}" runs backwards`);
    if (ids.length === 0 && loText.length > 1 && loText.startsWith('0')) width = loText.length;
    ids.push([lo, hi]);
  }
  return { prefix: expr.slice(0, open), suffix: expr.slice(close + 1), ids, width };
}

function countExprs(exprs: Expr[]): number {
  let n = 0;
  for (const e of exprs) {
    if (e.ids === null) n += 1;
    else for (const [lo, hi] of e.ids) n += hi - lo + 1;
  }
  return n;
}

function checkHost(h: string): void {
  const bad = /[^!-~]|[[\],]/.exec(h);
  if (h === '' || bad) {
    const why = h === '' ? 'empty' : `${JSON.stringify(bad![0])} is not allowed (printable ASCII except "[", "]" and ",")`;
    throw new InvalidInputError(`invalid host name ${JSON.stringify(h)}: ${why}`);
  }
}

/**
 * The digit run of `h` that varies: the one run in which `h` differs from `next` when they differ in exactly one
 * run, else the last run. Null when `h` has no usable digits.
 */
function pickRun(h: string, next: string | undefined): { start: number; end: number } | null {
  const parts = h.split(DIGIT_RUNS); // text at even indices, digit runs at odd ones
  if (parts.length === 1) return null;
  let k = -1;
  if (next !== undefined) {
    const other = next.split(DIGIT_RUNS);
    if (other.length === parts.length) {
      let diffs = 0;
      for (let t = 0; t < parts.length && diffs < 2; t++) {
        if (parts[t] === other[t]) continue;
        diffs += t % 2 === 1 ? 1 : 2;
        k = t;
      }
      if (diffs !== 1 || parts[k]!.length > MAX_DIGITS) k = -1;
    }
  }
  for (let t = parts.length - 2; k < 0 && t >= 1; t -= 2) if (parts[t]!.length <= MAX_DIGITS) k = t;
  if (k < 0) return null;
  let start = 0;
  for (let t = 0; t < k; t++) start += parts[t]!.length;
  return { start, end: start + parts[k]!.length };
}

function formatIds(nums: number[], width: number): string {
  let out = '';
  let i = 0;
  while (i < nums.length) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1] === nums[j]! + 1) j++;
    if (out !== '') out += ',';
    out += j === i ? pad(nums[i]!, width) : `${pad(nums[i]!, width)}-${pad(nums[j]!, width)}`;
    i = j + 1;
  }
  return out;
}

/** Compare split names; digit runs (odd indices) come without leading zeros, so longer means larger. */
function naturalCompare(a: string[], b: string[]): number {
  const n = Math.min(a.length, b.length);
  for (let t = 0; t < n; t++) {
    const x = a[t]!;
    const y = b[t]!;
    if (x === y) continue;
    if (t % 2 === 1 && x.length !== y.length) return x.length - y.length; // digit runs, leading zeros stripped
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

// rv1.ts - R version 1 (RFC 20): build it from what a job holds, validate it, and read it back.
// Invariants: R_lite ranks are disjoint RFC 22 idsets, entries ordered by their lowest rank, ranks with identical
// children share one entry; nodelist expands to the hostnames of the ranks in ascending rank order.

import type { Rv1 } from './types.ts';
import { InvalidInputError } from '../errors.ts';
import { formatIdset, parseIdset } from '../idset.ts';
import { compressHostlist, expandHostlist } from '../hostlist.ts';

/** What a job holds on one rank. */
export interface RankShare {
  rank: number;
  hostname: string;
  cores: readonly number[];
  gpus: readonly number[];
  properties: Iterable<string>;
}

/**
 * Build R from per-rank shares. `expiration` 0 means none.
 * @example buildRv1([{rank: 0, hostname: 'n0', cores: [0, 1], gpus: [], properties: ['efa']}], 1700000000, 0)
 *   // {version: 1, execution: {R_lite: [{rank: '0', children: {core: '0-1'}}], nodelist: ['n0'], ...}}
 */
export function buildRv1(shares: readonly RankShare[], starttime: number, expiration: number): Rv1 {
  const sorted = [...shares].sort((a, b) => a.rank - b.rank);
  const entries = new Map<string, { ranks: number[]; children: { core?: string; gpu?: string } }>();
  const props = new Map<string, number[]>();
  for (const s of sorted) {
    const core = s.cores.length > 0 ? formatIdset(s.cores) : undefined;
    const gpu = s.gpus.length > 0 ? formatIdset(s.gpus) : undefined;
    const key = `${core ?? ''}|${gpu ?? ''}`;
    let e = entries.get(key);
    if (!e) {
      const children: { core?: string; gpu?: string } = {};
      if (core !== undefined) children.core = core;
      if (gpu !== undefined) children.gpu = gpu;
      e = { ranks: [], children };
      entries.set(key, e);
    }
    e.ranks.push(s.rank);
    for (const p of s.properties) {
      let ranks = props.get(p);
      if (!ranks) props.set(p, (ranks = []));
      ranks.push(s.rank);
    }
  }
  const R: Rv1 = {
    version: 1,
    execution: {
      R_lite: [...entries.values()].map((e) => ({ rank: formatIdset(e.ranks), children: e.children })),
      nodelist: sorted.length > 0 ? [compressHostlist(sorted.map((s) => s.hostname))] : [],
      starttime,
      expiration,
    },
  };
  if (props.size > 0) {
    const properties: Record<string, string> = {};
    for (const [p, ranks] of [...props].sort((a, b) => (a[0] < b[0] ? -1 : 1))) properties[p] = formatIdset(ranks);
    R.execution.properties = properties;
  }
  return R;
}

function idsetField(text: unknown, field: string): number[] {
  if (typeof text !== 'string') throw new InvalidInputError('must be an idset string', field);
  try {
    return parseIdset(text);
  } catch (err) {
    throw new InvalidInputError(`not a valid idset: ${JSON.stringify(text)}`, field, { cause: err });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validate an R object's shape (version 1, R_lite idsets, disjoint ranks, nodelist matching the ranks, times) and
 * return a normalized copy. Throws InvalidInputError naming the field.
 * @example parseRv1(JSON.parse(text)).execution.R_lite[0].rank // '0-3'
 */
export function parseRv1(obj: unknown): Rv1 {
  if (!isObject(obj)) throw new InvalidInputError('must be an object', 'R');
  if (obj.version !== 1) throw new InvalidInputError('must be 1', 'R.version');
  const ex = obj.execution;
  if (!isObject(ex)) throw new InvalidInputError('must be an object', 'R.execution');
  if (!Array.isArray(ex.R_lite)) throw new InvalidInputError('must be an array', 'R.execution.R_lite');
  const seen = new Set<number>();
  const R_lite: Rv1['execution']['R_lite'] = ex.R_lite.map((e: unknown, i: number) => {
    const f = `R.execution.R_lite[${i}]`;
    if (!isObject(e)) throw new InvalidInputError('must be an object', f);
    const ranks = idsetField(e.rank, `${f}.rank`);
    if (ranks.length === 0) throw new InvalidInputError('must name at least one rank', `${f}.rank`);
    for (const r of ranks) {
      if (seen.has(r)) throw new InvalidInputError(`rank ${r} appears in two entries`, `${f}.rank`);
      seen.add(r);
    }
    if (!isObject(e.children)) throw new InvalidInputError('must be an object', `${f}.children`);
    const children: { core?: string; gpu?: string } = {};
    for (const kind of ['core', 'gpu'] as const) {
      const v = e.children[kind];
      if (v === undefined) continue;
      idsetField(v, `${f}.children.${kind}`);
      children[kind] = v as string;
    }
    return { rank: e.rank as string, children };
  });
  const nodelist = ex.nodelist ?? [];
  if (!Array.isArray(nodelist) || !nodelist.every((h) => typeof h === 'string')) {
    throw new InvalidInputError('must be an array of hostlist strings', 'R.execution.nodelist');
  }
  if (nodelist.length > 0) {
    let hosts: string[];
    try {
      hosts = nodelist.flatMap((h: string) => expandHostlist(h));
    } catch (err) {
      throw new InvalidInputError('not a valid hostlist', 'R.execution.nodelist', { cause: err });
    }
    if (hosts.length !== seen.size) {
      throw new InvalidInputError(`names ${hosts.length} hosts for ${seen.size} ranks`, 'R.execution.nodelist');
    }
  }
  const time = (v: unknown, field: string): number => {
    if (v === undefined) return 0;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new InvalidInputError('must be a number ≥ 0', field);
    return v;
  };
  const starttime = time(ex.starttime, 'R.execution.starttime');
  const expiration = time(ex.expiration, 'R.execution.expiration');
  if (expiration !== 0 && expiration < starttime) {
    throw new InvalidInputError('must not be before starttime', 'R.execution.expiration');
  }
  const R: Rv1 = { version: 1, execution: { R_lite, nodelist: [...nodelist] as string[], starttime, expiration } };
  if (ex.properties !== undefined) {
    if (!isObject(ex.properties)) throw new InvalidInputError('must be an object', 'R.execution.properties');
    const properties: Record<string, string> = {};
    for (const [p, v] of Object.entries(ex.properties)) {
      idsetField(v, `R.execution.properties.${p}`);
      properties[p] = v as string;
    }
    R.execution.properties = properties;
  }
  return R;
}

/** Per-rank core and GPU ids of R, ascending by rank; InvalidInputError if a rank appears twice. @example rankShares(R).get(3)?.cores // [0, 1] */
export function rankShares(R: Rv1): Map<number, { cores: number[]; gpus: number[] }> {
  const out: Array<[number, { cores: number[]; gpus: number[] }]> = [];
  for (const e of R.execution.R_lite) {
    const cores = e.children.core ? parseIdset(e.children.core) : [];
    const gpus = e.children.gpu ? parseIdset(e.children.gpu) : [];
    for (const r of parseIdset(e.rank)) out.push([r, { cores: [...cores], gpus: [...gpus] }]);
  }
  out.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < out.length; i++) {
    if (out[i]![0] === out[i - 1]![0]) throw new InvalidInputError(`rank ${out[i]![0]} appears in two entries`, 'R.execution.R_lite');
  }
  return new Map(out);
}

/** The ranks of R, ascending. @example rankList(R) // [0, 1, 2, 3] */
export function rankList(R: Rv1): number[] {
  return R.execution.R_lite.flatMap((e) => parseIdset(e.rank)).sort((a, b) => a - b);
}

/** Core ids R holds on `rank` ([] if none). @example coresOnRank(R, 2) // [0, 1, 2, 3] */
export function coresOnRank(R: Rv1, rank: number): number[] {
  for (const e of R.execution.R_lite) {
    if (parseIdset(e.rank).includes(rank)) return e.children.core ? parseIdset(e.children.core) : [];
  }
  return [];
}

/** GPU ids R holds on `rank` ([] if none). @example gpusOnRank(R, 2) // [0] */
export function gpusOnRank(R: Rv1, rank: number): number[] {
  for (const e of R.execution.R_lite) {
    if (parseIdset(e.rank).includes(rank)) return e.children.gpu ? parseIdset(e.children.gpu) : [];
  }
  return [];
}

/** Number of nodes (ranks) in R. @example nodeCount(R) // 4 */
export function nodeCount(R: Rv1): number {
  return R.execution.R_lite.reduce((n, e) => n + parseIdset(e.rank).length, 0);
}

/** Hostnames of R in ascending rank order (the expanded nodelist). @example hostnames(R) // ['n0', 'n1'] */
export function hostnames(R: Rv1): string[] {
  return R.execution.nodelist.flatMap((h) => expandHostlist(h));
}

// workload.ts - workloads for the simulator: the job record it runs, a synthetic day of bursty HPC work, and a
// small random workload for tests. Invariants: generated from a seed only (same seed, same jobs); a job's runtime
// never exceeds its limit (unless unlimited); jobs come sorted by submit time.
import type { ResourceRequest } from '../../control/core/resource/types.ts';
import { Prng } from './prng.ts';

/** One job the simulator submits and runs. */
export interface SimJob {
  id: string;
  /** Submit time, seconds. */
  submitAt: number;
  request: ResourceRequest;
  /** Time limit the user gave, seconds (0 = unlimited): what the scheduler and the policy plan with. */
  limit: number;
  /** How long it really runs, seconds (≤ limit unless the limit is 0). */
  runtime: number;
  /** Default 16. */
  priority?: number;
}

function id(n: number): string {
  return `j${String(n).padStart(5, '0')}`;
}

/** A request for `nodes` nodes × `cores` cores each, or `cores` cores anywhere when nodes is undefined. */
function request(cores: number, nodes?: number): ResourceRequest {
  return nodes === undefined
    ? { slots: cores, coresPerSlot: 1, gpusPerSlot: 0, exclusive: false }
    : { nodes, slots: 1, coresPerSlot: cores, gpusPerSlot: 0, exclusive: false };
}

/** The kinds of job in the synthetic day: [name, weight, make(prng) → request, runtime]. */
type Kind = readonly [string, number, (r: Prng) => { request: ResourceRequest; runtime: number }];

const KINDS: readonly Kind[] = [
  // Parameter sweeps: 1–4 cores, 5–20 minutes.
  ['sweep', 55, (r) => ({ request: request(r.int(1, 4)), runtime: r.uniform(300, 1200) })],
  // Single-node simulations: a whole 8-core node, 1–3 hours.
  ['long', 20, (r) => ({ request: request(8, 1), runtime: r.uniform(3600, 10800) })],
  // MPI runs: 2–4 nodes × 8 cores, 30–90 minutes.
  ['mpi', 10, (r) => ({ request: request(8, r.int(2, 4)), runtime: r.uniform(1800, 5400) })],
  // Post-processing: 1 core, 1–5 minutes.
  ['tiny', 15, (r) => ({ request: request(1), runtime: r.uniform(60, 300) })],
];

export interface SyntheticDayOptions {
  /** Length of the day, seconds (default 86400). */
  length?: number;
  /** Bursts of submissions in the day (default 10), during working hours. */
  bursts?: number;
  /** Jobs per burst, min and max (default 20–70). */
  burstSize?: [number, number];
  /** Background jobs per hour outside bursts (default 4). */
  backgroundPerHour?: number;
  /** Limits are runtime × this range, rounded up to a minute (users ask for more than they use). */
  limitFactor?: [number, number];
}

/**
 * A synthetic day: background arrivals plus bursts (a user submitting a sweep or a campaign within minutes), a mix
 * of short and long, 1-node and multi-node jobs.
 * @example syntheticDay(42).length // ~500 jobs, always the same for seed 42
 */
export function syntheticDay(seed: number, opts: SyntheticDayOptions = {}): SimJob[] {
  const r = new Prng(seed);
  const length = opts.length ?? 86400;
  const [bmin, bmax] = opts.burstSize ?? [20, 70];
  const [lmin, lmax] = opts.limitFactor ?? [1.1, 1.6];
  const times: number[] = [];
  for (let t = r.exp(3600 / (opts.backgroundPerHour ?? 4)); t < length; t += r.exp(3600 / (opts.backgroundPerHour ?? 4))) times.push(t);
  const bursts = opts.bursts ?? 10;
  for (let b = 0; b < bursts; b++) {
    const start = r.uniform(length * 0.3, length * 0.8);
    const n = r.int(bmin, bmax);
    // One burst is mostly one kind of work, as when a user submits a campaign.
    for (let k = 0, t = start; k < n; k++, t += r.exp(6)) times.push(t);
  }
  times.sort((a, b) => a - b);
  return times.map((submitAt, n) => {
    const kind = r.weighted(KINDS.map((k) => [k, k[1]] as const));
    const { request: req, runtime } = kind[2](r);
    const limit = Math.ceil((runtime * r.uniform(lmin, lmax)) / 60) * 60;
    return { id: id(n), submitAt: Math.round(submitAt), request: req, limit, runtime: Math.round(runtime) };
  });
}

/**
 * A small random workload for tests: `n` jobs of 1–`maxCores` cores, sometimes multi-node, over `span` seconds.
 * @example randomWorkload(7, 40, 3600)
 */
export function randomWorkload(seed: number, n: number, span: number, maxCores = 8): SimJob[] {
  const r = new Prng(seed);
  const jobs: SimJob[] = [];
  for (let k = 0; k < n; k++) {
    const multi = r.chance(0.15);
    const req = multi ? request(r.int(1, maxCores), r.int(2, 3)) : request(r.int(1, maxCores));
    const runtime = Math.round(r.uniform(30, 1800));
    const limit = r.chance(0.05) ? 0 : Math.ceil((runtime * r.uniform(1, 1.5)) / 60) * 60;
    jobs.push({ id: id(k), submitAt: Math.round(r.uniform(0, span)), request: req, limit, runtime });
  }
  return jobs.sort((a, b) => a.submitAt - b.submitAt || (a.id < b.id ? -1 : 1));
}

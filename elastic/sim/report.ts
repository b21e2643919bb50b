// report.ts - what a simulation run measured: per-job waits, node-hours and core-hours by pool, the work done on
// each pool, launches, cost, and running jobs killed by terminations (must be 0). Invariant: pure arithmetic over
// the run's records.

export interface WaitStats {
  mean: number;
  p50: number;
  p95: number;
  max: number;
}

export interface SimReport {
  /** Name of the policy that ran. */
  policy: string;
  /** When the run ended (virtual seconds). */
  end: number;
  jobs: number;
  finished: number;
  /** Jobs that never finished (still pending or running at the end). */
  unfinished: string[];
  /** Wait from submit to (first) start, seconds, over jobs that started. */
  wait: WaitStats;
  waits: Array<{ id: string; wait: number }>;
  /** Instance-hours per pool (static nodes: the whole run). */
  nodeHours: Record<string, number>;
  /** Capacity core-hours per pool (node lifetime × cores). */
  coreHours: Record<string, number>;
  /** Core-hours of work done per pool: cores allocated × runtime. */
  workCoreHours: Record<string, number>;
  /** Create calls that launched at least one instance, and instances launched. */
  launches: number;
  instancesLaunched: number;
  /** Create calls refused for insufficient capacity. */
  insufficientCapacity: number;
  /** Running jobs on nodes the policy terminated: must be 0. */
  killed: number;
  killedJobs: string[];
  /** Jobs requeued after a spot interruption took their node (not the policy's doing). */
  requeued: number;
  /** Most cloud instances alive at once. */
  peakInstances: number;
  /** USD over cloud instances (catalog prices × lifetimes). */
  costUSD: number;
}

/** A report with nothing measured yet. */
export function emptyReport(policy: string, jobs: number): SimReport {
  return {
    policy,
    end: 0,
    jobs,
    finished: 0,
    unfinished: [],
    wait: { mean: 0, p50: 0, p95: 0, max: 0 },
    waits: [],
    nodeHours: {},
    coreHours: {},
    workCoreHours: {},
    launches: 0,
    instancesLaunched: 0,
    insufficientCapacity: 0,
    killed: 0,
    killedJobs: [],
    requeued: 0,
    peakInstances: 0,
    costUSD: 0,
  };
}

/** Nearest-rank percentile of `values` (0 for an empty list). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[k]!;
}

export function waitStats(waits: readonly number[]): WaitStats {
  const mean = waits.length ? waits.reduce((s, w) => s + w, 0) / waits.length : 0;
  return { mean, p50: percentile(waits, 50), p95: percentile(waits, 95), max: waits.length ? Math.max(...waits) : 0 };
}

/** Add `v` to `rec[key]`. */
export function bump(rec: Record<string, number>, key: string, v: number): void {
  rec[key] = (rec[key] ?? 0) + v;
}

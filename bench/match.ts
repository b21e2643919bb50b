// match.ts - resource graph and queue benchmarks: build a 10,000-node graph, half allocated at random (seeded),
// time matches of several shapes, and one FCFS pass of 10,000 one-core jobs over 1,000 empty nodes.
// Invariant: reproducible (fixed seed); every timed match is released again so each repetition sees the same graph.

import { ResourceGraph } from '../control/core/resource/graph.ts';
import { buildRv1 } from '../control/core/resource/rv1.ts';
import type { MatchPolicy, ResourceRequest } from '../control/core/resource/types.ts';
import { schedulePass } from '../control/core/queue/pass.ts';
import type { PendingJob } from '../control/core/queue/types.ts';

const gc = (globalThis as { gc?: () => void }).gc;
const heapMB = (): number => {
  gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ms = (ns: bigint | number): number => Number(ns) / 1e6;
const fmt = (msValue: number): string => (msValue < 1 ? `${(msValue * 1000).toFixed(1)} µs` : `${msValue.toFixed(2)} ms`);
const rows: string[][] = [];
function row(what: string, median: string, p99: string, goal: string, ok: boolean | null): void {
  rows.push([what, median, p99, goal, ok === null ? '' : ok ? 'ok' : 'MISSED']);
}

// ---- build ---------------------------------------------------------------------------------------------------
const NODES = 10_000;
const rand = prng(20240611);
const heap0 = heapMB();
const t0 = process.hrtime.bigint();
const graph = new ResourceGraph();
let rank = 0;
const groupSizes: number[] = [];
while (rank < NODES) {
  const size = Math.min(NODES - rank, 64 + Math.floor(rand() * 193));
  const zone = `az${groupSizes.length % 4}`;
  const group = `pg${groupSizes.length}`;
  groupSizes.push(size);
  for (let i = 0; i < size; i++, rank++) {
    const gpus = rank % 10 === 0 ? 8 : 0;
    const properties = ['hpc6a', 'efa', ...(rand() < 0.2 ? ['spot'] : [])];
    graph.addNode(rank, { hostname: `node${rank}`, cores: 96, sockets: 2, gpus, memoryMB: 384_000, properties, zone, group });
  }
}
const buildMs = ms(process.hrtime.bigint() - t0);
const heap1 = heapMB();

// ---- fill half of it at random --------------------------------------------------------------------------------
const t1 = process.hrtime.bigint();
let bg = 0;
for (const n of graph.nodes()) {
  const r = rand();
  if (r < 0.3) {
    graph.allocateExact(`bg${bg++}`, buildRv1([{ rank: n.rank, hostname: n.hostname, cores: range(0, 96), gpus: range(0, n.gpus), properties: [] }], 0, 0));
  } else if (r < 0.7) {
    const k = 1 + Math.floor(rand() * 95);
    const from = Math.floor(rand() * (96 - k + 1));
    const g = Math.floor(rand() * (n.gpus + 1));
    graph.allocateExact(`bg${bg++}`, buildRv1([{ rank: n.rank, hostname: n.hostname, cores: range(from, from + k), gpus: range(0, g), properties: [] }], 0, 0));
  }
}
const fillMs = ms(process.hrtime.bigint() - t1);
const heap2 = heapMB();
const s = graph.summary();
function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}

// ---- matches --------------------------------------------------------------------------------------------------
function timeMatch(what: string, req: ResourceRequest, policy: MatchPolicy, reps: number, goalMs: number | null, expectFit: boolean): void {
  const opts = { policy, now: 1_700_000_000, duration: 3600 };
  // Unique job ids, as in production: churning one key through a large Map costs ~10 µs per operation in V8.
  let seq = 0;
  for (let i = 0; i < Math.max(20, reps / 10); i++) {
    const id = `bench${seq++}`;
    if (graph.match(id, req, opts)) graph.release(id);
  }
  const times: number[] = [];
  let fits = 0;
  for (let i = 0; i < reps; i++) {
    const id = `bench${seq++}`;
    const a = process.hrtime.bigint();
    const R = graph.match(id, req, opts);
    const b = process.hrtime.bigint();
    times.push(ms(b - a));
    if (R) {
      fits++;
      graph.release(id);
    }
  }
  if ((fits === reps) !== expectFit) throw new Error(`${what}: expected ${expectFit ? 'a fit' : 'no fit'}, got ${fits}/${reps}`);
  times.sort((x, y) => x - y);
  const median = times[Math.floor(reps / 2)]!;
  const p99 = times[Math.floor(reps * 0.99)]!;
  row(`${what} [${policy}]`, fmt(median), fmt(p99), goalMs === null ? '' : `≤ ${fmt(goalMs)}`, goalMs === null ? null : median <= goalMs);
}

const one: ResourceRequest = { slots: 1, coresPerSlot: 1, gpusPerSlot: 0, exclusive: false };
timeMatch('1-core job', one, 'first', 20_000, 0.05, true);
timeMatch('1-core job', one, 'high', 20_000, null, true);
timeMatch('1-core job', one, 'spread', 20_000, null, true);
timeMatch('1-core job', one, 'locality', 5_000, null, true);
timeMatch('1 slot of 4 cores + 1 GPU', { ...one, coresPerSlot: 4, gpusPerSlot: 1 }, 'first', 20_000, null, true);
timeMatch('1-node exclusive job', { ...one, nodes: 1, exclusive: true }, 'first', 20_000, null, true);
timeMatch('64-node job, 16 cores/node', { nodes: 64, slots: 1, coresPerSlot: 16, gpusPerSlot: 0, exclusive: false }, 'locality', 1_000, 5, true);
timeMatch('64-node exclusive job', { nodes: 64, slots: 1, coresPerSlot: 96, gpusPerSlot: 0, exclusive: true }, 'locality', 1_000, 5, true);
timeMatch('64-node job, 16 cores/node', { nodes: 64, slots: 1, coresPerSlot: 16, gpusPerSlot: 0, exclusive: false }, 'first', 1_000, null, true);
timeMatch('unsatisfiable: 5,000 whole nodes', { ...one, nodes: 5000, exclusive: true }, 'first', 20_000, 0.05, false);
timeMatch('unsatisfiable: 97 cores in a slot', { ...one, coresPerSlot: 97 }, 'locality', 20_000, 0.05, false);
timeMatch('unsatisfiable: 1,000,000 cores', { ...one, slots: 1_000_000 }, 'first', 20_000, 0.05, false);

// ---- one FCFS pass: 10,000 one-core jobs onto 1,000 empty 96-core nodes ----------------------------------------
function passOnce(queue: 'fcfs' | 'easy'): { ms: number; allocated: number } {
  const g = new ResourceGraph();
  for (let r = 0; r < 1000; r++) g.addNode(r, { hostname: `c${r}`, cores: 96, sockets: 2, gpus: 0, memoryMB: 384_000, properties: [], group: `pg${r >> 7}` });
  const pending: PendingJob[] = Array.from({ length: 10_000 }, (_, i) => ({ id: `job${i}`, priority: 16, t_submit: i, request: one, duration: 600 }));
  const a = process.hrtime.bigint();
  const d = schedulePass(g, pending, [], { queue, match: 'first', now: 1_700_000_000 });
  return { ms: ms(process.hrtime.bigint() - a), allocated: d.alloc.length };
}
for (const queue of ['fcfs', 'easy'] as const) {
  passOnce(queue);
  const runs = Array.from({ length: 5 }, () => passOnce(queue));
  if (runs.some((r) => r.allocated !== 10_000)) throw new Error('pass did not allocate every job');
  const sorted = runs.map((r) => r.ms).sort((x, y) => x - y);
  row(`${queue.toUpperCase()} pass: 10,000 × 1-core jobs → 1,000 × 96-core nodes`, fmt(sorted[2]!), fmt(sorted[4]!) + ' (max of 5)', queue === 'fcfs' ? '≤ 1 s' : '', queue === 'fcfs' ? sorted[2]! <= 1000 : null);
}

// ---- one EASY pass with a reservation: a 500-node job blocked behind 4,000 running jobs, then 10,000 candidates --
function easyBlocked(): { ms: number; allocated: number; reserved: boolean } {
  const r = prng(7);
  const g = new ResourceGraph();
  for (let n = 0; n < 1000; n++) g.addNode(n, { hostname: `c${n}`, cores: 96, sockets: 2, gpus: 0, memoryMB: 384_000, properties: [], group: `pg${n >> 7}` });
  const now = 1_700_000_000;
  const running: Array<{ id: string; expiration: number }> = [];
  for (let i = 0; i < 4000; i++) {
    const R = g.match(`run${i}`, { slots: 1, coresPerSlot: 1 + Math.floor(r() * 24), gpusPerSlot: 0, exclusive: false }, { policy: 'spread', now, duration: 60 + Math.floor(r() * 3600) });
    if (R) running.push({ id: `run${i}`, expiration: R.execution.expiration });
  }
  const pending: PendingJob[] = [
    { id: 'wide', priority: 16, t_submit: 0, request: { nodes: 500, slots: 1, coresPerSlot: 96, gpusPerSlot: 0, exclusive: true }, duration: 3600 },
    ...Array.from({ length: 10_000 }, (_, i) => ({ id: `job${i}`, priority: 16, t_submit: i + 1, request: one, duration: 30 + Math.floor(r() * 7200) })),
  ];
  const a = process.hrtime.bigint();
  const d = schedulePass(g, pending, running, { queue: 'easy', match: 'first', now });
  return { ms: ms(process.hrtime.bigint() - a), allocated: d.alloc.length, reserved: d.reservation !== undefined };
}
{
  easyBlocked();
  const runs = Array.from({ length: 3 }, easyBlocked);
  const sorted = runs.map((x) => x.ms).sort((x, y) => x - y);
  row(`EASY pass, reservation + 1,000 backfill candidates (${runs[0]!.allocated} started)`, fmt(sorted[1]!), fmt(sorted[2]!) + ' (max of 3)', '', runs[0]!.reserved ? null : false);
}

// ---- report ---------------------------------------------------------------------------------------------------
console.log(`graph: ${NODES} nodes × 2 sockets × 48 cores, 8 GPUs on every tenth node, ${groupSizes.length} groups of 64–256 nodes in 4 zones`);
console.log(`build: ${buildMs.toFixed(1)} ms; heap ${heap0.toFixed(1)} → ${heap1.toFixed(1)} MB (graph ${(heap1 - heap0).toFixed(1)} MB, goal ≤ 256 MB)${gc ? '' : ' [no --expose-gc: heap figures include garbage]'}`);
console.log(
  `fill: ${bg} background jobs by allocateExact in ${fillMs.toFixed(1)} ms; heap ${heap2.toFixed(1)} MB; ` +
    `free cores ${s.cores.free}/${s.cores.total} (${((100 * s.cores.free) / s.cores.total).toFixed(1)}%), fully free nodes ${graph.topology.root.freeNodes}`,
);
console.log('');
const head = ['case', 'median', 'p99', 'goal', ''];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
const missed = rows.filter((r) => r[4] === 'MISSED').length;
console.log(missed === 0 ? '\nall goals met' : `\n${missed} goal(s) missed`);

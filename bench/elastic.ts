// elastic.ts - bench: a synthetic day (seeded, reproducible) of bursty work on a small static pool plus a cloud pool,
// run through the simulator under the elastic policy and under the "launch immediately, terminate when idle"
// baseline. Prints waits, cloud node-hours against their lower bound, launches, cost and jobs killed.
// Goals: node-hours ≤ 1.15 × lower bound; mean wait ≤ baseline's + 60 s; 0 killed.
// Then, in local mode for real (`flurry start -n 1 --elastic` with a `local` pool, its own DynamoDB Local): the time
// from a backlog appearing (the submission answered) to the launch decision being recorded, over a few rounds, with
// the default batch window (idle 1 s) and maxWaitBeforeBurst 0. Goal: ≤ 2 s. BENCH_ELASTIC_LOCAL=0 skips it.
// Run: npm run bench -- elastic [seed]   (or node --import tsx bench/elastic.ts [seed])
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jobspecFromShape } from '../control/core/jobspec/index.ts';
import type { NodeInventory } from '../control/core/resource/types.ts';
import { catalogFor, isCloudPool, parseElasticConfig, type ElasticConfig } from '../elastic/config.ts';
import { immediatePolicy } from '../elastic/sim/baseline.ts';
import type { SimReport } from '../elastic/sim/report.ts';
import { simulate } from '../elastic/sim/simulator.ts';
import { syntheticDay, type SimJob } from '../elastic/sim/workload.ts';

const seed = Number(process.argv.find((a, i) => i >= 2 && /^\d+$/.test(a)) ?? 20240501);

/** The reference node for node-hours: every cloud type's hours are counted in units of its cores. */
const REFERENCE = 'c6i.4xlarge';

const config: ElasticConfig = parseElasticConfig({
  batch: { idle: '1s', max: '10s' },
  maxSpendPerHour: 100,
  pools: [
    { name: 'onprem', provider: 'static' },
    {
      name: 'burst',
      provider: 'sim',
      instanceTypes: ['c6i.2xlarge', 'c6i.4xlarge'],
      max: 128,
      idleTimeout: '90s',
      maxWaitBeforeBurst: '60s',
      joinTimeout: '10m',
      sim: { bootDelay: '90s' },
    },
  ],
});
/** The config with another idle timeout on the cloud pool. */
function withIdle(seconds: number): ElasticConfig {
  return { ...config, pools: config.pools.map((p) => (isCloudPool(p) ? { ...p, idleTimeout: seconds } : p)) };
}
const baselineConfig = withIdle(0);

const staticNodes: Array<{ pool: string; inventory: NodeInventory }> = Array.from({ length: 4 }, (_, i) => ({
  pool: 'onprem',
  inventory: { hostname: `onprem${i}`, cores: 8, gpus: 0, memoryMB: 32768, properties: ['onprem'] },
}));

const jobs: SimJob[] = syntheticDay(seed);
const catalog = catalogFor(config);
const refCores = catalog.get(REFERENCE)!.cores;

function row(r: SimReport, ms: number): Record<string, string | number> {
  const cloudWork = r.workCoreHours['burst'] ?? 0;
  const lower = cloudWork / refCores;
  const used = (r.coreHours['burst'] ?? 0) / refCores;
  return {
    policy: r.policy,
    'mean wait': `${r.wait.mean.toFixed(0)} s`,
    'p95 wait': `${r.wait.p95.toFixed(0)} s`,
    'cloud node-h': used.toFixed(1),
    'lower bound': lower.toFixed(1),
    ratio: lower > 0 ? (used / lower).toFixed(3) : '-',
    instances: r.instancesLaunched,
    launches: r.launches,
    peak: r.peakInstances,
    'cost $': r.costUSD.toFixed(2),
    killed: r.killed,
    unfinished: r.unfinished.length,
    'sim ms': ms,
  };
}

async function run(name: string, cfg: ElasticConfig, policy?: typeof immediatePolicy): Promise<[SimReport, number]> {
  const t0 = performance.now();
  const opts = { config: cfg, staticNodes, jobs, policyName: name, tick: 10, seed };
  const r = await simulate(policy ? { ...opts, policy } : opts);
  return [r, Math.round(performance.now() - t0)];
}

const coreHours = jobs.reduce((s, j) => s + ((j.request.nodes ?? 1) * j.request.slots * j.request.coresPerSlot * j.runtime) / 3600, 0);
console.log(`elastic bench: seed ${seed}, ${jobs.length} jobs, ${coreHours.toFixed(0)} core-hours of work; static 4 × 8 cores; cloud ${REFERENCE}-equivalent node-hours (${refCores} cores)`);
const [policy, pms] = await run('policy', config);
const [immediate, ims] = await run('immediate', baselineConfig, immediatePolicy);
// The tuning knob that matters most here: how long an empty node waits for the next burst.
const [idle0, ms0] = await run('policy, idle 0', withIdle(0));
const [idle5, ms5] = await run('policy, idle 5m', withIdle(300));
console.table([row(policy, pms), row(immediate, ims), row(idle0, ms0), row(idle5, ms5)]);

const ratio = (policy.coreHours['burst'] ?? 0) / Math.max(1e-9, policy.workCoreHours['burst'] ?? 0);
const goals = [
  [`node-hours ≤ 1.15 × lower bound (${ratio.toFixed(3)})`, ratio <= 1.15],
  [`mean wait ≤ immediate + 60 s (${policy.wait.mean.toFixed(0)} ≤ ${(immediate.wait.mean + 60).toFixed(0)})`, policy.wait.mean <= immediate.wait.mean + 60],
  [`0 killed (${policy.killed})`, policy.killed === 0],
] as const;
for (const [what, ok] of goals) console.log(`${ok ? 'PASS' : 'MISS'} ${what}`);

// ---- local mode: backlog → launch decision ----

/** Rounds of: wait for the burst pool to be empty, submit two 1-node jobs on a 1-core static node, time the launch. */
async function localDecisionLatency(rounds: number): Promise<number[]> {
  const flurry = fileURLToPath(new URL('../bin/flurry.mjs', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'flurry-bench-elastic-'));
  const pools = join(dir, 'pools.yaml');
  writeFileSync(pools, 'pools:\n  - {name: onprem, provider: static}\n  - {name: burst, provider: local, max: 4, idleTimeout: 1s, maxWaitBeforeBurst: 0, local: {cores: 1, memoryMB: 256, startupDelay: 0s}}\n');
  const inst = join(dir, 'inst');
  const child = spawn(process.execPath, [flurry, 'start', '-n', '1', '--cores-per-node', '1', '--dir', inst, '--elastic', pools], { stdio: 'ignore', detached: true });
  const latencies: number[] = [];
  try {
    const deadline = Date.now() + 90_000;
    while (!existsSync(join(inst, 'uri')) || !existsSync(join(inst, 'token'))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error('flurry start did not come up');
      await new Promise((r) => setTimeout(r, 100));
    }
    const uri = readFileSync(join(inst, 'uri'), 'utf8').trim();
    const headers = { authorization: `Bearer ${readFileSync(join(inst, 'token'), 'utf8').trim()}`, 'content-type': 'application/json' };
    type Status = { pools: Array<{ name: string; counts: { up: number; drained: number; down: number; joining: number } }>; decisions: Array<{ at: number; action: string }> };
    const status = async () => (await (await fetch(`${uri}/v1/elastic`, { headers })).json()) as Status;
    const burstEmpty = async () => {
      const c = (await status()).pools.find((p) => p.name === 'burst')!.counts;
      return c.up + c.drained + c.down + c.joining === 0;
    };
    const jobspec = jobspecFromShape(['sleep', '2'], { nodes: 1, ntasks: 1, cwd: '/tmp' });
    for (let round = 0; round < rounds; round++) {
      while (!(await burstEmpty())) await new Promise((r) => setTimeout(r, 200));
      const launchesBefore = (await status()).decisions.filter((d) => d.action === 'launch').length;
      const res = await fetch(`${uri}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify({ jobspecs: [jobspec, jobspec] }) });
      if (res.status !== 201) throw new Error(`submit: HTTP ${res.status}`);
      const backlogAt = Date.now() / 1000;
      for (;;) {
        const launches = (await status()).decisions.filter((d) => d.action === 'launch');
        if (launches.length > launchesBefore) {
          latencies.push(launches.at(-1)!.at - backlogAt);
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
  return latencies;
}

if (process.env.BENCH_ELASTIC_LOCAL !== '0') {
  const lat = await localDecisionLatency(Number(process.env.BENCH_ELASTIC_ROUNDS ?? 4));
  const sorted = [...lat].sort((a, b) => a - b);
  console.log(`\nlocal mode, flurry start --elastic (batch idle 1 s, maxWaitBeforeBurst 0): backlog → launch decision`);
  console.log(`  rounds: ${lat.map((l) => `${(l * 1000).toFixed(0)} ms`).join(', ')}; median ${(sorted[Math.floor(sorted.length / 2)]! * 1000).toFixed(0)} ms, max ${(sorted.at(-1)! * 1000).toFixed(0)} ms`);
  console.log(`${sorted.at(-1)! <= 2 ? 'PASS' : 'MISS'} backlog → launch decision ≤ 2 s`);
}

// throughput.ts - end-to-end throughput of a local instance, driven as a user drives it: `flurry start --test-size 4`
// with 2 cores per node, one `flurry submit --cc` of 1,000 and then of 10,000 `true` jobs, and 5 `flurry run hostname`.
// Prints submit jobs/s (until every id is back), end-to-end jobs/s (first submit to last job INACTIVE), the median
// wall time of `flurry run hostname`, and the control plane's peak RSS.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const flurry = join(repo, 'bin/flurry.mjs');
const sizes = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);

function sh(args: string[], env: NodeJS.ProcessEnv): { ms: number; status: number | null; stdout: string; stderr: string } {
  const t = performance.now();
  const r = spawnSync(process.execPath, [flurry, ...args], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { ms: performance.now() - t, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function waitFile(path: string, ms: number, child: ChildProcess): Promise<string> {
  const deadline = Date.now() + ms;
  while (!existsSync(path)) {
    if (child.exitCode !== null) throw new Error(`flurry start exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${path}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return readFileSync(path, 'utf8').trim();
}

/** Long-polls the last job's eventlog until it is INACTIVE (jobs finish roughly in order; then checks none remain). */
async function waitAllInactive(uri: string, token: string, lastId: string): Promise<void> {
  const headers = { authorization: `Bearer ${token}` };
  let from = 0;
  for (;;) {
    const r = await fetch(`${uri}/v1/jobs/${encodeURIComponent(lastId)}/eventlog?from=${from}&wait=30`, { headers });
    const page = (await r.json()) as { next: number; done: boolean };
    from = page.next;
    if (page.done) break;
  }
  for (;;) {
    const r = await fetch(`${uri}/v1/jobs?limit=1`, { headers });
    const page = (await r.json()) as { jobs: unknown[] };
    if (page.jobs.length === 0) return;
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** Peak RSS (VmHWM) of the control-plane process, in MB, found among the supervisor's children. */
function controlPlanePeakMB(supervisor: number): number | undefined {
  const children = spawnSync('pgrep', ['-P', String(supervisor)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  for (const pid of children) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('control-plane')) continue;
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (hwm) return Number(hwm[1]) / 1024;
    } catch {
      // gone
    }
  }
  return undefined;
}

const dir = mkdtempSync(join(tmpdir(), 'flurry-bench-'));
// The CLI finds the instance through FLURRY_DIR, as a user's second shell would.
const env: NodeJS.ProcessEnv = { ...process.env, FLURRY_DIR: dir };
delete env.FLURRY_URI;
delete env.FLURRY_TOKEN;
delete env.FLURRY_TOKEN_FILE;
const started = performance.now();
const instance = spawn(process.execPath, [flurry, 'start', '--test-size', '4', '--cores-per-node', '2', '--ephemeral', '--dir', dir], {
  env,
  stdio: ['ignore', 'ignore', 'inherit'],
  detached: true,
});
try {
  const uri = await waitFile(join(dir, 'uri'), 60_000, instance);
  const token = readFileSync(join(dir, 'token'), 'utf8').trim();
  // `uri` appears once the control plane listens; ready means every agent joined.
  for (;;) {
    const r = await fetch(`${uri}/v1/resources`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
    const body = r?.ok ? ((await r.json()) as { free: { nnodes: number }; allocated: { nnodes: number } }) : undefined;
    if (body && body.free.nnodes + body.allocated.nnodes === 4) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  console.log(`instance ready in ${((performance.now() - started) / 1000).toFixed(1)} s (4 nodes × 2 cores, ${dir})`);

  const rows: string[] = [];
  for (const n of sizes) {
    const t0 = performance.now();
    const sub = sh(['submit', `--cc=1-${n}`, 'true'], env);
    if (sub.status !== 0) throw new Error(`submit failed: ${sub.stderr}`);
    const ids = sub.stdout.trim().split('\n');
    if (ids.length !== n) throw new Error(`submit printed ${ids.length} ids, expected ${n}`);
    await waitAllInactive(uri, token, ids[ids.length - 1]!);
    const e2e = performance.now() - t0;
    rows.push(`${String(n).padStart(6)} jobs   submit ${((n / sub.ms) * 1000).toFixed(0).padStart(5)} jobs/s (${(sub.ms / 1000).toFixed(2)} s)   end-to-end ${((n / e2e) * 1000).toFixed(0).padStart(4)} jobs/s (${(e2e / 1000).toFixed(1)} s)`);
    console.log(rows[rows.length - 1]);
  }

  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = sh(['run', 'hostname'], env);
    if (r.status !== 0) throw new Error(`flurry run hostname failed: ${r.stderr}`);
    runs.push(r.ms);
  }
  runs.sort((a, b) => a - b);
  console.log(`flurry run hostname: median ${(runs[2]! / 1000).toFixed(3)} s (5 runs: ${runs.map((r) => (r / 1000).toFixed(3)).join(', ')})`);
  const peak = controlPlanePeakMB(instance.pid!);
  console.log(`control plane peak RSS: ${peak === undefined ? 'unknown (process not found)' : `${peak.toFixed(0)} MB`}`);
  console.log('\nFor comparison on this kind of machine (issue 3): Flux 0.88 end-to-end 34 jobs/s (1k) and 30 (10k), flux run hostname 0.17 s;');
  console.log('Slurm 22.05 tuned 65 jobs/s, srun hostname 0.04 s. Goal: >= 340 jobs/s end-to-end, no slowdown from 1k to 10k.');
} finally {
  try {
    process.kill(-instance.pid!, 'SIGINT');
  } catch {
    // already gone
  }
  await new Promise((r) => (instance.exitCode === null ? instance.once('exit', r) : r(undefined)));
  rmSync(dir, { recursive: true, force: true });
}

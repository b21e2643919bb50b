// cli.ts - runs the real `flurry` CLI bundle (bin/flurry.mjs) as a process against a test instance, as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestInstance } from './instance.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface Ran {
  out: string;
  err: string;
  code: number | null;
  /** Wall time of the process, milliseconds. */
  ms: number;
}

/**
 * `flurry ARGS` with the instance's FLURRY_URI/FLURRY_TOKEN (and no instance directory to fall back on).
 * @example const r = await runFlurry(inst, ['run', 'hostname']); expect(r.code).toBe(0)
 */
export function runFlurry(inst: Pick<TestInstance, 'env'>, args: string[], opts: { onSpawn?: (p: ChildProcess) => void } = {}): Promise<Ran> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...inst.env, FLURRY_DIR: '/nonexistent' };
  delete env.FLURRY_TOKEN_FILE;
  const t0 = performance.now();
  const p = spawn(process.execPath, [`${REPO}bin/flurry.mjs`, ...args], { cwd: '/tmp', env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout!.on('data', (d) => (out += d));
  p.stderr!.on('data', (d) => (err += d));
  opts.onSpawn?.(p);
  return new Promise((resolve) => p.on('close', (code) => resolve({ out, err, code, ms: performance.now() - t0 })));
}

// python.test.ts - runs the Python client's unittest suite (it starts its own `flurry start`), the example notebook's
// code cells top to bottom against a real instance, and checks JobspecV1.from_command against jobspecFromShape.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { jobspecFromShape, type ShapeOptions } from '../control/core/jobspec/index.ts';
import { startTestInstance, type TestInstance } from './support/instance.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const PYTHON = 'python3';
const hasPython = spawnSync(PYTHON, ['--version']).status === 0;
if (!hasPython) console.log('python3 not found: the Python client tests (client/python) and the example notebook are not run');

interface Ran {
  code: number | null;
  out: string;
}

/** The environment without anything that points a client at another instance. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of ['FLURRY_URI', 'FLURRY_TOKEN', 'FLURRY_TOKEN_FILE', 'FLURRY_DIR', 'FLURRY_TEST_DIR']) if (!(k in extra)) delete env[k];
  return env;
}

/** Runs a process to its end, stdout and stderr together; `input` goes to its stdin. */
function run(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const p = spawn(PYTHON, args, { cwd: opts.cwd ?? REPO, env: opts.env ?? cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out }));
    p.stdin.end(opts.input ?? '');
  });
}

describe('the Python client', () => {
  it('passes its unittest suite against a real `flurry start` instance', async () => {
    if (!hasPython) return;
    const r = await run(['-m', 'unittest', 'discover', '-s', 'client/python/tests', '-v']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^OK/m);
  }, 600_000);

  it('builds the same jobspecs as jobspecFromShape', async () => {
    if (!hasPython) return;
    const cases: ShapeOptions[] = [];
    for (const ntasks of [undefined, 1, 3, 4, 5])
      for (const nodes of [undefined, 1, 2, 4])
        for (const coresPerTask of [undefined, 2])
          for (const gpusPerTask of [undefined, 0, 1])
            for (const exclusive of [false, true]) cases.push({ ntasks, nodes, coresPerTask, gpusPerTask, exclusive, timeLimit: 90, env: { A: '1' }, cwd: '/tmp' });
    const script = `
import json, sys
sys.path.insert(0, "client/python")
import flurry
out = []
for c in json.load(sys.stdin):
    try:
        js = flurry.JobspecV1.from_command(["app", "x"], num_tasks=c.get("ntasks"), cores_per_task=c.get("coresPerTask", 1),
            gpus_per_task=c.get("gpusPerTask"), num_nodes=c.get("nodes"), exclusive=c["exclusive"],
            duration=c["timeLimit"], environment=c["env"], cwd=c["cwd"])
        out.append({"jobspec": js.jobspec})
    except ValueError as e:
        out.append({"error": str(e)})
print(json.dumps(out))
`;
    const r = await run(['-c', script], { input: JSON.stringify(cases) });
    expect(r.code, r.out).toBe(0);
    const got = JSON.parse(r.out) as Array<{ jobspec?: unknown; error?: string }>;
    expect(got).toHaveLength(cases.length);
    let errors = 0;
    cases.forEach((c, i) => {
      let want: unknown;
      try {
        want = jobspecFromShape(['app', 'x'], c);
      } catch {
        want = undefined;
      }
      if (want === undefined) {
        errors++;
        expect(got[i]!.error, `${JSON.stringify(c)} should be refused`).toBeDefined();
      } else {
        expect(got[i], JSON.stringify(c)).toEqual({ jobspec: want });
      }
    });
    expect(errors).toBeGreaterThan(0);
  }, 60_000);
});

describe('examples/notebook.ipynb', () => {
  let inst: TestInstance | undefined;
  afterAll(async () => inst?.stop());

  it('runs top to bottom against a real instance', async () => {
    if (!hasPython) return;
    const nb = JSON.parse(readFileSync(join(REPO, 'examples/notebook.ipynb'), 'utf8')) as {
      nbformat: number;
      cells: Array<{ cell_type: string; source: string[] | string }>;
    };
    expect(nb.nbformat).toBe(4);
    const cells = nb.cells.filter((c) => c.cell_type === 'code').map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source));
    expect(cells.length).toBeGreaterThan(3);
    for (const cell of cells) expect(cell, 'notebook cells are plain Python (no %magics or !shell)').not.toMatch(/^\s*[%!]/m);

    inst = await startTestInstance({ nodes: 2, coresPerNode: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'flurry-notebook-'));
    try {
      const file = join(dir, 'notebook.py');
      writeFileSync(file, cells.map((c, i) => `# --- cell ${i + 1}\n${c}\n`).join('\n'));
      const r = await run([file], { cwd: join(REPO, 'examples'), env: cleanEnv(inst.env) });
      expect(r.code, r.out).toBe(0);
      expect(r.out).toContain('COMPLETED returncode 0');
      expect(r.out).toContain('[1, 4, 9, 16, 25, 36, 49, 64]');
      expect(r.out).toContain('400 invalid body.urgency');
      expect(r.out).toContain("'params': {'alpha': 0.5, 'steps': [1, 2, 3]}");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

// submit.test.ts - `flurry submit --dry-run`: through the real command tree in-process, and once as a process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { validateJobspecV1 } from '../../../control/core/jobspec/index.ts';
import { runSubmit } from './submit.ts';
import { runCli } from '../testing.ts';

/** Run `flurry ARGS` in-process the way main.ts does: stdout, the "flurry: ..." line, and the exit code. */
const flurry = (...args: string[]) => runCli(args);

afterEach(() => vi.restoreAllMocks());

describe('flurry submit --dry-run', () => {
  it('prints the jobspec as indented JSON and exits 0', async () => {
    const r = await flurry('submit', '--dry-run', '-N2', '-n4', '--cwd', '/tmp', 'hostname');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\{\n {2}"version": 1,/);
    const js = validateJobspecV1(JSON.parse(r.out));
    expect(js.resources[0]).toEqual({ type: 'node', count: 2, with: [{ type: 'slot', count: 2, label: 'task', with: [{ type: 'core', count: 1 }] }] });
    expect(js.tasks[0]!.command).toEqual(['hostname']);
    expect(js.attributes.system.cwd).toBe('/tmp');
  });

  it('leaves options after the command to the command', async () => {
    const r = await flurry('submit', '--dry-run', '-N', '1', 'mpirun', '-n', '4', '--flag', 'app');
    expect(r.code).toBe(0);
    const js = JSON.parse(r.out);
    expect(js.tasks[0].command).toEqual(['mpirun', '-n', '4', '--flag', 'app']);
    expect(js.resources[0].count).toBe(1);
  });

  it('reports bad input as "flurry: <flag>: <problem>" with exit code 1', async () => {
    expect(await flurry('submit', '--dry-run', '-N', 'x', 'app')).toMatchObject({ code: 1, err: 'flurry: --nodes: must be an integer ≥ 1, not "x"\n' });
    expect(await flurry('submit', '--dry-run', '-N3', '-n2', 'app')).toMatchObject({
      code: 1,
      err: 'flurry: --nodes: must not be greater than the number of tasks (-n 2)\n',
    });
    expect((await flurry('submit', '--dry-run', '--requires', 'host:n[1-', 'app')).err).toMatch(/^flurry: --requires: invalid hostlist/);
  });

  it('without --dry-run and without an instance, says how to start one', async () => {
    const saved = { ...process.env };
    process.env.FLURRY_DIR = '/nonexistent-flurry-dir';
    for (const k of ['FLURRY_URI', 'FLURRY_TOKEN', 'FLURRY_TOKEN_FILE']) delete process.env[k];
    try {
      const r = await flurry('submit', 'app');
      expect(r.code).toBe(1);
      expect(r.err).toBe('flurry: no Flurry instance found: start one with "flurry start", or set FLURRY_URI and FLURRY_TOKEN\n');
    } finally {
      process.env = saved;
    }
  });

  it('without a command, commander explains the usage', async () => {
    const r = await flurry('submit', '--dry-run');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/missing required argument 'command'/);
  });
});

describe('runSubmit', () => {
  it('uses the context environment and directory', async () => {
    const r = await runSubmit(['env'], { dryRun: true, env: ['-*', 'A'] }, { env: { A: '1', B: '2' }, cwd: '/w' });
    expect(JSON.parse(r.out).attributes.system).toEqual({ duration: 0, environment: { A: '1' }, cwd: '/w' });
  });
});

describe('flurry submit as a process', () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const run = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await promisify(execFile)('node', ['--import', 'tsx', 'client/cli/main.ts', ...args], { cwd: root });
      return { stdout, stderr, code: 0 };
    } catch (e) {
      const x = e as { stdout: string; stderr: string; code: number };
      return { stdout: x.stdout, stderr: x.stderr, code: x.code };
    }
  };

  it('prints a jobspec, or one error line without a stack trace', async () => {
    const ok = await run('submit', '--dry-run', '-n', '2', 'true');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).resources[0].count).toBe(2);
    const bad = await run('submit', '--dry-run', '-t', 'soon', 'true');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('flurry: --time-limit: invalid time limit "soon": expected a number with an optional unit, like 30s, 1.5m, 2h, 1d or infinity\n');
  });
});

describe('submitJob (real submission)', () => {
  const base = { env: {}, cwd: '/w' };
  /** A client whose submissions answer one id per cc id, recording the requests. */
  async function recordingClient() {
    const { FlurryClient } = await import('../../sdk/client.ts');
    const bodies: Array<{ cc?: string; clientToken: string }> = [];
    const client = new FlurryClient({
      uri: 'http://flurry.test',
      token: 't',
      fetch: async (_url, init) => {
        const body = JSON.parse(init.body!);
        bodies.push(body);
        const { parseIdset } = await import('../../../control/core/idset.ts');
        const ids = (body.cc ? parseIdset(body.cc) : [0]).map((i: number) => `ƒ${i}`);
        return new Response(JSON.stringify({ ids }), { status: 201 });
      },
    });
    return { client: async () => client, bodies };
  }

  it('splits --cc into requests of at most 5,000 jobs, each with its own token, and prints ids in order', async () => {
    const { client, bodies } = await recordingClient();
    const progress: string[] = [];
    const tty = { isTTY: true, columns: 80, write: (s: string) => void progress.push(s) };
    const r = await runSubmit(['true'], { cc: '1-12000' }, { ...base, client, stderr: tty });
    expect(bodies.map((b) => b.cc).sort()).toEqual(['1-5000', '10001-12000', '5001-10000']);
    expect(new Set(bodies.map((b) => b.clientToken)).size).toBe(3);
    const ids = r.out.trim().split('\n');
    expect(ids).toHaveLength(12000);
    expect(ids[0]).toBe('ƒ1');
    expect(ids[11999]).toBe('ƒ12000');
    expect(progress.join('')).toMatch(/\rsubmit \[#+\] 12000\/12000 100% \d+\/s\n$/);
  });

  it('shows no progress bar when stderr is not a terminal or for few jobs', async () => {
    const { client } = await recordingClient();
    const lines: string[] = [];
    await runSubmit(['true'], { cc: '1-500' }, { ...base, client, stderr: { isTTY: false, write: (s: string) => void lines.push(s) } });
    await runSubmit(['true'], { cc: '1-50' }, { ...base, client, stderr: { isTTY: true, write: (s: string) => void lines.push(s) } });
    expect(lines).toEqual([]);
  });

  it('--quiet prints nothing', async () => {
    const { client } = await recordingClient();
    expect(await runSubmit(['true'], { quiet: true }, { ...base, client })).toEqual({ out: '', exitCode: 0 });
  });
});

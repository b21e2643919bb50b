// submit.test.ts - `flurry submit --dry-run`: through the real command tree in-process, and once as a process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CommanderError, type Command } from 'commander';
import { buildProgram } from '../program.ts';
import { describeFailure } from '../fail.ts';
import { validateJobspecV1 } from '../../../control/core/jobspec/index.ts';
import { runSubmit } from './submit.ts';

/** Run `flurry ARGS` in-process the way main.ts does: stdout, the "flurry: ..." line, and the exit code. */
async function flurry(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const program = buildProgram();
  const capture = (cmd: Command): void => {
    cmd.exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
    cmd.commands.forEach(capture);
  };
  capture(program);
  process.exitCode = undefined;
  let code = 0;
  try {
    await program.parseAsync(['node', 'flurry', ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode;
    else {
      const f = describeFailure(e);
      err += `flurry: ${f.message}\n`;
      code = f.exitCode;
    }
  } finally {
    write.mockRestore();
    process.exitCode = undefined;
  }
  return { out, err, code };
}

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

  it('without --dry-run explains that it needs a running instance', async () => {
    const r = await flurry('submit', 'app');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^flurry: submit: submitting a job needs a running Flurry instance.*--dry-run/);
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

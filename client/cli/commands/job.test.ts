// job.test.ts - `flurry job` group and `flurry job id`: in-process through buildProgram(), plus the real binary for stdin.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { buildProgram } from '../program.ts';
import { jobCommand } from './job.ts';
import { convertJobIds } from './job-id.ts';
import { runCli } from '../testing.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Run `flurry <argv>` in-process: what main.ts would print on stdout and stderr, and the exit code. */
const run = (argv: string[]) => runCli(argv);

/** Run the real CLI as a user would. */
function spawnCli(argv: string[], input = ''): { out: string; err: string; code: number | null } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'client/cli/main.ts', ...argv], { cwd: ROOT, input, encoding: 'utf8' });
  return { out: r.stdout, err: r.stderr, code: r.status };
}

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('flurry job', () => {
  it('lists its subcommands in --help', async () => {
    const { out, code } = await run(['job', '--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/Usage: flurry job/);
    expect(out).toMatch(/^\s+id \[options\] \[ids\.\.\.\]\s+convert job ids/m);
  });

  it('is created once, so other modules can add subcommands in any order', () => {
    const program = new Command('flurry');
    const early = jobCommand(program);
    early.command('info').description('show a job');
    const again = jobCommand(program);
    expect(again).toBe(early);
    expect(program.commands.filter((c) => c.name() === 'job')).toHaveLength(1);
    expect(again.commands.map((c) => c.name())).toEqual(['info']);
  });

  it('prints usage and fails without a subcommand', async () => {
    const { err, code } = await run(['job']);
    expect(code).toBe(1);
    expect(err).toMatch(/Usage: flurry job/);
  });
});

describe('flurry job id', () => {
  it('converts to decimal by default', async () => {
    expect(await run(['job', 'id', 'ƒuZZybuNNy'])).toEqual({ out: '6731191091817518\n', err: '', code: 0 });
  });

  it('converts every id, one per line, in order', async () => {
    const { out, code } = await run(['job', 'id', '--to=f58', '6731191091817518', '0x17e9fb8df16c2e', 'fuZZybuNNy', '0']);
    expect(code).toBe(0);
    expect(out).toBe('ƒuZZybuNNy\nƒuZZybuNNy\nƒuZZybuNNy\nƒ1\n');
  });

  it.each([
    ['f58', 'ƒuZZybuNNy'],
    ['hex', '0x17e9fb8df16c2e'],
    ['dothex', '0017.e9fb.8df1.6c2e'],
    ['dec', '6731191091817518'],
    ['words', 'reform-remote-galileo--heart-package-academy'],
  ])('--to=%s', async (to, expected) => {
    for (const from of ['ƒuZZybuNNy', '0017.e9fb.8df1.6c2e', 'reform-remote-galileo--heart-package-academy']) {
      expect((await run(['job', 'id', `--to=${to}`, from])).out).toBe(`${expected}\n`);
    }
  });

  it('fails on a bad id, naming it, and prints nothing', async () => {
    const { out, err, code } = await run(['job', 'id', 'ƒuZZybuNNy', 'xyz']);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/^flurry: invalid job id "xyz": expected a job id such as/);
  });

  it('rejects an unknown encoding', async () => {
    const { err, code } = await run(['job', 'id', '--to=emoji', '1']);
    expect(code).toBe(1);
    expect(err).toMatch(/Allowed choices are f58, hex, dothex, dec, words/);
  });

  it('convertJobIds is the whole conversion', () => {
    expect(convertJobIds(['0x0', '18446744073709551615'], 'f58')).toEqual(['ƒ1', 'ƒjpXCZedGfVQ']);
    expect(() => convertJobIds(['18446744073709551616'], 'dec')).toThrow(/larger than 64 bits/);
  });
});

describe('flurry job id, as a process', () => {
  it('reads whitespace-separated ids from stdin when given none', () => {
    const r = spawnCli(['job', 'id', '--to=hex'], ' ƒuZZybuNNy\n123\t0017.e9fb.8df1.6c2e\n\n');
    expect(r).toEqual({ out: '0x17e9fb8df16c2e\n0x7b\n0x17e9fb8df16c2e\n', err: '', code: 0 });
  });

  it('prints nothing for empty stdin', () => {
    expect(spawnCli(['job', 'id'], '')).toEqual({ out: '', err: '', code: 0 });
  });

  it('exits 1 with one line and no stack trace on a bad id', () => {
    const r = spawnCli(['job', 'id', 'nope!']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^flurry: invalid job id "nope!": [^\n]+\n$/);
  });
});

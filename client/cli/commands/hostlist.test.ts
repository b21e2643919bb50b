// hostlist.test.ts - `flurry hostlist`: every option through runHostlist, the commander wiring in-process, stdin for real.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runHostlist, type HostlistOptions } from './hostlist.ts';
import { runCli } from '../testing.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const noStdin = async (): Promise<string> => {
  throw new Error('stdin should not be read');
};
const hl = async (args: string[], opts: HostlistOptions = {}, stdin = noStdin) => runHostlist(args, opts, stdin);
const out = async (args: string[], opts: HostlistOptions = {}) => (await hl(args, opts)).out;

/** Run `flurry <argv>` in-process: what main.ts would print on stdout and stderr, and the exit code. */
const run = (argv: string[]) => runCli(argv);

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('runHostlist', () => {
  it('concatenates its arguments by default, duplicates and order kept', async () => {
    expect(await hl(['n[1-3]', 'n5', 'n4'])).toEqual({ out: 'n[1-3,5,4]\n', exitCode: 0 });
    expect(await out(['n[1-2]', 'n[2-3]'])).toBe('n[1-2,2-3]\n');
    expect(await out(['n[1-2],login', 'n3'])).toBe('n[1-2],login,n3\n');
    expect(await out([''])).toBe('\n');
  });

  it('--union, --intersect, --minus', async () => {
    expect(await out(['n[3-5]', 'n[1-4]'], { union: true })).toBe('n[1-5]\n');
    expect(await out(['n[10,9,9]', 'login'], { union: true })).toBe('login,n[9-10]\n');
    expect(await out(['n[1-5]', 'n[4-9]'], { intersect: true })).toBe('n[4-5]\n');
    expect(await out(['n[1-8]', 'n[2-3]', 'n7'], { minus: true })).toBe('n[1,4-6,8]\n');
    expect(await out(['n[1-8]'], { minus: true })).toBe('n[1-8]\n');
  });

  it('--expand with a delimiter', async () => {
    expect(await out(['n[01-03]'], { expand: true })).toBe('n01\nn02\nn03\n');
    expect(await out(['n[01-03]'], { expand: true, delimiter: ' ' })).toBe('n01 n02 n03\n');
    expect(await out(['n[1-2]'], { expand: true, delimiter: '\\t' })).toBe('n1\tn2\n');
    expect(await out([''], { expand: true })).toBe('');
  });

  it('--count', async () => {
    expect(await out(['n[0-1023],login'], { count: true })).toBe('1025\n');
    expect(await out(['n[1-2]', 'n[1-2]'], { count: true })).toBe('4\n');
    expect(await out(['n[1-2]', 'n[1-2]'], { count: true, union: true })).toBe('2\n');
  });

  it('--nth with an idset, from either end', async () => {
    expect(await out(['n[1-4]'], { nth: '0' })).toBe('n1\n');
    expect(await out(['n[1-4]'], { nth: '0,2-3' })).toBe('n[1,3-4]\n');
    expect(await out(['n[1-4]'], { nth: '-1' })).toBe('n4\n');
    expect(await out(['n[1-4]'], { nth: '-1-2' })).toBe('n[3-4]\n');
    await expect(hl(['n[1-4]'], { nth: '4' })).rejects.toThrow('--nth=4: index 4 is out of range for 4 hosts');
    await expect(hl(['n[1-4]'], { nth: '-5' })).rejects.toThrow('index -5 is out of range');
    await expect(hl(['n[1-4]'], { nth: '-0' })).rejects.toThrow('index -0 is out of range');
    await expect(hl(['n[1-4]'], { nth: 'x' })).rejects.toThrow(/invalid idset "x"/);
  });

  it('--limit, --sort, --exclude', async () => {
    expect(await out(['n[1-9]'], { limit: '3' })).toBe('n[1-3]\n');
    expect(await out(['n[1-9]'], { limit: '-2' })).toBe('n[8-9]\n');
    expect(await out(['n[1-2]'], { limit: '5' })).toBe('n[1-2]\n');
    await expect(hl(['n1'], { limit: 'x' })).rejects.toThrow('--limit=x: expected an integer');
    expect(await out(['n[10,2,1]', 'a'], { sort: true })).toBe('a,n[1-2,10]\n');
    expect(await out(['n[1-4]'], { exclude: '0,2' })).toBe('n[2,4]\n');
    expect(await out(['n[1-4]'], { exclude: 'n[2-3],zz' })).toBe('n[1,4]\n');
    expect(await out(['n[1-4]', 'n2'], { exclude: 'n2' })).toBe('n[1,3-4]\n');
  });

  it('--quiet prints nothing and reports emptiness in the exit code', async () => {
    expect(await hl(['n1'], { quiet: true })).toEqual({ out: '', exitCode: 0 });
    expect(await hl(['n1', 'n2'], { quiet: true, intersect: true })).toEqual({ out: '', exitCode: 1 });
  });

  it('reads stdin for "-" or when given no hostlist', async () => {
    const stdin = async () => 'n1 n2\nn[3-4]\n';
    expect((await hl([], {}, stdin)).out).toBe('n[1-4]\n');
    expect((await hl(['login', '-'], {}, stdin)).out).toBe('login,n[1-4]\n');
    expect((await hl(['n[1-9]', '-'], { minus: true }, stdin)).out).toBe('n[5-9]\n');
  });

  it('refuses contradictory options', async () => {
    await expect(hl(['a'], { intersect: true, minus: true })).rejects.toThrow('--intersect and --minus cannot be combined');
    await expect(hl(['a'], { expand: true, count: true })).rejects.toThrow('--expand and --count cannot be combined');
    await expect(hl(['a'], { nth: '0', limit: '1' })).rejects.toThrow('--nth and --limit cannot be combined');
  });

  it('reports bad hostlists', async () => {
    await expect(hl(['n[1-'])).rejects.toThrow('invalid hostlist "n[1-": "[" at 2 is never closed');
  });
});

describe('flurry hostlist (commander wiring)', () => {
  it('parses short and long options', async () => {
    expect(await run(['hostlist', '-u', 'n[3-5]', 'n[1-4]'])).toEqual({ out: 'n[1-5]\n', err: '', code: 0 });
    expect((await run(['hostlist', '-e', '-d', ',', 'n[1-3]'])).out).toBe('n1,n2,n3\n');
    expect((await run(['hostlist', '-n', '-1', 'n[1-3]'])).out).toBe('n3\n');
    expect((await run(['hostlist', '--nth=-1', 'n[1-3]'])).out).toBe('n3\n');
    expect((await run(['hostlist', '-L', '-1', 'n[1-3]'])).out).toBe('n3\n');
    expect((await run(['hostlist', '-c', '-x', '0', 'n[1-3]'])).out).toBe('2\n');
  });

  it('sets the exit code for --quiet', async () => {
    expect(await run(['hostlist', '-q', '-i', 'a', 'b'])).toEqual({ out: '', err: '', code: 1 });
  });

  it('has examples in --help', async () => {
    const { out: help, code } = await run(['hostlist', '--help']);
    expect(code).toBe(0);
    expect(help).toMatch(/Examples:/);
    expect(help).toMatch(/--union 'n\[3-5\]' 'n\[1-4\]'\n\s+n\[1-5\]/);
  });

  it('reports errors as one line', async () => {
    expect(await run(['hostlist', 'a[1]b[2]'])).toEqual({
      out: '',
      err: 'flurry: invalid hostlist "a[1]b[2]": "a[1]b[2]" has a second "[": one [idlist] per host expression\n',
      code: 1,
    });
  });
});

describe('flurry hostlist, as a process', () => {
  const spawnCli = (argv: string[], input: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'client/cli/main.ts', ...argv], { cwd: ROOT, input, encoding: 'utf8' });

  it('compresses hosts read from stdin', () => {
    const r = spawnCli(['hostlist'], 'n1\nn2\nn3\nlogin\n');
    expect([r.stdout, r.stderr, r.status]).toEqual(['n[1-3],login\n', '', 0]);
  });

  it('exits 1 with one line on a bad --nth', () => {
    const r = spawnCli(['hostlist', '--nth=7', 'n[1-3]'], '');
    expect([r.stdout, r.stderr, r.status]).toEqual(['', 'flurry: --nth=7: index 7 is out of range for 3 hosts\n', 1]);
  });
});

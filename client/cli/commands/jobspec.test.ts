// jobspec.test.ts - `flurry jobspec validate`: per-file report, exit codes, --canonical, stdin.
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runValidate } from './jobspec.ts';
import { runCli } from '../testing.ts';

const V1 = `version: 1
resources:
  - type: slot
    count: 2
    label: task
    with: [{ type: core, count: 1 }]
tasks:
  - command: [hostname]
    slot: task
    count: { per_slot: 1 }
attributes:
  system: { duration: 60 }
`;
const CANONICAL_ONLY = V1.replace('version: 1', 'version: 2').replace('count: 2', 'count: "2+"');

const dir = mkdtempSync(join(tmpdir(), 'flurry-jobspec-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const good = file('good.yaml', V1);
const goodJson = file('good.json', JSON.stringify({ version: 1, resources: [{ type: 'slot', count: 1, label: 's', with: [{ type: 'core', count: 1 }] }], tasks: [{ command: ['a'], slot: 's', count: { total: 1 } }], attributes: { system: { duration: 0 } } }));
const bad = file('bad.yaml', V1.replace('count: 1 }', 'count: 0 }'));
const broken = file('broken.yaml', 'foo: bar: baz\n');
const canonical = file('canonical.yaml', CANONICAL_ONLY);
mkdirSync(join(dir, 'sub'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const flurry = (...args: string[]) => runCli(args);

describe('flurry jobspec validate', () => {
  it('prints FILE: ok for each valid file and exits 0', async () => {
    expect(await flurry('jobspec', 'validate', good, goodJson)).toEqual({ out: `${good}: ok\n${goodJson}: ok\n`, err: '', code: 0 });
  });

  it('prints FILE: <error> for invalid files, keeps going, and exits 1', async () => {
    const r = await flurry('jobspec', 'validate', bad, good, broken, join(dir, 'missing.yaml'), join(dir, 'sub'));
    expect(r.code).toBe(1);
    expect(r.out.split('\n')).toEqual([
      `${bad}: resources[0].with[0].count: must be an integer ≥ 1`,
      `${good}: ok`,
      `${broken}: line 1, column 6: invalid YAML/JSON: Nested mappings are not allowed in compact mappings`,
      `${join(dir, 'missing.yaml')}: cannot read: no such file`,
      `${join(dir, 'sub')}: cannot read: is a directory`,
      '',
    ]);
  });

  it('--canonical validates as RFC 14', async () => {
    expect((await flurry('jobspec', 'validate', canonical)).out).toBe(`${canonical}: version: must be 1\n`);
    expect(await flurry('jobspec', 'validate', '--canonical', canonical, good)).toMatchObject({ code: 0 });
  });

  it('needs at least one file', async () => {
    const r = await flurry('jobspec', 'validate');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/missing required argument 'file'/);
  });
});

describe('runValidate', () => {
  it('reads "-" from stdin', async () => {
    const io = { readFile: () => '', readStdin: async () => V1 };
    expect(await runValidate(['-'], {}, io)).toEqual({ out: '-: ok\n', exitCode: 0 });
    const io2 = { readFile: () => '', readStdin: async () => '[]' };
    expect(await runValidate(['-'], {}, io2)).toEqual({
      out: '-: a jobspec must be a mapping with version, resources, tasks and attributes\n',
      exitCode: 1,
    });
  });
});

describe('flurry jobspec validate as a process', () => {
  it('reads stdin', async () => {
    const root = fileURLToPath(new URL('../../../', import.meta.url));
    const result = await new Promise<{ stdout: string; code: number }>((resolve) => {
      const child = execFile('node', ['--import', 'tsx', 'client/cli/main.ts', 'jobspec', 'validate', '-'], { cwd: root }, (e, stdout) =>
        resolve({ stdout, code: e ? Number((e as { code?: number }).code) : 0 }),
      );
      child.stdin!.end(V1.replace('duration: 60', 'duration: -1'));
    });
    expect(result).toEqual({ stdout: '-: attributes.system.duration: must be a number of seconds ≥ 0\n', code: 1 });
  });
});

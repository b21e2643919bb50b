// kvs-dir.ts - the listing `flurry kvs` commands, as Flux's: ls (-R, -d, -F, -1, -w), dir (-R, -d, -w) and
// readlink (-o, -k). Invariants: a listing is one consistent read of the namespace; ls prints names relative to
// the directory listed, dir full keys.
import type { Command } from 'commander';
import { basename } from '../../../control/kvs/path.ts';
import { isFlurryApiError } from '../../sdk/errors.ts';
import type { KvsDirEntry } from '../../sdk/kvs.ts';
import { CliError } from '../fail.ts';
import { columns, dirLine, fit } from './kvs-format.ts';
import { kvsAction, namespaceOption, type KvsContext } from './kvs.ts';

export interface LsOptions {
  recursive?: boolean;
  directory?: boolean;
  classify?: boolean;
  one?: boolean;
  width?: string;
}

const suffix = (e: Pick<KvsDirEntry, 'entry'>, classify?: boolean) => (!classify ? '' : e.entry.type === 'dir' ? '.' : e.entry.type === 'symlink' ? '@' : '');

/**
 * `flurry kvs ls [KEY...]`: the names in each directory (the root by default); a value is listed as itself.
 * @example await runLs(ctx, ['a'], { one: true }) // "b\nc\n"
 */
export async function runLs(ctx: KvsContext, keys: string[], o: LsOptions): Promise<number> {
  const targets = keys.length ? keys : ['.'];
  const width = widthOf(o.width, ctx.io.columns ?? 80);
  const block = (names: string[]) => (o.one || ctx.io.columns === undefined ? names.map((n) => `${n}\n`).join('') : columns(names, width));
  const sections: Array<{ title: string; names: string[] }> = [];
  const files: string[] = [];
  for (const key of targets) {
    if (o.directory) {
      const r = await ctx.client.lookup(ctx.ns, key, { readlink: true }).catch(() => ctx.client.lookup(ctx.ns, key, { readdir: true, values: false }).catch(() => ctx.client.lookup(ctx.ns, key)));
      files.push(`${key}${suffix(r, o.classify)}`);
      continue;
    }
    const dir = await ctx.client.lookup(ctx.ns, key, { readdir: true, recursive: !!o.recursive, values: false }).catch((err: unknown) => {
      if (isFlurryApiError(err, 'invalid') && /not a directory$/.test(err.message)) return undefined;
      throw err;
    });
    if (!dir) {
      files.push(key);
      continue;
    }
    const entries = dir.entries ?? [];
    const dirs = o.recursive ? [dir.key, ...entries.filter((e) => e.entry.type === 'dir').map((e) => e.key)] : [dir.key];
    for (const d of dirs) {
      const depth = d === '.' ? 0 : d.split('.').length;
      const children = entries.filter((e) => (d === '.' || e.key.startsWith(`${d}.`)) && e.key.split('.').length === depth + 1);
      sections.push({ title: d === dir.key ? key : d, names: children.map((e) => `${basename(e.key)}${suffix(e, o.classify)}`) });
    }
  }
  const titled = sections.length + (files.length ? 1 : 0) > 1 || !!o.recursive;
  const parts: string[] = [];
  if (files.length) parts.push(block(files));
  for (const s of sections) parts.push(`${titled ? `${s.title}:\n` : ''}${block(s.names)}`);
  ctx.io.out(parts.join('\n'));
  return 0;
}

/**
 * `flurry kvs dir [KEY]`: every key of a directory with its value, `key.` for subdirectories (their contents too
 * with -R), `key -> target` for links; lines cut to the terminal width (-w, 0: no limit).
 */
export async function runDir(ctx: KvsContext, key: string | undefined, o: { recursive?: boolean; directory?: boolean; width?: string }): Promise<number> {
  const width = widthOf(o.width, ctx.io.columns ?? 0);
  const dir = await ctx.client.lookup(ctx.ns, key ?? '.', { readdir: true, recursive: !!o.recursive, values: !o.directory });
  const lines = (dir.entries ?? []).filter((e) => !(o.recursive && e.entry.type === 'dir')).map((e) => fit(dirLine(e, !o.directory), width));
  ctx.io.out(lines.map((l) => `${l}\n`).join(''));
  return 0;
}

/** `flurry kvs readlink KEY...`: the target of each link, `NS::KEY` when it points into another namespace. */
export async function runReadlink(ctx: KvsContext, keys: string[], o: { namespaceOnly?: boolean; keyOnly?: boolean }): Promise<number> {
  if (o.namespaceOnly && o.keyOnly) throw new CliError('readlink: -o and -k cannot be combined');
  for (const key of keys) {
    const { entry } = await ctx.client.lookup(ctx.ns, key, { readlink: true });
    if (entry.type !== 'symlink') throw new CliError(`${key}: not a symbolic link`);
    const line = o.namespaceOnly ? (entry.namespace ?? '') : o.keyOnly || !entry.namespace ? entry.target : `${entry.namespace}::${entry.target}`;
    ctx.io.out(`${line}\n`);
  }
  return 0;
}

function widthOf(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`--width: must be a whole number of columns, not "${text}"`);
  return n;
}

export function registerKvsDir(kvs: Command): void {
  kvs
    .command('ls')
    .description('list directories (like flux kvs ls)')
    .argument('[key...]', 'directories (default: the root, ".")')
    .addOption(namespaceOption())
    .option('-R, --recursive', 'list subdirectories too')
    .option('-d, --directory', 'list directories themselves, not their contents')
    .option('-F, --classify', 'mark directories with "." and links with "@"')
    .option('-1, --one', 'one name per line')
    .option('-w, --width <COLS>', 'the width to fill with columns')
    .addHelpText('after', '\nExamples:\n  $ flurry kvs ls\n  $ flurry kvs ls -R -F a\n  $ flurry kvs ls -N job-ƒ2MU1GM7V\n')
    .action(kvsAction<LsOptions>((ctx, keys, o) => runLs(ctx, keys, o)));

  kvs
    .command('dir')
    .description('print the keys of a directory with their values (like flux kvs dir)')
    .argument('[key]', 'the directory (default: the root, ".")')
    .addOption(namespaceOption())
    .option('-R, --recursive', 'descend into subdirectories')
    .option('-d, --directory', 'print keys only, not values')
    .option('-w, --width <COLS>', 'cut lines to COLS characters (0: no limit; default the terminal width)')
    .addHelpText('after', '\nExamples:\n  $ flurry kvs dir -R\n  a.b = 42\n  a.s = hello\n  $ flurry kvs dir -w 0 a\n')
    .action(kvsAction<{ recursive?: boolean; directory?: boolean; width?: string }>((ctx, [key], o) => runDir(ctx, key, o)));

  kvs
    .command('readlink')
    .description('print what links point to')
    .argument('<key...>', 'keys that are links')
    .addOption(namespaceOption())
    .option('-o, --namespace-only', 'print only the namespace of the target')
    .option('-k, --key-only', 'print only the key of the target')
    .addHelpText('after', '\nExamples:\n  $ flurry kvs link -T job-ƒ2MU1GM7V result last\n  $ flurry kvs readlink last\n  job-ƒ2MU1GM7V::result\n')
    .action(kvsAction<{ namespaceOnly?: boolean; keyOnly?: boolean }>((ctx, keys, o) => runReadlink(ctx, keys, o)));
}

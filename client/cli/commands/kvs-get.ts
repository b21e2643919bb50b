// kvs-get.ts - `flurry kvs get` (Flux's flags: -r raw, -t tree object, -l key=, -W wait for creation, -w watch,
// -c count, -u only changes, -A only appends) and `flurry kvs watch` (get -w). Invariants: a watch prints the value
// after every commit that touches the key, in commit order, none skipped (it resumes from the version it saw).
import type { Command } from 'commander';
import { isFlurryApiError } from '../../sdk/errors.ts';
import { base64Bytes, entryText, type KvsChange, type KvsEntry } from '../../sdk/kvs.ts';
import { CliError } from '../fail.ts';
import { printable, toBase64, toTreeobj } from './kvs-format.ts';
import { kvsAction, namespaceOption, parseCount, type KvsContext } from './kvs.ts';

export interface GetOptions {
  raw?: boolean;
  treeobj?: boolean;
  label?: boolean;
  waitcreate?: boolean;
  watch?: boolean;
  count?: number;
  uniq?: boolean;
  append?: boolean;
}

/**
 * `flurry kvs get KEY...`: each value on its own line; with -w/-W, follows one key. Returns the exit code.
 * @example await runGet(ctx, ['a.b'], {})  // prints "42\n"
 */
export async function runGet(ctx: KvsContext, keys: string[], o: GetOptions): Promise<number> {
  if (o.raw && o.treeobj) throw new CliError('get: -r and -t cannot be combined');
  if (o.watch || o.waitcreate) {
    if (keys.length !== 1) throw new CliError('get: -w and -W follow one key');
    return follow(ctx, keys[0]!, { ...o, count: o.watch ? o.count : 1 });
  }
  for (const key of keys) {
    if (o.treeobj) {
      ctx.io.out(`${JSON.stringify(await treeobjOf(ctx, key))}\n`);
      continue;
    }
    const r = await ctx.client.lookup(ctx.ns, key);
    show(ctx, key, r.entry, o);
  }
  return 0;
}

async function treeobjOf(ctx: KvsContext, key: string): Promise<unknown> {
  try {
    return toTreeobj((await ctx.client.lookup(ctx.ns, key)).entry);
  } catch (err) {
    if (!isFlurryApiError(err, 'invalid') || !/is a directory$/.test(err.message)) throw err;
    const dir = await ctx.client.lookup(ctx.ns, key, { readdir: true, recursive: true });
    return toTreeobj(dir.entry, dir.entries, dir.key);
  }
}

function show(ctx: KvsContext, key: string, entry: KvsEntry | string, o: GetOptions): void {
  const value = typeof entry === 'string' ? entry : printable(entry, !!o.raw);
  if (o.label) ctx.io.out(`${key}=`);
  ctx.io.out(o.label && value === '' ? '\n' : value);
}

/** Prints the key's value now (or once it exists) and after each change, until `count` values were printed. */
async function follow(ctx: KvsContext, key: string, o: GetOptions): Promise<number> {
  const { client, ns, io } = ctx;
  const limit = o.count ?? Infinity;
  let printed = 0;
  let value: KvsEntry | undefined;
  let last: string | undefined;
  const emit = (shown: KvsEntry | string): boolean => {
    const text = typeof shown === 'string' ? shown : entryText(shown);
    if (o.uniq && text === last) return false;
    last = text;
    show(ctx, key, o.treeobj && typeof shown !== 'string' ? `${JSON.stringify(toTreeobj(shown))}\n` : shown, o);
    return ++printed >= limit;
  };
  // Read the version first: whatever happens after it, the watch below sees.
  let after = await client.version(ns);
  try {
    const r = await client.lookup(ns, key);
    value = r.entry;
    after = r.version;
    if (emit(value)) return 0;
  } catch (err) {
    if (!isFlurryApiError(err, 'not_found') || !o.waitcreate || !/no such key$/.test(err.message)) throw err;
  }
  for (;;) {
    const page = await client.watch(ns, key, after, { signal: io.signal });
    for (const change of page.changes) {
      const before = value;
      value = apply(value, change);
      if (value === undefined) {
        if (!o.waitcreate) throw new CliError(`${key}: removed`);
        continue;
      }
      if (o.append && change.op === 'append' && before !== undefined) {
        if (emit(change.data)) return 0;
      } else if (emit(value)) {
        return 0;
      }
    }
    after = page.version;
  }
}

/** The value after one change. */
export function apply(value: KvsEntry | undefined, change: KvsChange): KvsEntry | undefined {
  if (change.op === 'set') return change.entry;
  if (change.op === 'unlink') return undefined;
  const add = change.data;
  if (value?.type === 'json' && typeof value.value === 'string' && add.type === 'json') return { type: 'json', value: value.value + String(add.value ?? '') };
  if (value === undefined) return add;
  const bytes = (e: KvsEntry) => (e.type === 'raw' ? base64Bytes(e.data ?? '') : new TextEncoder().encode(entryText(e)));
  const a = bytes(value);
  const b = bytes(add);
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return { type: 'raw', data: toBase64(out) };
}

const GET_EXAMPLES = `
Examples:
  $ flurry kvs put a.b=42 && flurry kvs get a.b
  42
  $ flurry kvs get -l a.b a.c         # a.b=42 ...
  $ flurry kvs get -r blob > file     # the bytes as stored
  $ flurry kvs get -t a               # the RFC 11 tree object of a directory
  $ flurry kvs get -W -N job-ƒ2MU1GM7V done   # wait until the key exists
  $ flurry kvs get -w -c 3 counter    # the value now and after the next two changes
`;

export function registerKvsGet(kvs: Command): void {
  const add = (cmd: Command) =>
    cmd
      .addOption(namespaceOption())
      .option('-r, --raw', 'print the value as stored, with no newline')
      .option('-t, --treeobj', 'print the RFC 11 tree object')
      .option('-l, --label', 'print KEY= before the value')
      .option('-W, --waitcreate', 'if the key does not exist, wait until it is created')
      .option('-c, --count <N>', 'with -w: stop after N values', parseCount)
      .option('-u, --uniq', 'with -w: print only values that differ from the last one')
      .option('-A, --append', 'with -w: after the first value, print only what is appended');
  add(kvs.command('get').description('print the values of keys (like flux kvs get)').argument('<key...>', 'dotted keys'))
    .option('-w, --watch', 'after the value, print it again each time it changes (until -c values or Ctrl-C)')
    .addHelpText('after', GET_EXAMPLES)
    .action(kvsAction<GetOptions>((ctx, keys, o) => runGet(ctx, keys, o)));
  add(kvs.command('watch').description('print a value now and each time it changes (get -w)').argument('<key>', 'a dotted key'))
    .addHelpText('after', '\nExamples:\n  $ flurry kvs watch -c 5 progress\n  $ flurry kvs watch -W -N job-ƒ2MU1GM7V result\n')
    .action(kvsAction<GetOptions>((ctx, keys, o) => runGet(ctx, keys, { ...o, watch: true })));
}

// kvs-write.ts - the writing `flurry kvs` commands, each one transaction (all or nothing), as Flux's: put (-r raw,
// -t tree object, -A append), unlink (-R, -f), link (-T), mkdir, copy and move (-S/-D namespaces); -s prints the
// version committed. Invariant: every argument is checked before anything is sent.
import type { Command } from 'commander';
import { parseNsKey } from '../../../control/kvs/path.ts';
import { isFlurryApiError } from '../../sdk/errors.ts';
import type { KvsOp } from '../../sdk/kvs.ts';
import { CliError } from '../fail.ts';
import { putValue, splitPair, toBase64, treeobjOps } from './kvs-format.ts';
import { kvsAction, namespaceOption, type KvsContext } from './kvs.ts';

export interface PutOptions {
  raw?: boolean;
  treeobj?: boolean;
  append?: boolean;
  sequence?: boolean;
}

/**
 * `flurry kvs put KEY=VALUE...`: all pairs in one transaction.
 * @example await runPut(ctx, ['a=1', 'b=hello'], {}) // a is the number 1, b the string "hello"
 */
export async function runPut(ctx: KvsContext, pairs: string[], o: PutOptions): Promise<number> {
  if (o.raw && o.treeobj) throw new CliError('put: -r and -t cannot be combined');
  if (o.append && o.treeobj) throw new CliError('put: -A and -t cannot be combined');
  const ops: KvsOp[] = [];
  let stdinUsed = false;
  for (const arg of pairs) {
    const { key, value } = splitPair(arg);
    let text = value;
    let bytes: Uint8Array | undefined;
    if ((o.raw || o.treeobj) && value === '-') {
      if (stdinUsed) throw new CliError('put: only one value can be read from standard input');
      stdinUsed = true;
      bytes = await ctx.io.stdin();
      text = new TextDecoder().decode(bytes);
    }
    if (o.treeobj) {
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch {
        throw new CliError(`put: ${key}: -t needs an RFC 11 tree object in JSON`);
      }
      ops.push(...treeobjOps(key, obj));
    } else if (o.raw) {
      const data = toBase64(bytes ?? new TextEncoder().encode(text));
      ops.push(o.append ? { op: 'append', key, data } : { op: 'put', key, data });
    } else {
      ops.push(o.append ? { op: 'append', key, value: text } : { op: 'put', key, value: putValue(text) });
    }
  }
  return commit(ctx, ops, o.sequence);
}

/** Commits `ops` and prints the version with -s. */
async function commit(ctx: KvsContext, ops: KvsOp[], sequence?: boolean): Promise<number> {
  const { version } = await ctx.client.commit(ctx.ns, ops);
  if (sequence) ctx.io.out(`${version}\n`);
  return 0;
}

/**
 * `flurry kvs copy|move SRC DST`: the source (a value, a link, or a directory with all below it) written at the
 * destination in one transaction; move then unlinks the source (in the same transaction within one namespace).
 */
export async function runCopy(ctx: KvsContext, src: string, dst: string, o: { srcNamespace?: string; dstNamespace?: string; move?: boolean }): Promise<number> {
  const from = o.srcNamespace ?? ctx.ns;
  const to = o.dstNamespace ?? ctx.ns;
  const ops: KvsOp[] = [];
  const dir = await ctx.client.lookup(from, src, { readdir: true, recursive: true }).catch((err: unknown) => {
    if (isFlurryApiError(err, 'invalid') && /not a directory$/.test(err.message)) return undefined;
    throw err;
  });
  if (dir) {
    ops.push({ op: 'mkdir', key: dst });
    for (const e of dir.entries ?? []) ops.push(...writeOps(`${dst}${e.key.slice(dir.key.length)}`, e.entry));
  } else {
    const link = await ctx.client.lookup(from, src, { readlink: true }).catch(() => undefined);
    ops.push(...writeOps(dst, (link ?? (await ctx.client.lookup(from, src))).entry));
  }
  const unlink: KvsOp = { op: 'unlink', key: src, recursive: true };
  if (o.move && from === to) ops.push(unlink);
  await ctx.client.commit(to, ops);
  if (o.move && from !== to) await ctx.client.commit(from, [unlink]);
  return 0;
}

function writeOps(key: string, e: import('../../sdk/kvs.ts').KvsEntry): KvsOp[] {
  switch (e.type) {
    case 'dir':
      return [{ op: 'mkdir', key }];
    case 'symlink':
      return [{ op: 'link', key, target: e.target, ...(e.namespace ? { namespace: e.namespace } : {}) }];
    case 'raw':
      return [{ op: 'put', key, data: e.data ?? '' }];
    case 'json':
      return [{ op: 'put', key, value: e.value ?? null }];
  }
}

const PUT_EXAMPLES = `
Examples:
  $ flurry kvs put a.b=42 a.c='{"x": [1, 2]}' a.d=hello   # JSON when it parses, else a string
  $ flurry kvs put -r blob=- < data.bin                    # raw bytes from standard input
  $ flurry kvs put -A log="line 1"                         # append
  $ flurry kvs put -t a='{"ver":1,"type":"val","data":"NDI="}'
  $ flurry kvs put -N job-ƒ2MU1GM7V -s result=ok          # prints the version committed
`;

export function registerKvsWrite(kvs: Command): void {
  kvs
    .command('put')
    .description('store values under keys, in one transaction (like flux kvs put)')
    .argument('<key=value...>', 'keys and values')
    .addOption(namespaceOption())
    .option('-r, --raw', 'store the value as raw bytes ("-": standard input)')
    .option('-t, --treeobj', 'the value is an RFC 11 tree object (val, dir or symlink)')
    .option('-A, --append', 'append the value instead of replacing it')
    .option('-s, --sequence', 'print the version committed')
    .addHelpText('after', PUT_EXAMPLES)
    .action(kvsAction<PutOptions>((ctx, pairs, o) => runPut(ctx, pairs, o)));

  kvs
    .command('unlink')
    .description('remove keys, in one transaction')
    .argument('<key...>', 'dotted keys')
    .addOption(namespaceOption())
    .option('-R, --recursive', 'remove directories and everything below them')
    .option('-f, --force', 'ignore keys that do not exist')
    .option('-s, --sequence', 'print the version committed')
    .addHelpText('after', '\nExamples:\n  $ flurry kvs unlink a.b\n  $ flurry kvs unlink -R a\n  $ flurry kvs unlink -f maybe.there\n')
    .action(
      kvsAction<{ recursive?: boolean; force?: boolean; sequence?: boolean }>((ctx, keys, o) =>
        commit(ctx, keys.map((key) => ({ op: 'unlink', key, recursive: !!o.recursive, force: !!o.force })), o.sequence),
      ),
    );

  kvs
    .command('link')
    .description('make LINKNAME a symbolic link to TARGET (which need not exist)')
    .argument('<target>', 'the key linked to (NS::KEY for another namespace)')
    .argument('<linkname>', 'the key of the link')
    .addOption(namespaceOption())
    .option('-T, --target-namespace <NAME>', "the target's namespace")
    .option('-s, --sequence', 'print the version committed')
    .addHelpText('after', '\nExamples:\n  $ flurry kvs link a.b alias\n  $ flurry kvs link -T job-ƒ2MU1GM7V result jobs.last\n')
    .action(
      kvsAction<{ targetNamespace?: string; sequence?: boolean }>((ctx, [target, name], o) => {
        const t = parseNsKey(target!);
        const namespace = o.targetNamespace ?? t.namespace;
        return commit(ctx, [{ op: 'link', key: name!, target: t.key, ...(namespace ? { namespace } : {}) }], o.sequence);
      }),
    );

  kvs
    .command('mkdir')
    .description('make empty directories (replacing what is there, as Flux does)')
    .argument('<key...>', 'dotted keys')
    .addOption(namespaceOption())
    .option('-s, --sequence', 'print the version committed')
    .addHelpText('after', '\nExamples:\n  $ flurry kvs mkdir results results.raw\n')
    .action(kvsAction<{ sequence?: boolean }>((ctx, keys, o) => commit(ctx, keys.map((key) => ({ op: 'mkdir', key })), o.sequence)));

  for (const move of [false, true]) {
    kvs
      .command(move ? 'move' : 'copy')
      .description(move ? 'move a key or directory (copy, then unlink the source)' : 'copy a key or a directory with everything below it')
      .argument('<source>', 'dotted key')
      .argument('<destination>', 'dotted key')
      .addOption(namespaceOption())
      .option('-S, --src-namespace <NAME>', "the source's namespace")
      .option('-D, --dst-namespace <NAME>', "the destination's namespace")
      .addHelpText('after', `\nExamples:\n  $ flurry kvs ${move ? 'move' : 'copy'} a.b a.c\n  $ flurry kvs ${move ? 'move' : 'copy'} -S job-ƒ2MU1GM7V -D primary application results.ƒ2MU1GM7V\n`)
      .action(kvsAction<{ srcNamespace?: string; dstNamespace?: string }>((ctx, [src, dst], o) => runCopy(ctx, src!, dst!, { ...o, move })));
  }
}

// kvs-namespace.ts - `flurry kvs namespace create|remove|list`, `flurry kvs version` and `flurry kvs wait`, as
// Flux's. Invariants: create/remove try every name given and report each failure (exit 1 if any); wait blocks
// until the version is reached, one bounded long poll after another.
import type { Command } from 'commander';
import { CliError } from '../fail.ts';
import { kvsAction, namespaceOption, type KvsContext } from './kvs.ts';

/** Runs `fn` on each name; failures are reported on stderr, one line each. */
async function eachName(ctx: KvsContext, names: string[], what: string, fn: (name: string) => Promise<unknown>): Promise<number> {
  let failed = 0;
  for (const name of names) {
    try {
      await fn(name);
    } catch (err) {
      failed++;
      ctx.io.err(`flurry-kvs: namespace ${what} ${name}: ${(err as Error).message}\n`);
    }
  }
  return failed ? 1 : 0;
}

/** `flurry kvs namespace list`: NAMESPACE and OWNER columns. */
export async function runNamespaceList(ctx: KvsContext): Promise<number> {
  const list = await ctx.client.namespaces();
  const w = Math.max(9, ...list.map((n) => n.name.length));
  ctx.io.out([`${'NAMESPACE'.padEnd(w)} OWNER`, ...list.map((n) => `${n.name.padEnd(w)} ${n.owner}`)].map((l) => `${l}\n`).join(''));
  return 0;
}

/**
 * `flurry kvs wait VERSION`: returns once the namespace has had at least VERSION commits.
 * @example await runWait(ctx, '12') // prints nothing, returns 0 once version ≥ 12
 */
export async function runWait(ctx: KvsContext, text: string): Promise<number> {
  const version = Number(text);
  if (!Number.isInteger(version) || version < 0) throw new CliError(`wait: "${text}" is not a version (a whole number)`);
  for (;;) {
    const r = await ctx.client.waitVersion(ctx.ns, version, { signal: ctx.io.signal });
    if (r.reached) return 0;
  }
}

export function registerKvsNamespace(kvs: Command): void {
  const ns = kvs
    .command('namespace')
    .description('create, remove and list namespaces (run "flurry kvs namespace <command> --help")')
    .addHelpText('after', '\nExamples:\n  $ flurry kvs namespace create -o bob team\n  $ flurry kvs namespace list\n');
  ns.command('create')
    .description('create namespaces (instance owner; anyone for the namespace of their own job, job-<id>)')
    .argument('<name...>', 'namespace names')
    .option('-o, --owner <USER>', 'the user who owns them (default: you)')
    .addHelpText('after', '\nExamples:\n  $ flurry kvs namespace create scratch\n  $ flurry kvs namespace create -o bob team\n')
    .action(kvsAction<{ owner?: string }>((ctx, names, o) => eachName(ctx, names, 'create', (n) => ctx.client.createNamespace(n, o.owner))));
  ns.command('remove')
    .description('remove namespaces and everything in them')
    .argument('<name...>', 'namespace names')
    .addHelpText('after', '\nExamples:\n  $ flurry kvs namespace remove scratch\n')
    .action(kvsAction((ctx, names) => eachName(ctx, names, 'remove', (n) => ctx.client.removeNamespace(n))));
  ns.command('list')
    .description('list namespaces (all for the instance owner, else your own)')
    .addHelpText('after', '\nExamples:\n  $ flurry kvs namespace list\n  NAMESPACE OWNER\n  primary   (instance owner)\n')
    .action(kvsAction((ctx) => runNamespaceList(ctx)));

  kvs
    .command('version')
    .description("print the namespace's version: the number of commits it has had")
    .addOption(namespaceOption())
    .addHelpText('after', '\nExamples:\n  $ flurry kvs version\n  17\n')
    .action(
      kvsAction(async (ctx) => {
        ctx.io.out(`${await ctx.client.version(ctx.ns)}\n`);
      }),
    );
  kvs
    .command('wait')
    .description('block until the namespace reaches a version')
    .argument('<version>', 'a version, as `flurry kvs version` or `put -s` print it')
    .addOption(namespaceOption())
    .addHelpText('after', '\nExamples:\n  $ flurry kvs put -s a=1         # on one node: prints the version, say 42\n  42\n  $ flurry kvs wait 42            # on another: a=1 is visible once this returns\n')
    .action(kvsAction((ctx, [version]) => runWait(ctx, version!)));
}

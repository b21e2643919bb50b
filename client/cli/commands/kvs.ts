// kvs.ts - the `flurry kvs` command group (Flux's `flux kvs`): what its subcommands share (the -N namespace option,
// the client, output) and the registration of each subcommand module. Invariants: the namespace is -N, else
// $FLURRY_KVS_NAMESPACE, else `primary` (as Flux reads FLUX_KVS_NAMESPACE); every subcommand has an example in --help.
import { Option, type Command } from 'commander';
import { KvsClient } from '../../sdk/kvs.ts';
import { CliError } from '../fail.ts';
import { findInstance, nodeFetch, type InstanceOptions } from '../instance.ts';
import { registerKvsDir } from './kvs-dir.ts';
import { registerKvsEventlog } from './kvs-eventlog.ts';
import { registerKvsGet } from './kvs-get.ts';
import { registerKvsNamespace } from './kvs-namespace.ts';
import { registerKvsWrite } from './kvs-write.ts';

/** Where a subcommand writes; tests capture it. */
export interface KvsIo {
  out(text: string | Uint8Array): void;
  err(text: string): void;
  /** All of standard input (for `put -r key=-`). */
  stdin(): Promise<Uint8Array>;
  /** Output is a terminal this many columns wide (undefined: not a terminal). */
  columns?: number;
  signal?: AbortSignal;
}

/** The process's standard streams. */
export const processIo = (): KvsIo => ({
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return new Uint8Array(Buffer.concat(chunks));
  },
  columns: process.stdout.isTTY ? process.stdout.columns : undefined,
});

/** A subcommand's run: the client, the namespace, and where to write. */
export interface KvsContext {
  client: KvsClient;
  ns: string;
  io: KvsIo;
}

/** The -N option every subcommand takes. */
export function namespaceOption(): Option {
  return new Option('-N, --namespace <NAME>', 'the namespace (default $FLURRY_KVS_NAMESPACE, else primary)');
}

/**
 * The action of a subcommand: builds its context (instance from --uri/--token-file, the environment or the
 * instance directory) and runs `fn`, which returns the exit code.
 * @example .action(kvsAction((ctx, args, opts) => runGet(ctx, args[0], opts)))
 */
export function kvsAction<O extends object = Record<string, never>>(fn: (ctx: KvsContext, args: string[], opts: O) => Promise<number | void>) {
  return async (...all: unknown[]): Promise<void> => {
    const cmd = all[all.length - 1] as Command;
    const opts = all[all.length - 2] as O;
    const args = all.slice(0, -2).flatMap((a) => (Array.isArray(a) ? (a as string[]) : a === undefined ? [] : [a as string]));
    const ctx: KvsContext = { client: await kvsClient(cmd), ns: (opts as { namespace?: string }).namespace ?? process.env.FLURRY_KVS_NAMESPACE ?? 'primary', io: processIo() };
    const code = await fn(ctx, args, opts);
    if (code) process.exitCode = code;
  };
}

/** A KvsClient for the instance the command names. */
export async function kvsClient(cmd: Command, env: Readonly<Record<string, string | undefined>> = process.env): Promise<KvsClient> {
  const g = cmd.optsWithGlobals<InstanceOptions>();
  const inst = findInstance({ uri: g.uri, tokenFile: g.tokenFile }, { env });
  return new KvsClient({ uri: inst.uri, token: inst.token, fetch: await nodeFetch(inst.uri) });
}

/** A count option's value (-c N): a positive integer. */
export function parseCount(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--count: must be a positive integer, not "${text}"`);
  return n;
}

const EXAMPLES = `
Examples:
  $ flurry kvs put a.b=42 a.s="hello world"
  $ flurry kvs get a.b
  42
  $ flurry kvs ls -R
  $ flurry kvs dir a
  $ flurry kvs get -N job-ƒ2MU1GM7V application.result
  $ flurry kvs eventlog get -w job.progress
`;

export function register(program: Command): void {
  const kvs = program
    .command('kvs')
    .description("the key-value store (like flux kvs): dotted keys, namespaces, transactions, watches (run \"flurry kvs <command> --help\")")
    .addHelpText('after', EXAMPLES);
  registerKvsGet(kvs);
  registerKvsWrite(kvs);
  registerKvsDir(kvs);
  registerKvsNamespace(kvs);
  registerKvsEventlog(kvs);
}

// start.ts - `flurry start [options] [COMMAND...]`: a whole local instance from one command, like
// `flux start --test-size=N`: DynamoDB Local, the control plane and N agents on this machine (local/start/).
// Invariants: every option is checked by `startConfigFrom` (a CliError naming the flag) before anything starts;
// options after COMMAND are COMMAND's own; the heavy modules are imported only once the options are good.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { StartConfig } from '../../../local/start/start.ts';
import { CliError } from '../fail.ts';
import { instanceDir } from '../instance.ts';

export interface StartCliOptions {
  testSize?: string;
  s?: string;
  coresPerNode?: string;
  gpusPerNode?: string;
  dir?: string;
  port?: string;
  ephemeral?: boolean;
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  publicUri?: string;
  queuePolicy?: string;
  matchPolicy?: string;
  heartbeat?: string;
  dynamodbEndpoint?: string;
  table?: string;
  joinTimeout?: string;
  elastic?: string;
  verbose?: boolean;
}

const QUEUE_POLICIES = ['fcfs', 'easy'] as const;
const MATCH_POLICIES = ['first', 'high', 'locality', 'spread'] as const;

const HELP = `
Starts a Flurry instance on this machine and keeps it running until Ctrl-C:
DynamoDB Local (the real one, Java), the control plane in its own process
(restarted if it dies; agents keep their jobs and reconnect) and N node agents
named node0…node{N-1}. With COMMAND, runs it inside the instance (FLURRY_URI,
FLURRY_TOKEN_FILE and FLURRY_DIR set, like \`flux start CMD\`), then stops
everything and exits with COMMAND's exit status.

State lives in the instance directory (--dir, else $FLURRY_DIR, else
~/.flurry, mode 0700): jobs, secrets and the owner's token survive a restart on
the same directory. Other shells find the instance through that directory's
\`uri\` and \`token\` files. --ephemeral keeps everything in memory and in a
temporary directory removed at exit.

Each node gets --cores-per-node cores: by default this machine's cores divided
among the nodes, but at least 2, so shapes like -n2 -c2 fit on a laptop (like
Flux's test instances, nodes may share the machine's cores).

Warning: DynamoDB Local listens on all interfaces and accepts any credentials:
never expose its port (firewall it); Flurry keeps its secrets out of it.

Examples:
  $ flurry start -n 4                    # 4 nodes, state in ~/.flurry (npm start)
  $ flurry start -n 2 --ephemeral sh -c 'flurry run -N2 hostname'
  $ flurry start -n 0 --listen 0.0.0.0 --public-uri https://head:8443 \\
        --tls-cert cert.pem --tls-key key.pem --port 8443   # a head node
  $ flurry start -n 1 --elastic pools.yaml      # burst to local processes or EC2 when the queue backs up
`;

/** Parses a whole number option within [min, max]. */
function whole(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new CliError(`${flag} ${text}: expected a whole number from ${min} to ${max}`);
  }
  return Number(text);
}

function oneOf<T extends string>(flag: string, text: string | undefined, choices: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(choices as readonly string[]).includes(text)) throw new CliError(`${flag} ${text}: expected one of ${choices.join(', ')}`);
  return text as T;
}

function httpUrl(flag: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`${flag} ${text}: not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`${flag} ${text}: expected an http:// or https:// URL`);
  return text.replace(/\/+$/, '');
}

function readableFile(flag: string, path: string): string {
  if (!existsSync(path)) throw new CliError(`${flag} ${path}: no such file`);
  return resolve(path);
}

/**
 * Checks the command line and turns it into a StartConfig (without the output callbacks).
 * @example startConfigFrom({ testSize: '2' }, {}, 8).size // 2
 */
export function startConfigFrom(
  o: StartCliOptions,
  env: Readonly<Record<string, string | undefined>>,
  cpus = availableParallelism(),
): Omit<StartConfig, 'notify' | 'echo'> {
  if (o.testSize !== undefined && o.s !== undefined) throw new CliError('give either --test-size or -s, not both');
  const size = whole(o.s !== undefined ? '-s' : '--test-size', o.testSize ?? o.s, 0, 256) ?? 1;
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) throw new CliError('--tls-cert and --tls-key go together: give both or neither');
  const table = o.table;
  if (table !== undefined && !/^[A-Za-z0-9_.-]{3,255}$/.test(table)) {
    throw new CliError(`--table ${table}: expected 3 to 255 letters, digits, '_', '-' or '.'`);
  }
  const listen = o.listen ?? '127.0.0.1';
  if (!/^[\w.:-]+$/.test(listen)) throw new CliError(`--listen ${listen}: expected an address like 127.0.0.1 or 0.0.0.0`);
  const heartbeat = o.heartbeat === undefined ? undefined : Number(o.heartbeat);
  if (heartbeat !== undefined && !(heartbeat > 0 && heartbeat <= 3600)) throw new CliError(`--heartbeat ${o.heartbeat}: expected seconds, more than 0`);
  const port = whole('--port', o.port, 0, 65535);
  const cores = whole('--cores-per-node', o.coresPerNode, 1, 4096) ?? Math.max(2, Math.floor(cpus / Math.max(1, size)));
  const gpus = whole('--gpus-per-node', o.gpusPerNode, 0, 1024) ?? 0;
  const joinTimeout = whole('--join-timeout', o.joinTimeout, 1, 3600) ?? 60;
  const queuePolicy = oneOf('--queue-policy', o.queuePolicy, QUEUE_POLICIES);
  const matchPolicy = oneOf('--match-policy', o.matchPolicy, MATCH_POLICIES);
  const publicUri = httpUrl('--public-uri', o.publicUri);
  const dynamodbEndpoint = httpUrl('--dynamodb-endpoint', o.dynamodbEndpoint);
  return {
    size,
    coresPerNode: cores,
    gpusPerNode: gpus,
    // --ephemeral alone uses a temporary directory; with --dir, that directory (removed at exit if we made it).
    ...(o.ephemeral && o.dir === undefined ? {} : { dir: resolve(o.dir ?? instanceDir(env)) }),
    ephemeral: !!o.ephemeral,
    ...(port !== undefined ? { port } : {}),
    listen,
    ...(o.tlsCert !== undefined && o.tlsKey !== undefined
      ? { tls: { certFile: readableFile('--tls-cert', o.tlsCert), keyFile: readableFile('--tls-key', o.tlsKey) } }
      : {}),
    ...(publicUri ? { publicUri } : {}),
    ...(queuePolicy ? { queuePolicy } : {}),
    ...(matchPolicy ? { matchPolicy } : {}),
    ...(heartbeat !== undefined ? { heartbeatSeconds: heartbeat } : {}),
    ...(dynamodbEndpoint ? { dynamodbEndpoint } : {}),
    ...(table ? { table } : {}),
    joinTimeoutMs: joinTimeout * 1000,
    ...(o.elastic !== undefined ? { elasticFile: readableFile('--elastic', o.elastic) } : {}),
  };
}

/** A pools file that does not load is a CliError naming the field, before anything starts. */
async function checkPoolsFile(path: string): Promise<void> {
  const [{ readFileSync }, { loadElasticConfig }] = await Promise.all([import('node:fs'), import('../../../elastic/config.ts')]);
  try {
    loadElasticConfig(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CliError(`--elastic ${path}: ${(err as Error).message}`);
  }
}

export function register(program: Command): void {
  // Options after COMMAND are COMMAND's own: that needs positional options on the program.
  program.enablePositionalOptions();
  program
    .command('start')
    .description('start a local instance: DynamoDB Local, the control plane and N agents (like flux start --test-size=N)')
    .argument('[command...]', 'run this inside the instance, then stop it and exit with its status')
    .passThroughOptions()
    .option('-n, --test-size <N>', 'number of local agents, nodes node0… (default 1; 0 for none)')
    .addOption(new Option('-s <N>', 'same as --test-size (Flux spelling)').hideHelp())
    .option('--cores-per-node <C>', 'cores each node offers (default: the machine’s cores ÷ N, at least 2)')
    .option('--gpus-per-node <G>', 'GPUs each node offers (default 0)')
    .option('--dir <DIR>', 'the instance directory (default: $FLURRY_DIR, else ~/.flurry)')
    .option('--ephemeral', 'keep nothing: DynamoDB in memory, a temporary directory removed at exit (with --dir, that directory, removed if it did not exist)')
    .option('--port <P>', 'the control plane’s port (default: the last one if free, else any free port)')
    .option('--listen <HOST>', 'the interface to listen on (default 127.0.0.1; 0.0.0.0 for agents on other machines)')
    .option('--public-uri <URI>', 'the URI remote agents and tasks use (default: from --listen and --port)')
    .option('--tls-cert <FILE>', 'serve https:// and wss:// with this PEM certificate (with --tls-key)')
    .option('--tls-key <FILE>', 'the PEM private key of --tls-cert')
    .option('--queue-policy <POLICY>', `the queue policy: ${QUEUE_POLICIES.join(', ')} (default fcfs, or the last one)`)
    .option('--match-policy <POLICY>', `the match policy: ${MATCH_POLICIES.join(', ')} (default first, or the last one)`)
    .option('--dynamodb-endpoint <URL>', 'use this running DynamoDB Local instead of starting one (never expose its port)')
    .option('--table <NAME>', 'the DynamoDB table (default: the last one, else flurry)')
    .addOption(new Option('--heartbeat <SECONDS>', 'agent heartbeat interval (tests)').hideHelp())
    .addOption(new Option('--join-timeout <SECONDS>', 'how long to wait for the agents to join (default 60)').hideHelp())
    .option('--elastic <FILE>', 'grow and shrink the instance with the pools in FILE (local processes, EC2; see docs/elastic.md)')
    .option('-v, --verbose', 'stream the logs of DynamoDB Local, the control plane and the agents to stderr')
    .addHelpText('after', HELP)
    .action(async (command: string[], opts: StartCliOptions) => {
      const config = startConfigFrom(opts, process.env);
      if (config.elasticFile) await checkPoolsFile(config.elasticFile);
      const { runStartSession } = await import('../../../local/start/session.ts');
      const err = (text: string) => void process.stderr.write(text);
      const status = await runStartSession(
        {
          ...config,
          notify: (line) => err(`flurry start: ${line}\n`),
          ...(opts.verbose ? { echo: (line: string) => err(`${line}\n`) } : {}),
        },
        command,
        { out: (text) => void process.stdout.write(text), err, env: process.env, defaultDir: resolve(instanceDir(process.env)) },
      );
      process.exitCode = status;
    });
}

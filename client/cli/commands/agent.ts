// agent.ts - `flurry agent`: run the node agent in the foreground until it is stopped (docs/agent-protocol.md).
// Invariants: options are checked and turned into AgentOptions by `agentOptionsFrom` (user errors are CliErrors) before
// anything dials; the agent module is imported lazily so other commands start fast; SIGINT/SIGTERM stop the agent
// cleanly (a second signal kills the tasks at once) and the process exits with the agent's exit code.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { AgentExit, AgentOptions } from '../../../node-agent/agent.ts';
import { CliError } from '../fail.ts';

export interface AgentCliOptions {
  uri: string;
  token?: string;
  tokenFile?: string;
  hostname?: string;
  cores?: string;
  sockets?: string;
  gpus?: string;
  memory?: string;
  property?: string[];
  zone?: string;
  group?: string;
  stateDir?: string;
  ca?: string;
  signingKey?: string;
  spotWatch?: boolean;
  quiet?: boolean;
}

const HELP = `
The agent dials the control plane (ws:// or wss://; for http(s)://host:port it
uses /v1/agent on that port), joins with the join token, then runs the jobs it
is sent until it is stopped. After the first join it holds a node credential;
with --state-dir the credential survives restarts, and a restarted agent kills
tasks its crashed predecessor left running. The join token can also come from
the environment variable FLURRY_JOIN_TOKEN (prefer it or --token-file to
--token, which other users can see in ps).

Every inventory field is detected (cores, sockets, memory, GPUs from
nvidia-smi -L, hostname) unless given. SIGINT or SIGTERM stops the agent: it
tells the control plane, kills its tasks (SIGKILL after 5 s), reports them and
exits 0; a second signal kills the tasks at once.

Examples:
  $ flurry agent --uri wss://flurry.example.org --token-file /etc/flurry/join-token
  $ flurry agent --uri http://127.0.0.1:8080 --token-file token --cores 4 --property ssd
  $ FLURRY_JOIN_TOKEN=... flurry agent --uri wss://abc.execute-api.us-east-1.amazonaws.com/prod \\
        --state-dir /var/lib/flurry-agent --spot-watch
`;

/** Parses a whole number option within [min, ∞). */
function count(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < min) throw new CliError(`--${name}=${text}: expected a whole number ≥ ${min}`);
  return Number(text);
}

/**
 * Turns the command line (and FLURRY_JOIN_TOKEN) into AgentOptions; throws CliError for anything a user must fix.
 * @example await agentOptionsFrom({ uri: 'ws://h:1/v1/agent', token: 't', cores: '4' }, {})
 */
export async function agentOptionsFrom(opts: AgentCliOptions, env: NodeJS.ProcessEnv): Promise<AgentOptions> {
  if (opts.token !== undefined && opts.tokenFile !== undefined) throw new CliError('give either --token or --token-file, not both');
  let token = opts.token ?? env.FLURRY_JOIN_TOKEN;
  if (opts.tokenFile !== undefined) {
    try {
      token = (await readFile(opts.tokenFile, 'utf8')).trim();
    } catch (err) {
      throw new CliError(`--token-file ${opts.tokenFile}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    if (!token) throw new CliError(`--token-file ${opts.tokenFile}: the file is empty`);
  }
  if (!token && opts.stateDir === undefined) {
    throw new CliError('a join token is needed: give --token-file FILE, --token TOKEN or set FLURRY_JOIN_TOKEN');
  }
  if (!/^(wss?|https?):\/\//.test(opts.uri)) throw new CliError(`--uri ${opts.uri}: expected a ws://, wss://, http:// or https:// URI`);
  let ca: Buffer | undefined;
  if (opts.ca !== undefined) {
    try {
      ca = await readFile(opts.ca);
    } catch (err) {
      throw new CliError(`--ca ${opts.ca}: ${(err as Error).message}`);
    }
  }
  const inventory: AgentOptions['inventory'] = {};
  if (opts.hostname !== undefined) inventory.hostname = opts.hostname;
  const cores = count('cores', opts.cores, 1);
  const sockets = count('sockets', opts.sockets, 1);
  const gpus = count('gpus', opts.gpus, 0);
  const memoryMB = count('memory', opts.memory, 0);
  if (cores !== undefined) inventory.cores = cores;
  if (sockets !== undefined) inventory.sockets = sockets;
  if (gpus !== undefined) inventory.gpus = gpus;
  if (memoryMB !== undefined) inventory.memoryMB = memoryMB;
  if (opts.property?.length) inventory.properties = opts.property;
  if (opts.zone !== undefined) inventory.zone = opts.zone;
  if (opts.group !== undefined) inventory.group = opts.group;
  return {
    uri: opts.uri,
    ...(token ? { token } : {}),
    ...(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {}),
    ...(ca ? { ca } : {}),
    ...(opts.signingKey !== undefined ? { signingKey: opts.signingKey } : {}),
    ...(opts.spotWatch ? { spotWatch: true } : {}),
    inventory,
    ...(opts.quiet ? {} : { log: (line: string) => void process.stderr.write(`${new Date().toISOString()} flurry agent: ${line}\n`) }),
  };
}

/** Runs the agent until it ends; SIGINT/SIGTERM stop it. Resolves with its exit. */
export async function runAgentCommand(options: AgentOptions): Promise<AgentExit> {
  const { runAgent } = await import('../../../node-agent/agent.ts');
  let agent;
  try {
    agent = await runAgent(options);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    void agent.stop(signals === 1 ? { reason: `stopped by ${sig}` } : { reason: `stopped by ${sig}`, graceSeconds: 0 });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await agent.done;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function register(program: Command): void {
  program
    .command('agent')
    .description('run the node agent: join the control plane and run the jobs it sends to this node')
    .requiredOption('--uri <uri>', 'the control plane: ws(s)://… agent endpoint, or http(s)://host:port')
    .option('--token <token>', 'the join token (see also --token-file and FLURRY_JOIN_TOKEN)')
    .option('--token-file <file>', 'read the join token from this file')
    .option('--hostname <name>', 'the hostname to report (default: this host’s)')
    .option('--cores <n>', 'cores to offer (default: all)')
    .option('--sockets <n>', 'sockets to report (default: detected)')
    .option('--gpus <n>', 'GPUs to offer (default: as listed by nvidia-smi -L)')
    .option('--memory <MB>', 'memory to offer in MB (default: all)')
    .option('--property <p>', 'a property for constraints, like efa or ssd (repeatable)', (p: string, all: string[] = []) => [...all, p])
    .option('--zone <zone>', 'the zone (availability zone or site)')
    .option('--group <group>', 'the group (placement group or rack)')
    .option('--state-dir <dir>', 'keep the node credential and running tasks here across restarts')
    .option('--ca <file>', 'trust this CA or self-signed certificate (PEM) for wss://')
    .option('--signing-key <key>', 'pin the control plane’s job-signing public key (base64url) instead of trusting welcome')
    .option('--spot-watch', 'watch EC2 instance metadata for a spot interruption notice')
    .option('-q, --quiet', 'log nothing (by default one line per connect, disconnect, job start and exit)')
    .addHelpText('after', HELP)
    .action(async (opts: AgentCliOptions) => {
      const exit = await runAgentCommand(await agentOptionsFrom(opts, process.env));
      if (exit.code !== 0) throw new CliError(exit.reason, exit.code);
    });
}

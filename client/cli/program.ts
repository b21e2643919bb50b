// program.ts - builds the `flurry` command tree; each command lives in its own module under commands/.
import { Command } from 'commander';
import * as agentCommand from './commands/agent.ts';
import * as cancelCommand from './commands/cancel.ts';
import * as controlPlaneCommand from './commands/control-plane.ts';
import * as elasticCommand from './commands/elastic.ts';
import * as hostlistCommand from './commands/hostlist.ts';
import * as jobCommand from './commands/job.ts';
import * as jobsCommand from './commands/jobs.ts';
import * as jobspecCommand from './commands/jobspec.ts';
import * as kvsCommand from './commands/kvs.ts';
import * as resourceCommand from './commands/resource.ts';
import * as runCommand from './commands/run.ts';
import * as startCommand from './commands/start.ts';
import * as submitCommand from './commands/submit.ts';
import * as watchCommand from './commands/watch.ts';

/** Every command module exports `register(program)`; add new ones to this list. */
const commandModules: Array<{ register(program: Command): void }> = [
  agentCommand,
  cancelCommand,
  controlPlaneCommand,
  elasticCommand,
  hostlistCommand,
  jobCommand,
  jobsCommand,
  jobspecCommand,
  kvsCommand,
  resourceCommand,
  runCommand,
  startCommand,
  submitCommand,
  watchCommand,
];

export function buildProgram(): Command {
  const program = new Command('flurry')
    .description('Flurry: a workload manager in the spirit of Flux, with a serverless control plane')
    .version('0.1.0')
    // Which instance to talk to (before the command: `flurry --uri URI jobs`); see instance.ts for the fallbacks.
    .option('--uri <URI>', 'the instance to use (default: $FLURRY_URI, else the one in $FLURRY_DIR or ~/.flurry)')
    .option('--token-file <FILE>', 'read the bearer token from FILE (default: $FLURRY_TOKEN, $FLURRY_TOKEN_FILE, or the instance directory)')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: true })
    // Before registering: subcommands copy these settings when created, so their usage errors reach main too.
    .exitOverride();
  for (const mod of commandModules) mod.register(program);
  return program;
}

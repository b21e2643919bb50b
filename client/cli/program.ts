// program.ts - builds the `flurry` command tree; each command lives in its own module under commands/.
import { Command } from 'commander';
import * as agentCommand from './commands/agent.ts';
import * as hostlistCommand from './commands/hostlist.ts';
import * as jobCommand from './commands/job.ts';
import * as jobspecCommand from './commands/jobspec.ts';
import * as submitCommand from './commands/submit.ts';

/** Every command module exports `register(program)`; add new ones to this list. */
const commandModules: Array<{ register(program: Command): void }> = [
  agentCommand,
  hostlistCommand,
  jobCommand,
  jobspecCommand,
  submitCommand,
];

export function buildProgram(): Command {
  const program = new Command('flurry')
    .description('Flurry: a workload manager in the spirit of Flux, with a serverless control plane')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: true })
    // Before registering: subcommands copy these settings when created, so their usage errors reach main too.
    .exitOverride();
  for (const mod of commandModules) mod.register(program);
  return program;
}

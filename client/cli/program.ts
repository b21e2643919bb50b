// program.ts - builds the `flurry` command tree; each command lives in its own module under commands/.
import { Command } from 'commander';

/** Every command module exports `register(program)`; add new ones to this list. */
const commandModules: Array<{ register(program: Command): void }> = [];

export function buildProgram(): Command {
  const program = new Command('flurry')
    .description('Flurry: a workload manager in the spirit of Flux, with a serverless control plane')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: true });
  for (const mod of commandModules) mod.register(program);
  return program;
}

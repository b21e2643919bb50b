// job.ts - the `flurry job` command group; other modules add `job <subcommand>` through jobCommand(program).
// Invariant: the group exists at most once per program, whichever module asks for it first creates it.
import type { Command } from 'commander';
import { registerJobAttach } from './job-attach.ts';
import { registerJobEventlog } from './job-eventlog.ts';
import { registerJobId } from './job-id.ts';
import { registerJobInfo } from './job-info.ts';
import { registerJobWaitEvent } from './job-wait-event.ts';
import { registerJobWait } from './job-wait.ts';

/**
 * The `job` group of `program`, created on first use, so modules can add subcommands in any order.
 * @example jobCommand(program).command('info').argument('<id>').action(...)
 */
export function jobCommand(program: Command): Command {
  const existing = program.commands.find((c) => c.name() === 'job');
  if (existing) return existing;
  return program
    .command('job')
    .description('work with individual jobs (run "flurry job <command> --help")')
    .addHelpText('after', '\nExamples:\n  $ flurry job id ƒuZZybuNNy\n  6731191091817518\n');
}

export function register(program: Command): void {
  const job = jobCommand(program);
  registerJobId(job);
  registerJobInfo(job);
  registerJobAttach(job);
  registerJobEventlog(job);
  registerJobWait(job);
  registerJobWaitEvent(job);
}

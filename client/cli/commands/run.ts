// run.ts - `flurry run [shape options] COMMAND...`: submit a job, stream its output, exit with its exit code (as
// `flux run`). Invariants: one submit, then output and eventlog long-polled concurrently (attachJob) so a short job
// returns as soon as it ends; the submitter's credential variables are not copied into the job (withoutSecretEnv).
import type { Command } from 'commander';
import { CliError } from '../fail.ts';
import { connect, withoutSecretEnv } from '../instance.ts';
import { addShapeOptions, shapeFromOptions, type ShapeCliOptions } from '../shape-options.ts';
import { attachJob } from './job-attach.ts';

export interface RunOptions extends ShapeCliOptions {
  labelIo?: boolean;
  showEvents?: boolean;
}

const EXAMPLES = `
Output is printed as it arrives (stdout to stdout, stderr to stderr); the exit
code is the job's (128+N if signal N ended it, 1 if it failed or was canceled
before it ran). Ctrl-C cancels the job; Ctrl-C twice within 2 s detaches.
Credentials in your environment (FLURRY_TOKEN, AWS_*_KEY*, AWS_SESSION_TOKEN)
are not passed to the job unless named with --env.

Examples:
  $ flurry run hostname
  $ flurry run -N2 -n4 -l hostname       # 4 tasks on 2 nodes, lines labelled by rank
  $ flurry run -n1 -c4 -t 10m ./app --input data
`;

export function register(program: Command): void {
  program.enablePositionalOptions();
  const cmd = program
    .command('run')
    .description('run a job interactively: submit it, stream its output, exit with its exit code (like flux run)')
    .argument('<command...>', 'the command to run and its arguments')
    .passThroughOptions()
    .option('-l, --label-io', 'prefix output lines with the task rank')
    .option('-E, --show-events', 'print the job eventlog on stderr as it happens');
  addShapeOptions(cmd)
    .addHelpText('after', EXAMPLES)
    .action(async (command: string[], opts: RunOptions, self: Command) => {
      if (opts.cc !== undefined) throw new CliError('run: --cc is not supported by run; use "flurry submit --cc" (and --wait)');
      const { jobspec, urgency } = shapeFromOptions(withoutSecretEnv(opts), command, process.env, process.cwd());
      const client = await connect(self);
      const id = await client.submit(jobspec, { urgency });
      process.exitCode = await attachJob(client, id, { prog: 'flurry-run', labelIo: opts.labelIo, showEvents: opts.showEvents }, process);
    });
}

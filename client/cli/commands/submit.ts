// submit.ts - `flurry submit [shape options] COMMAND...`: build a V1 jobspec from Flux's flags. With --dry-run it
// prints the jobspec; real submission needs a running instance and lives in submitJob (not yet connected).
// Invariant: options after COMMAND belong to COMMAND (`flurry submit -N2 mpirun -n 4 app`).
import type { Command } from 'commander';
import { CliError } from '../fail.ts';
import { addShapeOptions, shapeFromOptions, type ShapeCliOptions } from '../shape-options.ts';
import type { JobspecV1 } from '../../../control/core/jobspec/index.ts';

export interface SubmitOptions extends ShapeCliOptions {
  dryRun?: boolean;
}

/** What a submit needs from its surroundings; tests pass their own. */
export interface SubmitContext {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  readFile?: (path: string) => string;
}

/**
 * Run `flurry submit`: returns what to print and the exit code.
 * @example await runSubmit(['hostname'], { nodes: '2', dryRun: true }, { env: {}, cwd: '/tmp' }) // { out: '{\n  "version": 1, ...', exitCode: 0 }
 */
export async function runSubmit(command: string[], opts: SubmitOptions, ctx: SubmitContext): Promise<{ out: string; exitCode: number }> {
  if (command.length === 0) throw new CliError('submit: a command to run is required (flurry submit [options] COMMAND...)');
  const { jobspec, urgency, cc } = shapeFromOptions(opts, command, ctx.env, ctx.cwd, ctx.readFile);
  if (opts.dryRun) return { out: `${JSON.stringify(jobspec, null, 2)}\n`, exitCode: 0 };
  return submitJob(jobspec, urgency, cc);
}

/** Submit to the instance. Not connected yet: the control plane's submit API comes in a later change. */
export async function submitJob(_jobspec: JobspecV1, _urgency: number, _cc?: number[]): Promise<{ out: string; exitCode: number }> {
  throw new CliError('submit: submitting a job needs a running Flurry instance, which this build cannot reach yet; use --dry-run to print the jobspec');
}

export function register(program: Command): void {
  // Options after COMMAND are COMMAND's own: that needs positional options on the program.
  program.enablePositionalOptions();
  const cmd = program
    .command('submit')
    .description('submit a job (like flux submit); --dry-run prints its jobspec')
    .argument('<command...>', 'the command to run and its arguments')
    .passThroughOptions()
    .option('--dry-run', 'print the jobspec as JSON instead of submitting');
  addShapeOptions(cmd).action(async (command: string[], opts: SubmitOptions) => {
    const { out, exitCode } = await runSubmit(command, opts, { env: process.env, cwd: process.cwd() });
    process.stdout.write(out);
    if (exitCode !== 0) process.exitCode = exitCode;
  });
}

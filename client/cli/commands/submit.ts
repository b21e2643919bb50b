// submit.ts - `flurry submit [shape options] COMMAND...`: build a V1 jobspec from Flux's flags and submit it (or
// with --dry-run print it); the job ids go to stdout, one per line. Invariants: options after COMMAND belong to
// COMMAND (`flurry submit -N2 mpirun -n 4 app`); the submitter's credential variables are not copied into the job
// unless named with --env; --cc submits in chunks of at most 5,000 jobs, each request with its own client token.
import type { Command } from 'commander';
import { CliError } from '../fail.ts';
import { addShapeOptions, shapeFromOptions, type ShapeCliOptions } from '../shape-options.ts';
import type { JobspecV1 } from '../../../control/core/jobspec/index.ts';
import type { FlurryClient } from '../../sdk/client.ts';
import { ProgressLine, type ProgressStream } from '../format/progress.ts';
import { connect, withoutSecretEnv } from '../instance.ts';
import { summaryExitCode } from './job-attach.ts';

export interface SubmitOptions extends ShapeCliOptions {
  dryRun?: boolean;
  quiet?: boolean;
  wait?: boolean;
}

/** What a submit needs from its surroundings; tests pass their own. */
export interface SubmitContext {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  readFile?: (path: string) => string;
  /** The client to submit with; default the instance found from `env` (and the program's --uri/--token-file). */
  client?: () => Promise<FlurryClient>;
  /** Where ids are printed as soon as they are known (with --wait, before waiting); default: returned in `out`. */
  print?: (text: string) => void;
  /** Progress bar and --wait messages; default process.stderr. */
  stderr?: ProgressStream;
}

/** Jobs per request with --cc, and requests in flight. */
export const CC_CHUNK = 5000;
export const CC_CONCURRENCY = 4;
/** Jobs waited on at once with --wait. */
const WAIT_CONCURRENCY = 16;

/**
 * Run `flurry submit`: returns what to print and the exit code.
 * @example await runSubmit(['hostname'], { nodes: '2', dryRun: true }, { env: {}, cwd: '/tmp' }) // { out: '{\n  "version": 1, ...', exitCode: 0 }
 */
export async function runSubmit(command: string[], opts: SubmitOptions, ctx: SubmitContext): Promise<{ out: string; exitCode: number }> {
  if (command.length === 0) throw new CliError('submit: a command to run is required (flurry submit [options] COMMAND...)');
  const { jobspec, urgency, cc } = shapeFromOptions(withoutSecretEnv(opts), command, ctx.env, ctx.cwd, ctx.readFile);
  if (opts.dryRun) return { out: `${JSON.stringify(jobspec, null, 2)}\n`, exitCode: 0 };
  return submitJob(jobspec, urgency, cc, opts, ctx);
}

/**
 * Submit to the instance: print the ids (unless --quiet); with --wait, wait for every job and exit with the highest
 * exit code (Flux's rules: 128+signal, 1 for a job that never ran or got a fatal exception).
 */
export async function submitJob(
  jobspec: JobspecV1,
  urgency: number,
  cc: number[] | undefined,
  opts: Pick<SubmitOptions, 'quiet' | 'wait'> = {},
  ctx: Pick<SubmitContext, 'env' | 'client' | 'print' | 'stderr'> = { env: process.env },
): Promise<{ out: string; exitCode: number }> {
  const client = await (ctx.client ? ctx.client() : connect({}, ctx.env));
  const stderr = ctx.stderr ?? process.stderr;
  let ids: string[];
  if (cc === undefined) {
    ids = [await client.submit(jobspec, { urgency })];
  } else {
    const bar = ProgressLine.wanted(stderr, cc.length) ? new ProgressLine(stderr, 'submit', cc.length) : undefined;
    try {
      ids = await client.submit(jobspec, { urgency, cc, chunkSize: CC_CHUNK, concurrency: CC_CONCURRENCY, onProgress: (n) => bar?.update(n) });
    } finally {
      bar?.end();
    }
  }
  let out = opts.quiet ? '' : ids.map((id) => `${id}\n`).join('');
  if (!opts.wait) return { out, exitCode: 0 };
  if (ctx.print) {
    ctx.print(out);
    out = '';
  }
  return { out, exitCode: await waitAll(client, ids, stderr) };
}

/** Wait for every job; the highest exit code. Jobs that failed are named on stderr. */
async function waitAll(client: FlurryClient, ids: readonly string[], stderr: ProgressStream): Promise<number> {
  let worst = 0;
  let next = 0;
  const bar = ProgressLine.wanted(stderr, ids.length) ? new ProgressLine(stderr, 'wait', ids.length) : undefined;
  let done = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const job = await client.wait(id);
      const code = summaryExitCode(job);
      if (job.exception && job.exception.severity === 0) {
        bar?.end();
        stderr.write(`flurry-submit: ${id}: exception: ${job.exception.type}${job.exception.note ? `: ${job.exception.note}` : ''}\n`);
      }
      worst = Math.max(worst, code);
      bar?.update(++done);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(WAIT_CONCURRENCY, ids.length) }, worker));
  } finally {
    bar?.end();
  }
  return worst;
}

const SUBMIT_EXAMPLES = `
Prints the job id (f58); with --cc one id per line, in order. The submitter's
credentials (FLURRY_TOKEN, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN) are not copied into the job unless named with --env.

Examples:
  $ flurry submit -N2 -n8 ./app
  ƒ2MU1GM7V
  $ flurry submit --cc=1-1000 --quiet ./sweep.sh     # FLURRY_JOB_CC=1..1000
  $ flurry submit --wait -n1 true && echo ok
  $ flurry submit --dry-run -n4 hostname             # print the jobspec
`;

export function register(program: Command): void {
  // Options after COMMAND are COMMAND's own: that needs positional options on the program.
  program.enablePositionalOptions();
  const cmd = program
    .command('submit')
    .description('submit a job (like flux submit); --dry-run prints its jobspec')
    .argument('<command...>', 'the command to run and its arguments')
    .passThroughOptions()
    .option('--dry-run', 'print the jobspec as JSON instead of submitting')
    .option('--quiet', 'do not print the job ids')
    .option('--wait', 'wait for the job(s) to finish; exit with the highest exit code')
    .addHelpText('after', SUBMIT_EXAMPLES);
  addShapeOptions(cmd).action(async (command: string[], opts: SubmitOptions, self: Command) => {
    const print = (text: string) => void process.stdout.write(text);
    const { out, exitCode } = await runSubmit(command, opts, { env: process.env, cwd: process.cwd(), client: () => connect(self), print });
    process.stdout.write(out);
    if (exitCode !== 0) process.exitCode = exitCode;
  });
}

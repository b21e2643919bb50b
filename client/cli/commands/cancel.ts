// cancel.ts - `flurry cancel ID... | --all`: raise a cancel exception on jobs, as `flux cancel` does.
// Invariants: every id is tried (errors are reported one line per id on stderr, exit 1 if any failed); ids and
// --all/--user/--states are exclusive; --all only ever targets active jobs of the chosen user (default: yours).
import type { Command } from 'commander';
import { InvalidInputError } from '../../../control/core/errors.ts';
import { parseStateFilter } from '../../../control/core/job/state-codes.ts';
import type { FlurryClient } from '../../sdk/client.ts';
import { CliError } from '../fail.ts';
import { jobIdArg } from '../format/ids.ts';
import { connect } from '../instance.ts';

export interface CancelOptions {
  message?: string;
  all?: boolean;
  user?: string;
  states?: string;
  dryRun?: boolean;
  quiet?: boolean;
}

const CONCURRENCY = 16;
const PROG = 'flurry-cancel';

/** Checks the options before anything is sent: ids or a selection, not both; known states. */
export function checkCancelOptions(ids: readonly string[], opts: CancelOptions): void {
  const selecting = opts.all || opts.user !== undefined || opts.states !== undefined;
  if (ids.length > 0 && selecting) throw new CliError('cancel: give job ids, or select jobs with --all/--user/--states, not both');
  if (ids.length === 0 && !selecting) throw new CliError('cancel: no jobs given (job ids, or --all for all your active jobs)');
  if (opts.states !== undefined) {
    try {
      const f = parseStateFilter(opts.states);
      if (f.results.size > 0 || f.states.has('INACTIVE')) throw new InvalidInputError('only active states can be canceled');
    } catch (e) {
      throw new CliError(`--states: ${e instanceof InvalidInputError ? e.detail : String(e)}`);
    }
  }
}

/**
 * Cancel the jobs; resolves with what to print on stderr and the exit code.
 * @example await cancelJobs(client, ['ƒ2MU1GM7V'], { message: 'wrong input' }) // { err: '', exitCode: 0 }
 */
export async function cancelJobs(client: FlurryClient, ids: readonly string[], opts: CancelOptions): Promise<{ err: string; exitCode: number }> {
  checkCancelOptions(ids, opts);
  const lines: string[] = [];
  const targets: string[] = [];
  if (ids.length > 0) {
    for (const text of ids) {
      try {
        targets.push(jobIdArg(text));
      } catch (e) {
        lines.push(`${PROG}: ${(e as Error).message}`);
      }
    }
  } else {
    const user = opts.user === 'all' ? '*' : opts.user;
    for await (const j of client.allJobs({ filter: opts.states ?? 'active', ...(user === undefined ? {} : { user }) })) targets.push(j.id);
  }
  const selecting = ids.length === 0;
  if (selecting && opts.dryRun) {
    return { err: `${PROG}: Would cancel ${targets.length} job${targets.length === 1 ? '' : 's'}\n`, exitCode: 0 };
  }
  let failed = lines.length;
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const id = targets[next++]!;
      try {
        await client.cancel(id, opts.message);
      } catch (e) {
        const err = e as Error & { code?: string };
        // With --all, a job that ended meanwhile is not an error.
        if (selecting && err.code === 'conflict') continue;
        failed++;
        lines.push(`${PROG}: ${id}: ${err.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, targets.length) }, worker));
  if (selecting && !(opts.quiet && targets.length === 0)) {
    lines.push(
      targets.length === 0
        ? `${PROG}: Command matched 0 jobs`
        : `${PROG}: Canceled ${targets.length - failed} job${targets.length - failed === 1 ? '' : 's'} (${failed} error${failed === 1 ? '' : 's'})`,
    );
  }
  return { err: lines.map((l) => `${l}\n`).join(''), exitCode: failed > 0 ? 1 : 0 };
}

const EXAMPLES = `
Examples:
  $ flurry cancel ƒ2MU1GM7V ƒ2MU1GM7W
  $ flurry cancel -m "wrong input deck" ƒ2MU1GM7V
  $ flurry cancel --all                  # all your pending and running jobs
  $ flurry cancel --all --states=pending --dry-run
`;

export function register(program: Command): void {
  program
    .command('cancel')
    .description('cancel jobs (like flux cancel)')
    .argument('[ids...]', 'job ids (any encoding)')
    .option('-m, --message <NOTE>', 'a note recorded with the cancel exception')
    .option('--all', 'cancel all your active jobs')
    .option('-u, --user <USER>', 'with --all: this user\'s jobs ("all" for everyone; instance owner)')
    .option('-S, --states <STATES>', 'with --all: only jobs in these states (default active): pending, running, sched, run, ...')
    .option('-n, --dry-run', 'with --all: say how many jobs would be canceled')
    .option('-q, --quiet', 'say nothing when no job matched')
    .addHelpText('after', EXAMPLES)
    .action(async (ids: string[], opts: CancelOptions, cmd: Command) => {
      checkCancelOptions(ids, opts);
      const client = await connect(cmd);
      const r = await cancelJobs(client, ids, opts);
      if (r.err) process.stderr.write(r.err);
      if (r.exitCode) process.exitCode = r.exitCode;
    });
}

// jobs.ts - `flurry jobs`: list jobs as `flux jobs` does (JOBID USER NAME ST NTASKS NNODES TIME INFO), by default
// the caller's active jobs. Invariants: pages are fetched from the API only until --count jobs are shown; an
// unknown --format field or --filter word is a clear error before any request; --json prints the JSON array.
import type { Command } from 'commander';
import { InvalidInputError } from '../../../control/core/errors.ts';
import { parseStateFilter } from '../../../control/core/job/state-codes.ts';
import type { FlurryClient } from '../../sdk/client.ts';
import type { JobSummary } from '../../sdk/types.ts';
import { CliError } from '../fail.ts';
import { jobIdArg } from '../format/ids.ts';
import { JOB_FIELD_NAMES, JOB_HEADERS, JOBS_FORMATS, jobField } from '../format/job-fields.ts';
import { parseTemplate, renderHeader, renderRow } from '../format/template.ts';
import { connect } from '../instance.ts';
import { intOption } from '../shape-options.ts';

export interface JobsOptions {
  all?: boolean;
  allUsers?: boolean;
  user?: string;
  filter?: string;
  header?: boolean;
  format?: string;
  json?: boolean;
  count?: string;
  name?: string;
}

/** What listJobs prints: the text for stdout, errors for stderr, and the exit code. */
export interface JobsResult {
  out: string;
  err: string;
  exitCode: number;
}

const DEFAULT_COUNT = 1000;

/** The list query the options ask for, checked before any request. */
export function jobsQuery(opts: JobsOptions): { filter?: string; user?: string; name?: string; max: number } {
  const q: { filter?: string; user?: string; name?: string; max: number } = { max: DEFAULT_COUNT };
  const filter = opts.filter ?? (opts.all ? 'pending,running,inactive' : undefined);
  if (filter !== undefined) {
    try {
      parseStateFilter(filter);
    } catch (e) {
      throw new CliError(`--filter: ${e instanceof InvalidInputError ? e.detail : String(e)}`);
    }
    q.filter = filter;
  }
  if (opts.allUsers) q.user = '*';
  else if (opts.user !== undefined) q.user = opts.user === 'all' ? '*' : opts.user;
  if (opts.name !== undefined) q.name = opts.name;
  if (opts.count !== undefined) q.max = opts.count === '0' ? Infinity : intOption(opts.count, '--count')!;
  return q;
}

/**
 * Render jobs as `flux jobs` does: the header (unless `header` is false) and one line per job.
 * @example formatJobs(jobs, undefined, { now: Date.now() / 1000 }) // '       JOBID USER     NAME ...\n'
 */
export function formatJobs(jobs: readonly JobSummary[], format: string | undefined, o: { header?: boolean; now: number }): string {
  const fmt = format === undefined ? JOBS_FORMATS.default! : (JOBS_FORMATS[format] ?? format);
  if (!fmt.includes('{')) throw new CliError(`--format: unknown format name "${format}" (named formats: ${Object.keys(JOBS_FORMATS).join(', ')})`);
  const t = parseTemplate(fmt, JOB_FIELD_NAMES);
  const lines = o.header === false ? [] : [renderHeader(t, JOB_HEADERS)];
  for (const j of jobs) lines.push(renderRow(t, (f) => jobField(j, f, o.now)));
  return lines.map((l) => `${l.trimEnd()}\n`).join('');
}

/**
 * Run `flurry jobs` against a client.
 * @example await listJobs(client, [], { all: true }) // { out: '       JOBID USER ...', err: '', exitCode: 0 }
 */
export async function listJobs(client: FlurryClient, ids: readonly string[], opts: JobsOptions, now = Date.now() / 1000): Promise<JobsResult> {
  const query = jobsQuery(opts);
  if (!opts.json) formatJobs([], opts.format, { header: false, now }); // a bad --format fails before any request
  const jobs: JobSummary[] = [];
  let err = '';
  if (ids.length > 0) {
    const wanted = ids.map((id) => jobIdArg(id));
    const found = await Promise.all(
      wanted.map((id) =>
        client.job(id).catch((e: Error) => {
          err += `flurry-jobs: ${id}: ${e.message}\n`;
          return undefined;
        }),
      ),
    );
    for (const j of found) if (j) jobs.push(stripInfo(j));
  } else {
    for await (const j of client.allJobs(query)) jobs.push(j);
  }
  const out = opts.json ? `${JSON.stringify(jobs, null, 2)}\n` : formatJobs(jobs, opts.format, { header: opts.header, now });
  return { out, err, exitCode: err ? 1 : 0 };
}

/** A JobInfo as a JobSummary (no jobspec or R), for listing. */
function stripInfo(j: JobSummary & { jobspec?: unknown; R?: unknown }): JobSummary {
  const { jobspec: _jobspec, R: _R, ...summary } = j;
  return summary;
}

const EXAMPLES = `
The default format is Flux's:
  {id.f58:>12} {username:<8.8} {name:<10.10+} {status_abbrev:>2.2} {ntasks:>6}
  {nnodes:>6h} {contextual_time!F:>8h} {contextual_info}
Named formats: default, long, deps. Spec suffix h shows "-" for empty values;
conversions: !F duration (FSD), !H h:mm:ss, !D date.

Examples:
  $ flurry jobs
         JOBID USER     NAME       ST NTASKS NNODES     TIME INFO
     ƒ2MU1GM7V alice    app         R      8      2   1.234m n[1-2]
  $ flurry jobs -a --filter=failed,canceled
  $ flurry jobs -A -o '{id.f58} {username} {exception.type} {exception.note}'
  $ flurry jobs --json -c 10
`;

export function register(program: Command): void {
  program
    .command('jobs')
    .description('list jobs (default: your pending and running jobs), like flux jobs')
    .argument('[ids...]', 'list only these jobs')
    .option('-a, --all', 'jobs in all states, inactive included (--filter=pending,running,inactive)')
    .option('-A, --all-users', 'jobs of all users (instance owner)')
    .option('-u, --user <USER>', 'jobs of this user ("all" for everyone)')
    .option('-f, --filter <STATES>', 'states or results, comma-separated: pending, running, inactive, completed, failed, canceled, timeout, ...')
    .option('--name <NAME>', 'only jobs with this name')
    .option('-c, --count <N>', `show at most N jobs (default ${DEFAULT_COUNT}; 0: no limit)`)
    .option('-n, --no-header', 'no header line')
    .option('-o, --format <FORMAT>', 'output format: a name (default, long, deps) or fields like "{id.f58} {name:<10}"')
    .option('--json', 'print the jobs as a JSON array')
    .addHelpText('after', EXAMPLES)
    .action(async (ids: string[], opts: JobsOptions, cmd: Command) => {
      jobsQuery(opts); // option errors before connecting
      const client = await connect(cmd);
      const r = await listJobs(client, ids, opts);
      process.stdout.write(r.out);
      if (r.err) process.stderr.write(r.err);
      if (r.exitCode) process.exitCode = r.exitCode;
    });
}

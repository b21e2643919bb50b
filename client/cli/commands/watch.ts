// watch.ts - `flurry watch [-a|-A|-f FILTER] [-c N] [--progress] [ID...]`, as `flux watch`: copy the output of
// one or many jobs (active or not) to this terminal until they have all ended, then exit with the largest exit code.
// Invariants: output is long-polled through the SDK, at most MAX_LONG_POLLS polls at once, taking turns (rotate);
// with several jobs each line is prefixed with its job id and partial lines wait for their newline (or the job's
// end), so lines of different jobs never mix; a job's summary is printed once, after all of its output.
import { Option, type Command } from 'commander';
import type { FlurryClient } from '../../sdk/client.ts';
import { isFlurryApiError } from '../../sdk/errors.ts';
import type { JobSummary, OutputEntry } from '../../sdk/types.ts';
import { CliError } from '../fail.ts';
import { jobIdArg } from '../format/ids.ts';
import { summaryExitCode, type OutStream } from './job-attach.ts';
import { failureText, MAX_LONG_POLLS, rotate } from './job-wait.ts';
import { connect } from '../instance.ts';

const PROG = 'flurry-watch';

export interface WatchIo {
  stdout: OutStream;
  stderr: OutStream & { isTTY?: boolean; columns?: number };
  now?: () => number;
}

export interface WatchOptions {
  /** Show a progress line on stderr (only drawn on a TTY). */
  progress?: boolean;
  /** Long polls in flight at once (default MAX_LONG_POLLS). */
  limit?: number;
}

/** Write, waiting for the stream to drain when it asks us to. */
async function put(out: OutStream, s: string): Promise<void> {
  if (s && !out.write(s) && out.once) await new Promise<void>((resolve) => out.once!('drain', resolve));
}

/** `done/total` with the failures and the time, redrawn in place on a TTY; cleared around output. */
class Progress {
  readonly on: boolean;
  #drawn = false;
  readonly #t0: number;

  constructor(private readonly out: WatchIo['stderr'], private readonly total: number, private readonly now: () => number, wanted = false) {
    this.#t0 = now();
    this.on = wanted && Boolean(out.isTTY);
  }

  draw(done: number, failed: number): void {
    if (!this.on) return;
    const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - 50));
    const filled = this.total ? Math.round((done / this.total) * width) : width;
    const s = Math.floor((this.now() - this.#t0) / 1000);
    const clock = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
    this.out.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} done, ${failed} failed ${clock}`);
    this.#drawn = true;
  }

  clear(): void {
    if (this.#drawn) this.out.write('\r\x1b[K');
    this.#drawn = false;
  }
}

/** Output lines prefixed with their job id; a job's unfinished line is held until its newline or the job's end. */
class Prefixer {
  readonly #partial = new Map<string, string>();

  constructor(private readonly prefix: boolean) {}

  text(id: string, e: OutputEntry): string {
    if (!this.prefix) return e.data;
    const key = `${id}\0${e.stream}`;
    const lines = ((this.#partial.get(key) ?? '') + e.data).split('\n');
    const rest = lines.pop()!;
    if (rest) this.#partial.set(key, rest);
    else this.#partial.delete(key);
    return lines.map((l) => `${id}: ${l}\n`).join('');
  }

  /** The job's held lines, per stream. */
  flush(id: string): Array<{ stream: 'stdout' | 'stderr'; text: string }> {
    const out: Array<{ stream: 'stdout' | 'stderr'; text: string }> = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const key = `${id}\0${stream}`;
      const rest = this.#partial.get(key);
      if (rest !== undefined) out.push({ stream, text: `${id}: ${rest}\n` });
      this.#partial.delete(key);
    }
    return out;
  }
}

/**
 * The one-line summary of an inactive job.
 * @example summaryLine({ id: 'ƒ2', result: 'FAILED', exitCode: 3 }) // 'ƒ2: failed: task(s) exited with exit code 3'
 */
export function summaryLine(j: Pick<JobSummary, 'id' | 'result' | 'exitCode' | 'signal' | 'exception'>): string {
  const why = failureText(j);
  const result = (j.result ?? 'inactive').toLowerCase();
  return why ? `${j.id}: ${result}: ${why}` : `${j.id}: ${result}`;
}

/**
 * Follows the output of `ids` to their ends; resolves with the exit code: the largest of the jobs' exit codes
 * (128+N for signal N, at least 1 for a job that got a fatal exception or cannot be read), 0 if there are none.
 * @example process.exitCode = await watchJobs(client, ['ƒ2', 'ƒ3'], {}, process)
 */
export async function watchJobs(client: FlurryClient, ids: readonly string[], o: WatchOptions, io: WatchIo): Promise<number> {
  const several = ids.length > 1;
  const prefixer = new Prefixer(several);
  const progress = new Progress(io.stderr, ids.length, io.now ?? (() => Date.now()), o.progress);
  const cursors = new Map<string, string>();
  const truncated = new Set<string>();
  const results = new Map<string, JobSummary | Error>();
  let failed = 0;
  const write = async (stream: 'stdout' | 'stderr', text: string) => {
    if (!text) return;
    progress.clear();
    await put(stream === 'stdout' ? io.stdout : io.stderr, text);
  };
  const finish = async (id: string, result: JobSummary | Error) => {
    for (const p of prefixer.flush(id)) await write(p.stream, p.text);
    results.set(id, result);
    if (result instanceof Error || summaryExitCode(result) !== 0) failed++;
    progress.draw(results.size, failed);
  };

  progress.draw(0, 0);
  await rotate(ids, { limit: o.limit ?? MAX_LONG_POLLS }, async (id, waitSeconds, signal) => {
    try {
      const cursor = cursors.get(id);
      const page = await client.outputPage(id, { ...(cursor === undefined ? {} : { cursor }), waitSeconds, signal });
      if (page.truncated && !truncated.has(id)) {
        truncated.add(id);
        await write('stderr', `${PROG}: ${id}: some output was dropped (the job reached its output cap)\n`);
      }
      for (const e of page.entries) await write(e.stream, prefixer.text(id, e));
      cursors.set(id, page.cursor);
      if (!page.done) {
        if (page.entries.length > 0) progress.draw(results.size, failed);
        return false;
      }
      await finish(id, await client.job(id, signal));
    } catch (err) {
      if (!isFlurryApiError(err, 'not_found')) throw err;
      await finish(id, err);
    }
    return true;
  });
  progress.clear();

  let code = 0;
  for (const id of ids) {
    const r = results.get(id)!;
    if (r instanceof Error) {
      await put(io.stderr, `${PROG}: ${r.message}\n`);
      code = Math.max(code, 1);
      continue;
    }
    code = Math.max(code, summaryExitCode(r));
    if (several || failureText(r)) await put(io.stderr, several ? `${summaryLine(r)}\n` : `${PROG}: ${failureText(r)}\n`);
  }
  return code;
}

/** The ids to watch: those given, or the caller's jobs matching a filter, oldest first, at most `count` (0: all). */
async function selectJobs(client: FlurryClient, given: string[], filter: string | undefined, count: number): Promise<string[]> {
  if (given.length > 0) return given.map((t) => jobIdArg(t));
  if (filter === undefined) throw new CliError('watch: name job ids, or select jobs with --active, --all or --filter', 2);
  const ids: string[] = [];
  for await (const j of client.allJobs({ filter, ...(count > 0 ? { max: count } : {}) })) ids.push(j.id);
  return ids.reverse();
}

const EXAMPLES = `
Copies the jobs' standard output and error here until they have all ended (jobs
that already ended are copied at once). With several jobs each line starts with
its job id, and a summary line per job follows. Exits with the largest exit code
of the jobs (1 if one failed or was canceled before it finished; 0 if no job
matched).

Examples:
  $ flurry submit --cc=1-3 ./sweep.sh && flurry watch --active
  $ flurry watch ƒ2MU1GM7V ƒ2MU1GM7W
  $ flurry watch -f inactive -c 10       # replay the output of the last 10 jobs
`;

interface Flags {
  active?: boolean;
  all?: boolean;
  filter?: string;
  count: string;
  progress?: boolean;
}

export function register(program: Command): void {
  program
    .command('watch')
    .description('follow the output of one or more jobs until they end')
    .argument('[ids...]', 'job ids (any encoding)')
    .option('-a, --active', 'watch all of your active jobs (--filter=pending,running)')
    .option('-A, --all', 'watch all of your jobs, inactive ones too (--filter=pending,running,inactive)')
    .option('-f, --filter <STATES>', 'watch your jobs in these states or results (as flurry jobs -f)')
    .addOption(new Option('-c, --count <N>', 'watch at most N jobs (0: no limit)').default('1000'))
    .option('--progress', 'show a progress line on stderr (on a terminal)')
    .addHelpText('after', EXAMPLES)
    .action(async (given: string[], f: Flags, cmd: Command) => {
      const count = Number(f.count);
      if (!Number.isInteger(count) || count < 0) throw new CliError('--count: must be an integer ≥ 0', 2);
      if (given.length > 0 && (f.active || f.all || f.filter)) throw new CliError('watch: job ids cannot be combined with --active, --all or --filter', 2);
      const filter = f.filter ?? (f.all ? 'pending,running,inactive' : f.active ? 'pending,running' : undefined);
      const client = await connect(cmd);
      const ids = await selectJobs(client, given, filter, count);
      process.exitCode = await watchJobs(client, ids, { progress: f.progress }, process);
    });
}

// job-wait.ts - `flurry job wait [ID] [--all] [-v]`, as `flux job wait`: wait for a job (or the first, or all, of
// the caller's active jobs) to become inactive; exit 0 if it succeeded, 1 if not (the reason on stderr), 2 when
// there is nothing to wait for. Also rotate(), the bounded long-poll pool `flurry watch` shares.
// Invariants: no sleeps: every wait is a server-side long poll; at most `limit` polls are in flight, and an item
// whose poll returns goes to the back of the line, so every job gets a turn however many there are.
import { setMaxListeners } from 'node:events';
import { constants } from 'node:os';
import type { Command } from 'commander';
import type { FlurryClient } from '../../sdk/client.ts';
import { isFlurryApiError } from '../../sdk/errors.ts';
import type { JobSummary } from '../../sdk/types.ts';
import { CliError } from '../fail.ts';
import { jobIdArg } from '../format/ids.ts';
import { connect } from '../instance.ts';
import type { OutStream } from './job-attach.ts';

/** Long polls in flight at once: the CLI's HTTP agent keeps 16 sockets per host (instance.ts nodeFetch). */
export const MAX_LONG_POLLS = 16;
/** Seconds a poll may wait on the server when every item has a slot, and when items must take turns. */
export const LONG_WAIT_SECONDS = 25;
export const TURN_WAIT_SECONDS = 2;

/**
 * Polls each item until its poll says it is finished, with at most `limit` polls in flight. While every unfinished
 * item fits in `limit`, polls wait long; otherwise briefly, so the line keeps moving. Ends when all are finished,
 * or quietly when `signal` aborts (in-flight polls get the signal too).
 * @example await rotate(ids, { limit: 16 }, async (id, wait, signal) => (await client.eventlogPage(id, { waitSeconds: wait, signal })).done)
 */
export async function rotate<T>(items: readonly T[], o: { limit: number; signal?: AbortSignal }, poll: (item: T, waitSeconds: number, signal: AbortSignal) => Promise<boolean>): Promise<void> {
  const line = [...items];
  let unfinished = items.length;
  const signal = o.signal ?? new AbortController().signal;
  // Every poll in flight listens to the signal: more than Node's default of 10 is expected, not a leak.
  setMaxListeners(o.limit + 10, signal);
  const worker = async () => {
    while (!signal.aborted) {
      const item = line.shift();
      if (item === undefined) return;
      const wait = unfinished > o.limit ? TURN_WAIT_SECONDS : LONG_WAIT_SECONDS;
      let finished: boolean;
      try {
        finished = await poll(item, wait, signal);
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
      if (finished) unfinished--;
      else line.push(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.limit, items.length)) }, worker));
}

/** A signal's name (SIGKILL), where Node knows it. */
function signalName(signo: number): string {
  return Object.entries(constants.signals).find(([, n]) => n === signo)?.[0] ?? `signal ${signo}`;
}

/**
 * Why an inactive job did not succeed, as `flux job wait` says it, or undefined if it completed successfully.
 * @example failureText({ result: 'CANCELED', exception: { type: 'cancel', severity: 0, note: '' } }) // 'Fatal exception type=cancel'
 */
export function failureText(j: Pick<JobSummary, 'result' | 'exitCode' | 'signal' | 'exception'>): string | undefined {
  if (j.exception && j.exception.severity === 0) return `Fatal exception type=${j.exception.type}${j.exception.note ? ` ${j.exception.note}` : ''}`;
  if (j.signal !== undefined) return `task(s) killed by ${signalName(j.signal)}`;
  if (j.exitCode !== undefined && j.exitCode > 128 && j.exitCode <= 128 + 64) return `task(s) killed by ${signalName(j.exitCode - 128)}`;
  if (j.exitCode !== undefined && j.exitCode !== 0) return `task(s) exited with exit code ${j.exitCode}`;
  if (j.result !== 'COMPLETED') return `job ${(j.result ?? 'ended').toLowerCase()}`;
  return undefined;
}

export interface WaitIo {
  stdout: OutStream;
  stderr: OutStream;
}

const PROG = 'flurry-job';

/** Follows `id`'s eventlog (one long poll per call) and answers its summary once it is inactive. */
function eventlogPoller(client: FlurryClient) {
  const from = new Map<string, number>();
  return async (id: string, waitSeconds: number, signal: AbortSignal): Promise<JobSummary | undefined> => {
    const page = await client.eventlogPage(id, { from: from.get(id) ?? 0, waitSeconds, signal });
    from.set(id, page.next);
    return page.done ? client.job(id, signal) : undefined;
  };
}

/**
 * `flurry job wait ID`: 0 if the job succeeded, 1 if not (the reason on stderr), 2 if there is no such job.
 * @example process.exitCode = await waitOne(client, 'ƒ2MU1GM7V', process)
 */
export async function waitOne(client: FlurryClient, id: string, io: WaitIo, verbose = false): Promise<number> {
  let job;
  try {
    job = await client.wait(id, { waitSeconds: LONG_WAIT_SECONDS });
  } catch (err) {
    if (!isFlurryApiError(err, 'not_found')) throw err;
    io.stderr.write(`${PROG}: ${err.message}\n`);
    return 2;
  }
  const why = failureText(job);
  if (why) io.stderr.write(`${PROG}: ${why}\n`);
  else if (verbose) io.stderr.write(`${id}: job completed successfully\n`);
  return why ? 1 : 0;
}

/** The caller's active jobs, oldest first. */
async function activeJobs(client: FlurryClient): Promise<string[]> {
  const ids: string[] = [];
  for await (const j of client.allJobs({ filter: 'active' })) ids.push(j.id);
  return ids.reverse();
}

/**
 * `flurry job wait --all`: every active job of the caller, each failure reported as `ID: reason` as it happens
 * (and each success with -v); 1 if any failed, else 0.
 */
export async function waitAll(client: FlurryClient, io: WaitIo, verbose = false): Promise<number> {
  const poll = eventlogPoller(client);
  let code = 0;
  await rotate(await activeJobs(client), { limit: MAX_LONG_POLLS }, async (id, wait, signal) => {
    const job = await poll(id, wait, signal);
    if (!job) return false;
    const why = failureText(job);
    if (why) {
      code = 1;
      io.stderr.write(`${id}: ${why}\n`);
    } else if (verbose) io.stderr.write(`${id}: job completed successfully\n`);
    return true;
  });
  return code;
}

/** `flurry job wait` without an id: the first of the caller's active jobs to end; its id on stdout. 2 if none. */
export async function waitAny(client: FlurryClient, io: WaitIo, verbose = false): Promise<number> {
  const ids = await activeJobs(client);
  if (ids.length === 0) {
    io.stderr.write(`${PROG}: there are no active jobs to wait for\n`);
    return 2;
  }
  const poll = eventlogPoller(client);
  const stop = new AbortController();
  let first: JobSummary | undefined;
  await rotate(ids, { limit: MAX_LONG_POLLS, signal: stop.signal }, async (id, wait, signal) => {
    const job = await poll(id, wait, signal);
    if (!job || first) return Boolean(job);
    first = job;
    stop.abort(new Error('a job ended'));
    return true;
  });
  if (!first) throw new CliError('wait: no job ended');
  io.stdout.write(`${first.id}\n`);
  const why = failureText(first);
  if (why) io.stderr.write(`${PROG}: ${why}\n`);
  else if (verbose) io.stderr.write(`${first.id}: job completed successfully\n`);
  return why ? 1 : 0;
}

const EXAMPLES = `
Exits 0 if the job completed successfully, 1 if it failed, was canceled or
timed out (the reason on stderr), 2 if there is no such job. Without an id,
waits for the first of your active jobs to end and prints its id (exit 2 when
you have none). Flurry has no "waitable" flag: any of your jobs can be waited
for, any number of times.

Examples:
  $ flurry job wait ƒ2MU1GM7V
  flurry-job: task(s) exited with exit code 3
  $ flurry job wait --all -v
  $ while id=$(flurry job wait); do echo "$id ended"; done
`;

/** Add `wait` to the `job` group. */
export function registerJobWait(job: Command): Command {
  return job
    .command('wait')
    .description('wait for a job (or all of yours) to end; exit 0 if it succeeded')
    .argument('[id]', 'job id (any encoding)')
    .option('-a, --all', 'wait for all of your active jobs; exit 1 if any did not succeed')
    .option('-v, --verbose', 'also report jobs that succeeded')
    .addHelpText('after', EXAMPLES)
    .action(async (idText: string | undefined, o: { all?: boolean; verbose?: boolean }, cmd: Command) => {
      if (idText !== undefined && o.all) throw new CliError('job wait: a job id cannot be combined with --all');
      let id: string | undefined;
      try {
        id = idText === undefined ? undefined : jobIdArg(idText);
      } catch (err) {
        throw new CliError((err as Error).message, 2);
      }
      const client = await connect(cmd);
      if (id !== undefined) process.exitCode = await waitOne(client, id, process, o.verbose);
      else process.exitCode = o.all ? await waitAll(client, process, o.verbose) : await waitAny(client, process, o.verbose);
    });
}

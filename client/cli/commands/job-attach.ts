// job-attach.ts - `flurry job attach ID`, and attachJob, which `flurry run` shares: stream a job's output (stdout
// to stdout, stderr to stderr), report its exceptions, and return its exit code by Flux's rules.
// Invariants: output and eventlog are long-polled concurrently (no sleeps); exit code = the job's exit status,
// 128+signal when a signal ended it, 1 when it never finished (canceled or failed before it ran), and 1 rather than 0
// after a fatal exception; Ctrl-C once cancels the job and keeps streaming, twice within 2 s detaches (exit 130).
import { constants } from 'node:os';
import type { Command } from 'commander';
import { decodeWaitStatus } from '../../../control/core/job/result.ts';
import type { FlurryClient } from '../../sdk/client.ts';
import type { JobEvent, JobSummary } from '../../sdk/types.ts';
import { jobIdArg } from '../format/ids.ts';
import { connect } from '../instance.ts';

/** Where output goes; process.stdout and process.stderr fit. */
export interface OutStream {
  write(s: string): boolean;
  once?(event: 'drain', cb: () => void): unknown;
}

export interface AttachIo {
  stdout: OutStream;
  stderr: OutStream;
  /** Subscribes to Ctrl-C, returning the unsubscribe; default process SIGINT. */
  onInterrupt?: (handler: () => void) => () => void;
  now?: () => number;
}

export interface AttachOptions {
  /** Prefix of messages on stderr: `flurry-run`, `flurry-job`. */
  prog: string;
  /** -l: prefix each output line with its task rank. */
  labelIo?: boolean;
  /** -E: print the job's events on stderr. */
  showEvents?: boolean;
  /** -r: no Ctrl-C handling. */
  readOnly?: boolean;
}

const DETACH_WINDOW_MS = 2000;

/** Lines of each task's output prefixed with `<rank>: `, holding back partial lines until they end. */
class Labeler {
  readonly #partial = new Map<string, { stream: 'stdout' | 'stderr'; task: number; text: string }>();

  label(stream: 'stdout' | 'stderr', task: number, data: string): string {
    const key = `${stream}:${task}`;
    const lines = ((this.#partial.get(key)?.text ?? '') + data).split('\n');
    const rest = lines.pop()!;
    if (rest) this.#partial.set(key, { stream, task, text: rest });
    else this.#partial.delete(key);
    return lines.map((l) => `${task}: ${l}\n`).join('');
  }

  /** Unfinished last lines, each ended with a newline. */
  flush(): Array<{ stream: 'stdout' | 'stderr'; text: string }> {
    const out = [...this.#partial.values()].map((p) => ({ stream: p.stream, text: `${p.task}: ${p.text}\n` }));
    this.#partial.clear();
    return out;
  }
}

/** Write, waiting for the stream to drain when it asks us to. */
async function put(out: OutStream, s: string): Promise<void> {
  if (!out.write(s) && out.once) await new Promise<void>((resolve) => out.once!('drain', resolve));
}

/** The signal's name (SIGKILL) where Node knows it. */
function signalName(signo: number): string {
  const name = Object.entries(constants.signals).find(([, n]) => n === signo)?.[0];
  return name ?? `signal ${signo}`;
}

/** Long poll (s) per request, and the shorter one once the job is known to be inactive. */
const LONG_POLL_SECONDS = 25;
const SHORT_POLL_SECONDS = 1;

/** A one-time signal that cuts in-flight polls short. */
class Hurry {
  fired = false;
  readonly #polls = new Set<AbortController>();

  fire(): void {
    this.fired = true;
    for (const c of this.#polls) c.abort(new Error('hurry'));
  }

  /** A controller for one poll, aborted if the hurry fires while it is in flight. */
  track(): { signal: AbortSignal; release: () => void } {
    const c = new AbortController();
    this.#polls.add(c);
    return { signal: c.signal, release: () => this.#polls.delete(c) };
  }
}

/** One long-poll page; cut short (and asked again with a short wait) when `hurry` fires. */
async function pollPage<P>(fetchPage: (waitSeconds: number, signal: AbortSignal) => Promise<P>, outer: AbortSignal, hurry: Hurry): Promise<P> {
  for (;;) {
    outer.throwIfAborted();
    if (hurry.fired) return fetchPage(SHORT_POLL_SECONDS, outer);
    const poll = hurry.track();
    try {
      return await fetchPage(LONG_POLL_SECONDS, AbortSignal.any([outer, poll.signal]));
    } catch (err) {
      if (outer.aborted || !poll.signal.aborted) throw err;
    } finally {
      poll.release();
    }
  }
}

const defaultInterrupt = (handler: () => void): (() => void) => {
  process.on('SIGINT', handler);
  return () => process.off('SIGINT', handler);
};

/**
 * Follow job `id` (f58) to its end, printing its output and exceptions; resolves with the exit code.
 * @example process.exitCode = await attachJob(client, 'ƒ2MU1GM7V', { prog: 'flurry-run' }, process)
 */
export async function attachJob(client: FlurryClient, id: string, opts: AttachOptions, io: AttachIo): Promise<number> {
  const { prog } = opts;
  const now = io.now ?? (() => Date.now());
  const ac = new AbortController();
  let detached = false;
  let lastInterrupt = -Infinity;
  const onInterrupt = () => {
    const t = now();
    if (t - lastInterrupt <= DETACH_WINDOW_MS) {
      detached = true;
      io.stderr.write(`${prog}: ${id}: detaching; the job was asked to cancel\n`);
      ac.abort(new Error('detached'));
      return;
    }
    lastInterrupt = t;
    io.stderr.write(`${prog}: ${id}: canceling (press Ctrl-C again within 2s to detach)\n`);
    client.cancel(id, 'interrupted by Ctrl-C').catch((err: Error & { code?: string }) => {
      if (err.code !== 'conflict') io.stderr.write(`${prog}: ${id}: cancel: ${err.message}\n`);
    });
  };
  const unsubscribe = opts.readOnly ? () => {} : (io.onInterrupt ?? defaultInterrupt)(onInterrupt);

  const labeler = opts.labelIo ? new Labeler() : undefined;
  let status: number | undefined;
  let fatal = false;
  let t0: number | undefined;

  const onEvent = (ev: JobEvent) => {
    t0 ??= ev.timestamp;
    const ctx = ev.context ?? {};
    if (opts.showEvents && ev.name !== 'exception') {
      io.stderr.write(`${(ev.timestamp - t0).toFixed(3)}s: job.${ev.name}${ev.context ? ` ${JSON.stringify(ev.context)}` : ''}\n`);
    }
    if (ev.name === 'exception') {
      const severity = Number(ctx.severity ?? 0);
      const note = String(ctx.note ?? '');
      const sev = severity === 0 ? '' : ` (severity ${severity})`;
      io.stderr.write(`${prog}: ${id}: exception: ${String(ctx.type ?? 'unknown')}${sev}${note ? `: ${note}` : ''}\n`);
      if (severity === 0) fatal = true;
    } else if (ev.name === 'finish' && typeof ctx.status === 'number') {
      status = ctx.status;
    }
  };

  // Each stream ending tells the other the job is inactive: its in-flight long poll is cut short and later ones
  // wait at most a second, so a wake-up the server misses costs at most that, not a whole long poll.
  const eventsDone = new Hurry();
  const outputDone = new Hurry();
  const followEvents = async () => {
    let from = 0;
    for (;;) {
      const page = await pollPage((wait, signal) => client.eventlogPage(id, { from, waitSeconds: wait, signal }), ac.signal, outputDone);
      for (const ev of page.events) onEvent(ev);
      if (page.done) return eventsDone.fire();
      from = page.next;
    }
  };
  const followOutput = async () => {
    let cursor: string | undefined;
    let truncated = false;
    for (;;) {
      const page = await pollPage((wait, signal) => client.outputPage(id, { ...(cursor === undefined ? {} : { cursor }), waitSeconds: wait, signal }), ac.signal, eventsDone);
      if (page.truncated && !truncated) {
        truncated = true;
        io.stderr.write(`${prog}: ${id}: some output was dropped (the job reached its output cap)\n`);
      }
      for (const o of page.entries) {
        const out = o.stream === 'stdout' ? io.stdout : io.stderr;
        await put(out, labeler ? labeler.label(o.stream, o.task, o.data) : o.data);
      }
      if (page.done) return outputDone.fire();
      cursor = page.cursor;
    }
  };
  const guard = (p: Promise<void>) =>
    p.catch((err: unknown) => {
      if (!ac.signal.aborted) ac.abort(err);
      throw err;
    });

  try {
    await Promise.all([guard(followEvents()), guard(followOutput())]);
  } catch (err) {
    if (!detached) throw err;
  } finally {
    unsubscribe();
    for (const p of labeler?.flush() ?? []) await put(p.stream === 'stdout' ? io.stdout : io.stderr, p.text);
  }
  if (detached) return 130;
  return exitCodeOf(status, fatal, async (line) => void io.stderr.write(`${prog}: ${line}\n`));
}

/**
 * The exit code for a finish wait status (undefined: the job never finished) and whether a fatal exception happened,
 * reporting a failure as Flux does (`task(s) exited with exit code 3`).
 * @example await exitCodeOf(3 << 8, false, log) // 3
 */
export async function exitCodeOf(status: number | undefined, fatal: boolean, log: (line: string) => Promise<void>): Promise<number> {
  if (status === undefined) return 1;
  const d = decodeWaitStatus(status);
  let code = 1;
  if (d.signal !== undefined) {
    code = 128 + d.signal;
    await log(`task(s) killed by ${signalName(d.signal)}`);
  } else if (d.exitCode !== undefined) {
    code = d.exitCode;
    if (code > 128 && code <= 128 + 64) await log(`task(s) killed by ${signalName(code - 128)}`);
    else if (code !== 0) await log(`task(s) exited with exit code ${code}`);
  }
  return fatal && code === 0 ? 1 : code;
}

const EXAMPLES = `
Prints the job's standard output and error as they arrive and exits with its
exit code (128+N if signal N ended it; 1 if it failed or was canceled before it
ran). Ctrl-C cancels the job; Ctrl-C twice within 2 seconds detaches.

Examples:
  $ flurry job attach ƒ2MU1GM7V
  $ flurry job attach -l ƒ2MU1GM7V       # prefix lines with the task rank
`;

/** Add `attach` to the `job` group. */
export function registerJobAttach(job: Command): Command {
  return job
    .command('attach')
    .description('follow a job: stream its output and exit with its exit code')
    .argument('<id>', 'job id (any encoding)')
    .option('-l, --label-io', 'prefix output lines with the task rank')
    .option('-E, --show-events', 'print the job eventlog on stderr')
    .option('-r, --read-only', 'do not cancel the job on Ctrl-C')
    .addHelpText('after', EXAMPLES)
    .action(async (idText: string, o: { labelIo?: boolean; showEvents?: boolean; readOnly?: boolean }, cmd: Command) => {
      const id = jobIdArg(idText);
      const client = await connect(cmd);
      process.exitCode = await attachJob(client, id, { prog: 'flurry-job', labelIo: o.labelIo, showEvents: o.showEvents, readOnly: o.readOnly }, process);
    });
}

/**
 * A finished job's exit code from its summary, by the same rules as attachJob.
 * @example summaryExitCode({ ...job, signal: 9 }) // 137
 */
export function summaryExitCode(j: Pick<JobSummary, 'exitCode' | 'signal' | 'exception'>): number {
  if (j.signal !== undefined) return 128 + j.signal;
  if (j.exitCode === undefined) return 1;
  return j.exitCode === 0 && j.exception?.severity === 0 ? 1 : j.exitCode;
}

// job-wait-event.ts - `flurry job wait-event [-t TIMEOUT] [-m KEY=VALUE] [-c COUNT] [-v] [-q] ID EVENT`, as
// `flux job wait-event`: print the event once it is in the job's eventlog (at once if it already is); exit 1 on a
// timeout or when the job ended without it.
// Invariants: long polls only (no sleeps); each poll waits at most until the timeout; events are tested in eventlog
// order, each once; the matched event is printed in `flurry job eventlog`'s format.
import { Option, type Command } from 'commander';
import { parseFSD } from '../../../control/core/duration.ts';
import type { FlurryClient } from '../../sdk/client.ts';
import { isFlurryApiError } from '../../sdk/errors.ts';
import type { JobEvent } from '../../sdk/types.ts';
import { CliError } from '../fail.ts';
import { EventlogFormatter, TIME_FORMATS, type TimeFormat } from '../format/eventlog.ts';
import { jobIdArg } from '../format/ids.ts';
import { connect } from '../instance.ts';
import type { WaitIo } from './job-wait.ts';

export interface WaitEventOptions {
  /** Seconds; undefined or Infinity waits for as long as it takes. */
  timeout?: number;
  /** -m KEY=VALUE: the event's context must have KEY equal to VALUE (as JSON, or as the plain string). */
  match?: { key: string; value: string };
  /** The COUNT-th matching event (default 1). */
  count?: number;
  /** Print the events before the match too. */
  verbose?: boolean;
  /** Print nothing; only the exit code tells. */
  quiet?: boolean;
  formatter?: EventlogFormatter;
}

const PROG = 'flurry-job';
const LONG_POLL_SECONDS = 25;

/**
 * Whether `ev` is `name` and its context matches `match` (Flux's rules: the value's compact JSON, or the string).
 * @example eventMatches({ timestamp: 1, name: 'finish', context: { status: 0 } }, 'finish', { key: 'status', value: '0' }) // true
 */
export function eventMatches(ev: JobEvent, name: string, match?: { key: string; value: string }): boolean {
  if (ev.name !== name) return false;
  if (!match) return true;
  if (!ev.context || !Object.hasOwn(ev.context, match.key)) return false;
  const v = ev.context[match.key];
  return JSON.stringify(v) === match.value || (typeof v === 'string' && v === match.value);
}

/**
 * Waits for event `name` of job `id`; resolves with the exit code (0 found, 1 timed out or never came).
 * @example process.exitCode = await waitEvent(client, 'ƒ2MU1GM7V', 'start', { timeout: 10 }, process)
 */
export async function waitEvent(client: FlurryClient, id: string, name: string, o: WaitEventOptions, io: WaitIo): Promise<number> {
  const fmt = o.formatter ?? new EventlogFormatter();
  const count = o.count ?? 1;
  const timeoutMs = o.timeout === undefined || o.timeout === Infinity ? undefined : o.timeout * 1000;
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  const timer = timeoutMs === undefined ? undefined : AbortSignal.timeout(Math.max(0, timeoutMs));
  let from = 0;
  let matches = 0;
  try {
    for (;;) {
      const left = (deadline - Date.now()) / 1000;
      const waitSeconds = Math.max(0, Math.min(LONG_POLL_SECONDS, Math.ceil(left)));
      const page = await client.eventlogPage(id, { from, waitSeconds, ...(timer ? { signal: timer } : {}) });
      for (const ev of page.events) {
        const line = `${fmt.line(ev)}\n`;
        if (eventMatches(ev, name, o.match) && ++matches === count) {
          if (!o.quiet) io.stdout.write(line);
          return 0;
        }
        if (o.verbose && !o.quiet) io.stdout.write(line);
      }
      from = page.next;
      if (page.done) {
        io.stderr.write(`${PROG}: event '${name}' never received\n`);
        return 1;
      }
      if (Date.now() >= deadline) throw new DOMException('timeout', 'TimeoutError');
    }
  } catch (err) {
    if (timer?.aborted || (err as Error)?.name === 'TimeoutError') {
      io.stderr.write(`${PROG}: wait-event timeout on event '${name}'\n`);
      return 1;
    }
    if (isFlurryApiError(err, 'not_found')) {
      io.stderr.write(`${PROG}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

const EXAMPLES = `
Examples:
  $ flurry job wait-event ƒ2MU1GM7V start
  1699995759.601002 start
  $ flurry job wait-event -t 10s -m status=0 ƒ2MU1GM7V finish
  $ flurry job wait-event -q ƒ2MU1GM7V clean && echo done
`;

interface Flags {
  timeout?: string;
  matchContext?: string;
  count: string;
  verbose?: boolean;
  quiet?: boolean;
  format: 'text' | 'json';
  timeFormat?: TimeFormat;
  human?: boolean;
}

/** Add `wait-event` to the `job` group. */
export function registerJobWaitEvent(job: Command): Command {
  return job
    .command('wait-event')
    .description("wait for an event in a job's eventlog and print it")
    .argument('<id>', 'job id (any encoding)')
    .argument('<event>', 'event name (submit, alloc, start, finish, clean, exception…)')
    .option('-t, --timeout <DURATION>', 'give up after DURATION (RFC 23: 10, 30s, 1.5m) and exit 1')
    .option('-m, --match-context <KEY=VALUE>', "only an event whose context has KEY=VALUE")
    .option('-c, --count <N>', 'wait for the Nth matching event', '1')
    .option('-v, --verbose', 'also print the events before the match')
    .option('-q, --quiet', 'print nothing')
    .addOption(new Option('-f, --format <FORMAT>', 'text or json').choices(['text', 'json']).default('text'))
    .addOption(new Option('-T, --time-format <FORMAT>', 'timestamps: raw, iso, offset, human').choices(TIME_FORMATS))
    .option('-H, --human', 'human-readable times (same as -T human)')
    .addHelpText('after', EXAMPLES)
    .action(async (idText: string, name: string, f: Flags, cmd: Command) => {
      const id = jobIdArg(idText);
      let timeout: number | undefined;
      try {
        timeout = f.timeout === undefined ? undefined : parseFSD(f.timeout);
      } catch (err) {
        throw new CliError(`--timeout: ${(err as Error).message}`);
      }
      const count = Number(f.count);
      if (!Number.isInteger(count) || count < 1) throw new CliError('--count: must be an integer ≥ 1');
      let match: WaitEventOptions['match'];
      if (f.matchContext !== undefined) {
        const eq = f.matchContext.indexOf('=');
        if (eq <= 0) throw new CliError('--match-context: must be KEY=VALUE');
        match = { key: f.matchContext.slice(0, eq), value: f.matchContext.slice(eq + 1) };
      }
      const formatter = new EventlogFormatter({ format: f.format, time: f.human ? 'human' : (f.timeFormat ?? 'raw') });
      const client = await connect(cmd);
      process.exitCode = await waitEvent(client, id, name, { timeout, match, count, verbose: f.verbose, quiet: f.quiet, formatter }, process);
    });
}

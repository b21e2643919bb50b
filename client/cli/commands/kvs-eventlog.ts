// kvs-eventlog.ts - `flurry kvs eventlog append|get|wait-event`: RFC 18 eventlogs stored under a key, as Flux's.
// Invariants: each append is one commit; get -w prints every event appended after the ones it printed first, in
// order and once each (appends are read from the commit log, not by re-reading the eventlog).
import type { Command } from 'commander';
import { EventlogReader, type KvsEvent } from '../../../control/kvs/eventlog.ts';
import { isFlurryApiError } from '../../sdk/errors.ts';
import { entryText } from '../../sdk/kvs.ts';
import { CliError } from '../fail.ts';
import { EventlogFormatter } from '../format/eventlog.ts';
import { putValue } from './kvs-format.ts';
import { kvsAction, namespaceOption, parseCount, type KvsContext } from './kvs.ts';

/**
 * The context of `eventlog append KEY NAME [CONTEXT...]`: one JSON object, or KEY=VALUE words (values JSON when
 * they parse, else strings).
 * @example eventContext(['count=3', 'note=ok']) // { count: 3, note: 'ok' }
 */
export function eventContext(words: readonly string[]): Record<string, unknown> | undefined {
  if (words.length === 0) return undefined;
  const text = words.join(' ').trim();
  if (text.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch {
      throw new CliError(`eventlog append: the context is not valid JSON: ${text}`);
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new CliError('eventlog append: the context must be a JSON object');
    return obj as Record<string, unknown>;
  }
  const out: Record<string, unknown> = {};
  for (const w of words) {
    const i = w.indexOf('=');
    if (i <= 0) throw new CliError(`eventlog append: "${w}": expected KEY=VALUE or one JSON object`);
    out[w.slice(0, i)] = putValue(w.slice(i + 1));
  }
  return out;
}

export interface EventlogGetOptions {
  waitcreate?: boolean;
  watch?: boolean;
  count?: number;
  unformatted?: boolean;
  /** wait-event: stop at the first event of this name (printed unless quiet). */
  until?: string;
  quiet?: boolean;
  verbose?: boolean;
}

/**
 * `flurry kvs eventlog get KEY`: the events, then with -w each one appended after them; ends after -c events.
 * With `until` (wait-event): returns at the first event of that name.
 */
export async function runEventlogGet(ctx: KvsContext, key: string, o: EventlogGetOptions): Promise<number> {
  const { client, ns, io } = ctx;
  const fmt = new EventlogFormatter({ format: o.unformatted ? 'json' : 'text' });
  const limit = o.count ?? Infinity;
  let printed = 0;
  /** Prints (or, for wait-event, considers) events; true when done. */
  const take = (events: KvsEvent[]): boolean => {
    for (const ev of events) {
      const hit = o.until !== undefined && ev.name === o.until;
      if (o.until === undefined || (hit && !o.quiet) || (!hit && o.verbose)) io.out(`${fmt.line(ev)}\n`);
      if (hit) return true;
      if (o.until === undefined && ++printed >= limit) return true;
    }
    return false;
  };
  let after = await client.version(ns);
  let reader: EventlogReader | undefined;
  try {
    const log = await client.eventlog(ns, key);
    after = log.version;
    reader = log.reader;
    if (take(log.events)) return 0;
  } catch (err) {
    if (!isFlurryApiError(err, 'not_found') || !o.waitcreate || !/no such key$/.test(err.message)) throw err;
  }
  if (!o.watch && o.until === undefined && reader) return 0;
  for (;;) {
    const page = await client.watch(ns, key, after, { signal: io.signal });
    for (const change of page.changes) {
      if (change.op === 'unlink') throw new CliError(`${key}: the eventlog was removed`);
      if (change.op === 'set' && reader) throw new CliError(`${key}: the eventlog was overwritten`);
      reader ??= new EventlogReader();
      const done = take(reader.feed(entryText(change.op === 'set' ? change.entry : change.data)));
      if (done || (!o.watch && o.until === undefined)) return 0;
    }
    after = page.version;
  }
}

export function registerKvsEventlog(kvs: Command): void {
  const el = kvs
    .command('eventlog')
    .description('RFC 18 eventlogs stored under keys (run "flurry kvs eventlog <command> --help")')
    .addHelpText('after', '\nExamples:\n  $ flurry kvs eventlog append job.progress step count=3\n  $ flurry kvs eventlog get -w job.progress\n');
  el.command('append')
    .description('append an event to the eventlog at KEY (creating it)')
    .argument('<key>', 'dotted key')
    .argument('<name>', 'the event name')
    .argument('[context...]', 'the context: KEY=VALUE words, or one JSON object')
    .addOption(namespaceOption())
    .option('-t, --timestamp <SECONDS>', 'the timestamp, seconds since the epoch (default now)')
    .addHelpText('after', '\nExamples:\n  $ flurry kvs eventlog append job.progress step count=3 note=ok\n  $ flurry kvs eventlog append job.progress done \'{"status": 0}\'\n')
    .action(
      kvsAction<{ timestamp?: string }>(async (ctx, [key, name, ...words], o) => {
        const timestamp = o.timestamp === undefined ? Date.now() / 1000 : Number(o.timestamp);
        if (!(timestamp > 0)) throw new CliError(`--timestamp: "${o.timestamp}" is not a time in seconds since the epoch`);
        const context = eventContext(words);
        await ctx.client.eventlogAppend(ctx.ns, key!, { name: name!, timestamp, ...(context ? { context } : {}) });
      }),
    );
  el.command('get')
    .description('print the events of the eventlog at KEY')
    .argument('<key>', 'dotted key')
    .addOption(namespaceOption())
    .option('-W, --waitcreate', 'if the eventlog does not exist, wait until it is created')
    .option('-w, --watch', 'then print events as they are appended (until -c events or Ctrl-C)')
    .option('-c, --count <N>', 'stop after N events', parseCount)
    .option('-u, --unformatted', 'print each event as its raw JSON line')
    .addHelpText('after', '\nExamples:\n  $ flurry kvs eventlog get job.progress\n  1700000000.123456 step count=3 note="ok"\n  $ flurry kvs eventlog get -W -w -c 10 -N job-ƒ2MU1GM7V exec.eventlog\n')
    .action(kvsAction<EventlogGetOptions>((ctx, [key], o) => runEventlogGet(ctx, key!, o)));
  el.command('wait-event')
    .description('wait for an event of a given name in the eventlog at KEY, and print it')
    .argument('<key>', 'dotted key')
    .argument('<event>', 'the event name')
    .addOption(namespaceOption())
    .option('-W, --waitcreate', 'if the eventlog does not exist, wait until it is created')
    .option('-u, --unformatted', 'print events as raw JSON lines')
    .option('-q, --quiet', 'do not print the event')
    .option('-v, --verbose', 'print the events before it too')
    .addHelpText('after', '\nExamples:\n  $ flurry kvs eventlog wait-event -W job.progress done\n')
    .action(kvsAction<EventlogGetOptions>((ctx, [key, event], o) => runEventlogGet(ctx, key!, { ...o, until: event! })));
}

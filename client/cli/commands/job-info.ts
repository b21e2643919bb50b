// job-info.ts - `flurry job info ID [jobspec|R|eventlog]`: with a key, that piece of the job as JSON (the eventlog as
// one JSON entry per line, as RFC 18 stores it); without one, a readable summary of the job.
// Invariant: the summary shows only what the API returned; a missing piece (R before allocation) is a clear error.
import type { Command } from 'commander';
import { decodeFluid } from '../../../control/core/fluid.ts';
import type { JobInfo } from '../../sdk/types.ts';
import { CliError } from '../fail.ts';
import { jobIdArg } from '../format/ids.ts';
import { contextualInfo } from '../format/job-fields.ts';
import { compactFSD, isoLocal } from '../format/time.ts';
import { connect } from '../instance.ts';
import { summaryExitCode } from './job-attach.ts';

export const INFO_KEYS = ['jobspec', 'R', 'eventlog'] as const;

/** Reads `path` of an unknown JSON value, or undefined. */
function dig(v: unknown, ...path: Array<string | number>): unknown {
  let x = v;
  for (const k of path) x = typeof x === 'object' && x !== null ? (x as Record<string | number, unknown>)[k] : undefined;
  return x;
}

/** A shell-like rendering of a command: words with spaces or quotes are quoted. */
function shellWords(words: unknown): string | undefined {
  if (!Array.isArray(words)) return undefined;
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(String(w)) ? String(w) : `'${String(w).replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * The readable summary of `flurry job info ID`.
 * @example formatJobInfo(info) // '       id: ƒ2MU1GM7V (6731191091817518)\n    owner: alice\n...'
 */
export function formatJobInfo(j: JobInfo): string {
  const rows: Array<[string, string | undefined]> = [];
  let dec: string | undefined;
  try {
    dec = decodeFluid(j.id).toString();
  } catch {
    dec = undefined;
  }
  rows.push(['id', dec ? `${j.id} (${dec})` : j.id]);
  rows.push(['owner', j.owner]);
  rows.push(['name', j.name]);
  rows.push(['state', j.state === 'INACTIVE' ? `${j.result ?? 'INACTIVE'} (${j.stateCode})` : `${j.state} (${j.stateCode})`]);
  rows.push(['urgency', `${j.urgency}${j.priority !== undefined ? `, priority ${j.priority}` : ''}`]);
  rows.push(['command', shellWords(dig(j.jobspec, 'tasks', 0, 'command'))]);
  rows.push(['cwd', dig(j.jobspec, 'attributes', 'system', 'cwd') as string | undefined]);
  const shape = [j.ntasks !== undefined ? `${j.ntasks} task${j.ntasks === 1 ? '' : 's'}` : undefined, j.nnodes !== undefined ? `${j.nnodes} node${j.nnodes === 1 ? '' : 's'}` : undefined];
  rows.push(['size', shape.filter(Boolean).join(' on ') || undefined]);
  rows.push(['nodes', j.nodelist]);
  const info = contextualInfo(j);
  if (info && info !== j.nodelist) rows.push(['info', info]);
  rows.push(['limit', j.duration > 0 ? compactFSD(j.duration) : 'none']);
  rows.push(['submitted', isoLocal(j.t_submit)]);
  if (j.t_run !== undefined) rows.push(['started', isoLocal(j.t_run)]);
  if (j.t_inactive !== undefined) rows.push(['ended', isoLocal(j.t_inactive)]);
  if (j.t_run !== undefined) rows.push(['runtime', compactFSD(j.runtime)]);
  if (j.state === 'INACTIVE') {
    rows.push(['exit code', String(summaryExitCode(j))]);
    if (j.signal !== undefined) rows.push(['signal', String(j.signal)]);
  }
  if (j.exception) {
    const e = j.exception;
    rows.push(['exception', `${e.type}${e.severity === 0 ? '' : ` (severity ${e.severity})`}${e.note ? `: ${e.note}` : ''}`]);
  }
  const shown = rows.filter((r): r is [string, string] => r[1] !== undefined && r[1] !== '');
  const width = Math.max(...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padStart(width)}: ${v}\n`).join('');
}

const EXAMPLES = `
Examples:
  $ flurry job info ƒ2MU1GM7V              # a readable summary
  $ flurry job info ƒ2MU1GM7V jobspec      # the jobspec, as JSON
  $ flurry job info ƒ2MU1GM7V R            # the resource set (RFC 20), once allocated
  $ flurry job info ƒ2MU1GM7V eventlog     # the eventlog, one JSON event per line
`;

/** Add `info` to the `job` group. */
export function registerJobInfo(job: Command): Command {
  return job
    .command('info')
    .description('show a job: a summary, or its jobspec, R or eventlog as JSON')
    .argument('<id>', 'job id (any encoding)')
    .argument('[key]', `one of ${INFO_KEYS.join(', ')}`)
    .addHelpText('after', EXAMPLES)
    .action(async (idText: string, key: string | undefined, _o: unknown, cmd: Command) => {
      const id = jobIdArg(idText);
      if (key !== undefined && !(INFO_KEYS as readonly string[]).includes(key)) {
        throw new CliError(`job info: unknown key "${key}" (use ${INFO_KEYS.join(', ')})`);
      }
      const client = await connect(cmd);
      if (key === 'eventlog') {
        const page = await client.eventlogPage(id);
        process.stdout.write(page.events.map((ev) => `${JSON.stringify(ev)}\n`).join(''));
        return;
      }
      const info = await client.job(id);
      if (key === undefined) {
        process.stdout.write(formatJobInfo(info));
        return;
      }
      const value = key === 'R' ? info.R : info.jobspec;
      if (value === undefined) throw new CliError(`job info: ${id} has no ${key} (it has not been allocated resources)`);
      process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    });
}

// elastic.ts - `flurry elastic status`: the elastic loop's pools (nodes by state, min/max, held launches), launches in
// flight, offerings skipped after insufficient capacity, and the last decisions with their reasons (GET /v1/elastic,
// instance owner). Invariants: rows are built from the API's answer only; --json prints that answer unchanged; an
// instance without an elastic loop says so (exit 0).
import type { Command } from 'commander';
import { compressHostlist } from '../../../control/core/hostlist.ts';
import type { ElasticStatus } from '../../../control/services.ts';
import { errorFromResponse } from '../../sdk/errors.ts';
import { baseUri } from '../../sdk/transport.ts';
import { CliError } from '../fail.ts';
import { findInstance, nodeFetch, type InstanceOptions } from '../instance.ts';

/** Fetch the status from the instance the command names. */
export async function fetchElasticStatus(from: Command | InstanceOptions, env: Readonly<Record<string, string | undefined>> = process.env): Promise<ElasticStatus> {
  const g = 'optsWithGlobals' in from && typeof from.optsWithGlobals === 'function' ? from.optsWithGlobals<InstanceOptions>() : (from as InstanceOptions);
  const inst = findInstance({ uri: g.uri, tokenFile: g.tokenFile }, { env });
  const fetch = await nodeFetch(inst.uri);
  let res;
  try {
    res = await fetch(`${baseUri(inst.uri)}/v1/elastic`, { method: 'GET', headers: { authorization: `Bearer ${inst.token}`, accept: 'application/json' } });
  } catch (err) {
    throw new CliError(`cannot reach ${inst.uri}: ${(err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw new CliError(errorFromResponse(res.status, text, res.statusText).message);
  return JSON.parse(text) as ElasticStatus;
}

/** `12s`, `4m`, `2h`: how long ago, roughly. */
function age(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

/** Local wall-clock time of a timestamp, HH:MM:SS. */
function clock(at: number): string {
  const d = new Date(at * 1000);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** Rows as aligned columns (the last column is not padded). */
function table(rows: string[][], right: ReadonlySet<number> = new Set()): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd() + '\n')
    .join('');
}

/**
 * The status as text.
 * @example formatElasticStatus(status, Date.now() / 1000) // 'POOL    PROVIDER  UP  DRAINED …'
 */
export function formatElasticStatus(s: ElasticStatus, now: number, opts: { decisions?: number } = {}): string {
  if (!s.enabled) return 'elastic: not configured on this instance (start it with flurry start --elastic FILE)\n';
  let out = table(
    [
      ['POOL', 'PROVIDER', 'UP', 'DRAINED', 'DOWN', 'JOINING', 'MIN', 'MAX', 'NODES'],
      ...s.pools.map((p) => [
        p.name, p.provider, String(p.counts.up), String(p.counts.drained), String(p.counts.down), String(p.counts.joining),
        p.min === undefined ? '-' : String(p.min), p.max === undefined ? '-' : String(p.max), compressHostlist(p.nodes.map((n) => n.name)),
      ]),
    ],
    new Set([2, 3, 4, 5, 6, 7]),
  );
  for (const p of s.pools) if (p.held) out += `  ${p.name}: launches held for ${age(p.held.until - now)} more: ${p.held.why}\n`;
  for (const p of s.pools) {
    for (const n of p.nodes) if (n.state === 'drained' && n.drainReason) out += `  ${n.name} drained: ${n.drainReason}\n`;
  }
  out += '\nLAUNCHES IN FLIGHT\n';
  out += s.launches.length
    ? table(
        [
          ['LAUNCH', 'POOL', 'TYPE', 'CAPACITY', 'COUNT', 'PENDING', 'AGE', 'STATE'],
          ...s.launches.map((l) => [l.launchId, l.pool, l.instanceType, l.capacityType, String(l.count), String(l.pending), age(now - l.since), l.state + (l.lastError ? ` (${l.lastError})` : '')]),
        ],
        new Set([4, 5, 6]),
      )
    : '(none)\n';
  if (s.unavailable.length) {
    out += '\nSKIPPED OFFERINGS (insufficient capacity)\n';
    for (const u of s.unavailable) out += `${u.instanceType} ${u.capacityType}${u.zone ? ` in ${u.zone}` : ''}${u.subnet ? ` (${u.subnet})` : ''} for ${age(u.until - now)} more\n`;
  }
  const shown = s.decisions.slice(-(opts.decisions ?? 10));
  out += `\nRECENT DECISIONS${shown.length ? ' (newest last)' : ''}\n`;
  if (!shown.length) out += '(none)\n';
  for (const d of shown) {
    const what = [d.pool, d.node ?? d.instanceId ?? d.launchId].filter(Boolean).join(' ');
    out += `${clock(d.at)}  ${d.action.padEnd(9)}  ${what}${what ? ': ' : ''}${d.text}\n`;
  }
  if (s.lastPass) {
    out += `\nlast pass ${age(now - s.lastPass.at)} ago (${s.lastPass.ms} ms)${s.lastPass.notes.length ? `; policy notes:` : ''}\n`;
    for (const n of s.lastPass.notes.slice(0, 5)) out += `  ${n}\n`;
  }
  return out;
}

const EXAMPLES = `
Examples:
  $ flurry elastic status
  POOL    PROVIDER  UP  DRAINED  DOWN  JOINING  MIN  MAX  NODES
  onprem  static     4        0     0        0    -    -  node[0-3]
  burst   ec2        2        1     0        3    0   16  ip-10-0-1-[17,23,41]
  ...
  $ flurry elastic status --json | jq '.launches'
`;

export function register(program: Command): void {
  const elastic = program
    .command('elastic')
    .description('the elastic loop: pools, launches in flight, recent scaling decisions (instance owner)')
    .addHelpText('after', EXAMPLES);
  elastic
    .command('status')
    .description('pools with their nodes by state, launches in flight, and the last decisions with their reasons')
    .option('--json', 'print the API answer as JSON')
    .option('-n, --decisions <N>', 'how many recent decisions to show (default 10)')
    .action(async (o: { json?: boolean; decisions?: string }, cmd: Command) => {
      if (o.decisions !== undefined && !/^\d+$/.test(o.decisions)) throw new CliError(`--decisions ${o.decisions}: expected a whole number`);
      const status = await fetchElasticStatus(cmd);
      if (o.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      else process.stdout.write(formatElasticStatus(status, Date.now() / 1000, o.decisions !== undefined ? { decisions: Number(o.decisions) } : {}));
    });
}

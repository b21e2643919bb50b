// hostlist.ts - `flurry hostlist`: combine, filter and print RFC 29 hostlists, like `flux hostlist`.
// Invariant: the work is done by runHostlist, which takes its stdin as a function and returns what to print and
// the exit code, so it is tested without a process; the commander action only wires it to the real streams.
import { Option, type Command } from 'commander';
import { CliError } from '../fail.ts';
import {
  compressHostlist,
  expandHostlist,
  hostlistIntersect,
  hostlistMinus,
  sortHosts,
} from '../../../control/core/hostlist.ts';
import { parseIdset } from '../../../control/core/idset.ts';

export interface HostlistOptions {
  expand?: boolean;
  delimiter?: string;
  count?: boolean;
  nth?: string;
  limit?: string;
  sort?: boolean;
  union?: boolean;
  intersect?: boolean;
  minus?: boolean;
  exclude?: string;
  quiet?: boolean;
}

const HELP = `
Each HOSTLIST is an RFC 29 hostlist ("n[01-04],login") or "-" for stdin
(whitespace-separated hostlists); with no HOSTLIST, stdin is read.
By default the lists are concatenated in order, duplicates kept, and the
result is printed compressed. The steps run in this order: combine
(concatenate, --union, --intersect or --minus), --exclude, --sort, --nth or
--limit, then print (compressed, --expand, --count or --quiet).

Examples:
  $ flurry hostlist 'n[1-3]' n5 n4
  n[1-3,5,4]
  $ flurry hostlist --union 'n[3-5]' 'n[1-4]'
  n[1-5]
  $ flurry hostlist --minus 'n[1-8]' 'n[2-3]' n7
  n[1,4-6,8]
  $ flurry hostlist --intersect 'n[1-5]' 'n[4-9]'
  n[4-5]
  $ flurry hostlist --expand 'n[01-03]'
  n01
  n02
  n03
  $ flurry hostlist --count 'n[0-1023],login'
  1025
  $ flurry hostlist --nth=0,2 'n[1-4]'
  n[1,3]
  $ flurry hostlist --nth=-1 'n[1-4]'
  n4
  $ flurry hostlist --exclude=0 'n[1-4]'        (drop the first host)
  n[2-4]
  $ printf 'n1\\nn2\\nn3\\n' | flurry hostlist
  n[1-3]
`;

/**
 * Compute what `flurry hostlist` prints for these arguments.
 * @example await runHostlist(['n[1-3]', 'n5'], {}, async () => '') // { out: 'n[1-3,5]\n', exitCode: 0 }
 */
export async function runHostlist(
  args: readonly string[],
  opts: HostlistOptions,
  readStdin: () => Promise<string>,
): Promise<{ out: string; exitCode: number }> {
  const ops = [opts.intersect && '--intersect', opts.minus && '--minus'].filter(Boolean);
  if (ops.length > 1) throw new CliError(`${ops.join(' and ')} cannot be combined`);
  if (opts.nth !== undefined && opts.limit !== undefined) throw new CliError('--nth and --limit cannot be combined');
  const outputs = [opts.expand && '--expand', opts.count && '--count', opts.quiet && '--quiet'].filter(Boolean);
  if (outputs.length > 1) throw new CliError(`${outputs.join(' and ')} cannot be combined`);

  let stdin: string | undefined; // read once, however many "-" there are
  const sources: string[] = [];
  for (const arg of args.length > 0 ? args : ['-']) {
    if (arg !== '-') sources.push(arg);
    else sources.push((stdin ??= (await readStdin()).split(/\s+/).filter((s) => s !== '').join(',')));
  }

  let hosts: string[];
  if (opts.intersect) hosts = expandHostlist(hostlistIntersect(...sources));
  else if (opts.minus) hosts = expandHostlist(sources.slice(1).reduce((acc, b) => hostlistMinus(acc, b), sources[0] ?? ''));
  else hosts = sources.flatMap((s) => expandHostlist(s));
  if (opts.union) hosts = sortHosts([...new Set(hosts)]);

  if (opts.exclude !== undefined) hosts = exclude(hosts, opts.exclude);
  if (opts.sort) hosts = sortHosts(hosts);
  if (opts.nth !== undefined) hosts = pickIndices(hosts, opts.nth);
  if (opts.limit !== undefined) hosts = limit(hosts, opts.limit);

  if (opts.quiet) return { out: '', exitCode: hosts.length === 0 ? 1 : 0 };
  if (opts.count) return { out: `${hosts.length}\n`, exitCode: 0 };
  if (opts.expand) {
    const delimiter = unescape(opts.delimiter ?? '\n');
    return { out: hosts.length === 0 ? '' : `${hosts.join(delimiter)}\n`, exitCode: 0 };
  }
  return { out: `${compressHostlist(hosts)}\n`, exitCode: 0 };
}

export function register(program: Command): void {
  program
    .command('hostlist')
    .description('combine, filter and print RFC 29 hostlists (like flux hostlist)')
    .argument('[hostlist...]', 'hostlists, or "-" for stdin (default: stdin)')
    .option('-e, --expand', 'print every host, one per line (see --delimiter)')
    .addOption(new Option('-d, --delimiter <s>', 'separator for --expand; \\n and \\t are understood').default('\n', 'newline'))
    .option('-c, --count', 'print the number of hosts')
    .option('-n, --nth <ids>', 'only the hosts at these 0-based indices, an idset like 0,2-3; -IDS counts from the end (-1 is the last)')
    .option('-L, --limit <n>', 'at most N hosts: the first N, or with -N the last N')
    .option('-S, --sort', 'sort in natural order (n2 before n10)')
    .option('-u, --union', 'unique hosts only, sorted: the set union of all hostlists')
    .option('-i, --intersect', 'hosts present in every hostlist')
    .option('-m, --minus', 'hosts of the first hostlist that are in none of the others')
    .option('-x, --exclude <hosts|ids>', 'drop these hosts (a hostlist) or indices (an idset like 0-1)')
    .option('-q, --quiet', 'print nothing; exit 1 if the result is empty')
    .addHelpText('after', HELP)
    .action(async (args: string[], opts: HostlistOptions) => {
      const { out, exitCode } = await runHostlist(args, opts, readProcessStdin);
      if (out !== '') process.stdout.write(out);
      if (exitCode !== 0) process.exitCode = exitCode;
    });
}

function exclude(hosts: string[], what: string): string[] {
  if (/^\[?[\d,-]*\]?$/.test(what)) {
    const drop = new Set(parseIdset(what));
    return hosts.filter((_, i) => !drop.has(i));
  }
  const drop = new Set(expandHostlist(what));
  return hosts.filter((h) => !drop.has(h));
}

function pickIndices(hosts: string[], ids: string): string[] {
  const fromEnd = ids.startsWith('-');
  const picked = new Set<number>();
  for (const id of parseIdset(fromEnd ? ids.slice(1) : ids)) {
    const i = fromEnd ? hosts.length - id : id;
    if (fromEnd ? id < 1 || i < 0 : i >= hosts.length) {
      throw new CliError(`--nth=${ids}: index ${fromEnd ? `-${id}` : id} is out of range for ${hosts.length} host${hosts.length === 1 ? '' : 's'}`);
    }
    picked.add(i);
  }
  return [...picked].sort((a, b) => a - b).map((i) => hosts[i]!);
}

function limit(hosts: string[], text: string): string[] {
  if (!/^-?\d+$/.test(text)) throw new CliError(`--limit=${text}: expected an integer, like 4 or -4`);
  const n = Number(text);
  return n < 0 ? hosts.slice(Math.max(0, hosts.length + n)) : hosts.slice(0, n);
}

function unescape(s: string): string {
  return s.replace(/\\([nt\\])/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : '\\'));
}

async function readProcessStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

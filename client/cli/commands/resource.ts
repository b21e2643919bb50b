// resource.ts - `flurry resource list|status|info|drain|undrain`, as `flux resource` does: the scheduler's view
// (STATE NNODES NCORES NGPUS NODELIST: free, allocated, down, drained), the per-node view, and draining nodes.
// Invariants: rows are built from the API's counts and node list only; drain/undrain name nodes by hostlist and
// print nothing on success (instance owner only: the server decides); format errors come before any request.
import type { Command } from 'commander';
import { compressHostlist, hostlistUnion } from '../../../control/core/hostlist.ts';
import { formatIdset } from '../../../control/core/idset.ts';
import type { NodeInfo, ResourceCounts, ResourceListing } from '../../sdk/types.ts';
import { CliError } from '../fail.ts';
import { parseTemplate, renderHeader, renderRow, type FieldValue, type Template } from '../format/template.ts';
import { connect } from '../instance.ts';

const LIST_FORMAT = '{state:>10} {nnodes:>6} {ncores:>8} {ngpus:>8} {nodelist}';
const LIST_FIELDS = ['state', 'nnodes', 'ncores', 'ngpus', 'nodelist'];
const LIST_HEADERS = { state: 'STATE', nnodes: 'NNODES', ncores: 'NCORES', ngpus: 'NGPUS', nodelist: 'NODELIST' };
const LIST_STATES = ['free', 'allocated', 'down', 'drained', 'up', 'all'] as const;

const STATUS_FORMAT = '{state:>10} {up:>2} {nnodes:>6} {nodelist}';
const DRAIN_FORMAT = '{state:<8.8} {reason:<30.30+} {nodelist}';
const NODE_FIELDS = ['state', 'statex', 'status', 'up', 'nnodes', 'ncores', 'ngpus', 'nodelist', 'ranks', 'reason'];
const NODE_HEADERS = {
  state: 'STATE', statex: 'STATE', status: 'STATUS', up: 'UP', nnodes: 'NNODES', ncores: 'NCORES', ngpus: 'NGPUS',
  nodelist: 'NODELIST', ranks: 'RANKS', reason: 'REASON',
};
/** Fields summed or joined over a row's nodes; the others group nodes into rows. */
const AGGREGATES = new Set(['nnodes', 'ncores', 'ngpus', 'nodelist', 'ranks']);

function lines(t: Template, headers: Record<string, string>, header: boolean, rows: Array<(f: string) => FieldValue>): string {
  const out = header ? [renderHeader(t, headers)] : [];
  for (const get of rows) out.push(renderRow(t, get));
  return out.map((l) => `${l.trimEnd()}\n`).join('');
}

/**
 * `flurry resource list`: one row per state.
 * @example formatResourceList(listing, {}) // '     STATE NNODES   NCORES    NGPUS NODELIST\n      free ...'
 */
export function formatResourceList(l: ResourceListing, o: { states?: string; format?: string; header?: boolean }): string {
  const t = parseTemplate(o.format ?? LIST_FORMAT, LIST_FIELDS);
  const states = (o.states ?? 'free,allocated,down,drained').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const bad = states.filter((s) => !(LIST_STATES as readonly string[]).includes(s));
  if (bad.length) throw new CliError(`--states: unknown state "${bad[0]}" (use ${LIST_STATES.join(', ')})`);
  const sum = (parts: ResourceCounts[]): ResourceCounts => ({
    nnodes: parts.reduce((n, p) => n + p.nnodes, 0),
    ncores: parts.reduce((n, p) => n + p.ncores, 0),
    ngpus: parts.reduce((n, p) => n + p.ngpus, 0),
    nodelist: hostlistUnion(...parts.map((p) => p.nodelist).filter(Boolean)),
  });
  const countsOf = (s: string): ResourceCounts =>
    s === 'up' ? sum([l.free, l.allocated]) : s === 'all' ? sum([l.free, l.allocated, l.down, l.drained]) : l[s as 'free' | 'allocated' | 'down' | 'drained'];
  const rows = states.map((s) => {
    const c = countsOf(s);
    return (f: string): FieldValue => (f === 'state' ? s : c[f as keyof ResourceCounts]);
  });
  return lines(t, LIST_HEADERS, o.header !== false, rows);
}

/** A node's system-view state (Flux's `flux resource status` names). */
function statex(n: NodeInfo): string {
  if (n.state === 'drained') return n.jobs > 0 ? 'draining' : 'drained';
  if (n.jobs > 0 || n.coresFree < n.cores || n.gpusFree < n.gpus) return 'allocated';
  return 'avail';
}

function nodeField(n: NodeInfo, f: string): FieldValue {
  const online = n.state !== 'down';
  switch (f) {
    case 'statex':
      return statex(n);
    case 'state':
      return `${statex(n)}${online ? '' : '*'}`;
    case 'status':
      return online ? 'online' : 'offline';
    case 'up':
      return online ? '✔' : '✗';
    case 'reason':
      return n.drainReason ?? '';
    default:
      return undefined;
  }
}

/**
 * Per-node rows grouped by the format's non-aggregate fields (`flurry resource status` and `drain` with no targets).
 * @example formatNodes(nodes, STATUS_FORMAT, true) // '     STATE UP NNODES NODELIST\n     avail  ✔      4 n[1-4]\n'
 */
export function formatNodes(nodes: readonly NodeInfo[], format: string, header: boolean): string {
  const t = parseTemplate(format, NODE_FIELDS);
  const keyFields = t.fields.filter((f) => !AGGREGATES.has(f));
  const groups = new Map<string, NodeInfo[]>();
  for (const n of nodes) {
    const key = JSON.stringify(keyFields.map((f) => nodeField(n, f)));
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  const rows = [...groups.values()].map((g) => (f: string): FieldValue => {
    if (f === 'nnodes') return g.length;
    if (f === 'ncores') return g.reduce((s, n) => s + n.cores, 0);
    if (f === 'ngpus') return g.reduce((s, n) => s + n.gpus, 0);
    if (f === 'nodelist') return compressHostlist(g.map((n) => n.name));
    if (f === 'ranks') return formatIdset(g.map((n) => n.rank));
    return nodeField(g[0]!, f);
  });
  return lines(t, NODE_HEADERS, header, rows);
}

interface ViewOptions {
  states?: string;
  format?: string;
  header?: boolean;
}

const EXAMPLES = `
Examples:
  $ flurry resource list
       STATE NNODES   NCORES    NGPUS NODELIST
        free      3       12        0 n[2-4]
   allocated      1        4        0 n1
        down      0        0        0
     drained      0        0        0
  $ flurry resource status
  $ flurry resource drain n[3-4] bad DIMM      # instance owner
  $ flurry resource drain                      # list drained nodes
  $ flurry resource undrain n[3-4]
`;

export function register(program: Command): void {
  const resource = program
    .command('resource')
    .description('list resources and drain or undrain nodes (like flux resource)')
    .addHelpText('after', EXAMPLES);

  resource
    .command('list')
    .description('the scheduler view: nodes, cores and GPUs free, allocated, down and drained')
    .option('-s, --states <STATES>', `rows to show: ${LIST_STATES.join(', ')} (default free,allocated,down,drained)`)
    .option('-o, --format <FORMAT>', `row format (fields: ${LIST_FIELDS.join(', ')})`)
    .option('-n, --no-header', 'no header line')
    .addHelpText('after', '\nExample:\n  $ flurry resource list -s up -o "{nnodes} {nodelist}"\n')
    .action(async (o: ViewOptions, cmd: Command) => {
      parseTemplate(o.format ?? LIST_FORMAT, LIST_FIELDS);
      const listing = await (await connect(cmd)).resources();
      process.stdout.write(formatResourceList(listing, o));
    });

  resource
    .command('status')
    .description('the system view: node states (avail, allocated, draining, drained; * = offline)')
    .option('-o, --format <FORMAT>', `row format (fields: ${NODE_FIELDS.join(', ')})`)
    .option('-n, --no-header', 'no header line')
    .addHelpText('after', '\nExample:\n  $ flurry resource status -o "{state} {nnodes} {reason} {nodelist}"\n')
    .action(async (o: ViewOptions, cmd: Command) => {
      parseTemplate(o.format ?? STATUS_FORMAT, NODE_FIELDS);
      const { nodes } = await (await connect(cmd)).resources();
      process.stdout.write(formatNodes(nodes, o.format ?? STATUS_FORMAT, o.header !== false));
    });

  resource
    .command('info')
    .description('a one-line summary: nodes, cores and GPUs')
    .addHelpText('after', '\nExample:\n  $ flurry resource info\n  4 Nodes, 16 Cores, 0 GPUs\n')
    .action(async (_o: unknown, cmd: Command) => {
      const { nodes } = await (await connect(cmd)).resources();
      const cores = nodes.reduce((s, n) => s + n.cores, 0);
      const gpus = nodes.reduce((s, n) => s + n.gpus, 0);
      process.stdout.write(`${nodes.length} Nodes, ${cores} Cores, ${gpus} GPUs\n`);
    });

  resource
    .command('drain')
    .description('drain nodes so no new job is placed on them (instance owner); with no nodes, list drained ones')
    .argument('[targets]', 'nodes, as a hostlist (n[1-4],login)')
    .argument('[reason...]', 'why (recorded with the drain)')
    .option('-o, --format <FORMAT>', `with no targets: row format (fields: ${NODE_FIELDS.join(', ')})`)
    .option('-n, --no-header', 'with no targets: no header line')
    .addHelpText('after', '\nExamples:\n  $ flurry resource drain n3 memory errors\n  $ flurry resource drain\n')
    .action(async (targets: string | undefined, reason: string[], o: ViewOptions, cmd: Command) => {
      if (targets === undefined) {
        parseTemplate(o.format ?? DRAIN_FORMAT, NODE_FIELDS);
        const { nodes } = await (await connect(cmd)).resources();
        process.stdout.write(formatNodes(nodes.filter((n) => n.state === 'drained'), o.format ?? DRAIN_FORMAT, o.header !== false));
        return;
      }
      await (await connect(cmd)).drain(targets, reason.length ? reason.join(' ') : undefined);
    });

  resource
    .command('undrain')
    .description('return drained nodes to service (instance owner)')
    .argument('<targets>', 'nodes, as a hostlist')
    .addHelpText('after', '\nExample:\n  $ flurry resource undrain n[3-4]\n')
    .action(async (targets: string, _o: unknown, cmd: Command) => {
      await (await connect(cmd)).undrain(targets);
    });
}

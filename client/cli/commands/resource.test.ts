// resource.test.ts - `flurry resource list|status|drain`: Flux's rows and columns from the API's listing.
import { describe, expect, it } from 'vitest';
import type { NodeInfo, ResourceListing } from '../../sdk/types.ts';
import { formatNodes, formatResourceList } from './resource.ts';

const node = (name: string, rank: number, over: Partial<NodeInfo> = {}): NodeInfo => ({
  name, rank, state: 'up', cores: 4, coresFree: 4, gpus: 0, gpusFree: 0, memoryMB: 8192, properties: [], jobs: 0, ...over,
});

const LISTING: ResourceListing = {
  nodes: [],
  free: { nnodes: 3, ncores: 12, ngpus: 2, nodelist: 'n[2-4]' },
  allocated: { nnodes: 1, ncores: 4, ngpus: 0, nodelist: 'n1' },
  down: { nnodes: 0, ncores: 0, ngpus: 0, nodelist: '' },
  drained: { nnodes: 1, ncores: 4, ngpus: 0, nodelist: 'n5' },
};

describe('formatResourceList', () => {
  it("prints Flux's STATE NNODES NCORES NGPUS NODELIST rows", () => {
    expect(formatResourceList(LISTING, {})).toBe(
      [
        '     STATE NNODES   NCORES    NGPUS NODELIST',
        '      free      3       12        2 n[2-4]',
        ' allocated      1        4        0 n1',
        '      down      0        0        0',
        '   drained      1        4        0 n5',
        '',
      ].join('\n'),
    );
  });

  it('selects and combines states, with a custom format and no header', () => {
    expect(formatResourceList(LISTING, { states: 'up,all', format: '{state} {nnodes} {ncores} {nodelist}', header: false })).toBe('up 4 16 n[1-4]\nall 5 20 n[1-5]\n');
    expect(() => formatResourceList(LISTING, { states: 'busy' })).toThrow('--states: unknown state "busy" (use free, allocated, down, drained, up, all)');
    expect(() => formatResourceList(LISTING, { format: '{queue}' })).toThrow(/unknown field "queue"/);
  });
});

describe('formatNodes', () => {
  const nodes = [
    node('n1', 0, { coresFree: 2, jobs: 1 }),
    node('n2', 1),
    node('n3', 2),
    node('n4', 3, { state: 'down' }),
    node('n5', 4, { state: 'drained', drainReason: 'bad DIMM' }),
    node('n6', 5, { state: 'drained', drainReason: 'bad DIMM', jobs: 1, coresFree: 0 }),
  ];

  it('status: one row per state and up/down, nodes as a hostlist', () => {
    expect(formatNodes(nodes, '{state:>10} {up:>2} {nnodes:>6} {nodelist}', true)).toBe(
      [
        '     STATE UP NNODES NODELIST',
        ' allocated  ✔      1 n1',
        '     avail  ✔      2 n[2-3]',
        '    avail*  ✗      1 n4',
        '   drained  ✔      1 n5',
        '  draining  ✔      1 n6',
        '',
      ].join('\n'),
    );
  });

  it('drain listing: reasons and ranks', () => {
    const drained = nodes.filter((n) => n.state === 'drained');
    expect(formatNodes(drained, '{statex} {reason} {ranks} {nnodes}', false)).toBe('drained bad DIMM 4 1\ndraining bad DIMM 5 1\n');
    expect(formatNodes(drained, '{reason} {nodelist} {ranks} {ncores}', false)).toBe('bad DIMM n[5-6] 4-5 8\n');
  });
});

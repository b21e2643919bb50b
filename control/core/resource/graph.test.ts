// graph.test.ts - unit tests of the resource graph: nodes, states, matching shapes, R, release, summary.
import { describe, expect, it } from 'vitest';
import { ResourceGraph } from './graph.ts';
import { checkInvariants, grid, inv, snapshot } from './testing.ts';
import { coresOnRank, gpusOnRank, nodeCount, rankList } from './rv1.ts';
import type { ResourceRequest } from './types.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../errors.ts';

const now = 1_700_000_000;
const first = { policy: 'first' as const, now, duration: 60 };
const req = (over: Partial<ResourceRequest> = {}): ResourceRequest => ({ slots: 1, coresPerSlot: 1, gpusPerSlot: 0, exclusive: false, ...over });

describe('nodes', () => {
  it('adds, finds, lists and removes nodes', () => {
    const g = grid(new ResourceGraph(), 3);
    expect(g.hasNode(1)).toBe(true);
    expect(g.nodes().map((n) => n.hostname)).toEqual(['n0', 'n1', 'n2']);
    g.removeNode(1);
    expect(g.hasNode(1)).toBe(false);
    expect(g.size).toBe(2);
    checkInvariants(g);
  });

  it('refuses duplicate ranks and hostnames, and bad inventories', () => {
    const g = grid(new ResourceGraph(), 2);
    expect(() => g.addNode(1, inv('x'))).toThrow(ConflictError);
    expect(() => g.addNode(5, inv('n0'))).toThrow(ConflictError);
    expect(() => g.addNode(6, inv('y', { cores: 0 }))).toThrow(InvalidInputError);
    expect(() => g.addNode(-1, inv('z'))).toThrow(InvalidInputError);
  });

  it('keeps ranks sparse and ordered', () => {
    const g = new ResourceGraph();
    for (const r of [100, 7, 42]) g.addNode(r, inv(`h${r}`));
    expect(g.nodes().map((n) => n.rank)).toEqual([7, 42, 100]);
    expect(rankList(g.match('a', req(), first)!)).toEqual([7]);
  });

  it('refuses to remove a node holding resources', () => {
    const g = grid(new ResourceGraph(), 1);
    g.match('a', req(), first);
    expect(() => g.removeNode(0)).toThrow(ConflictError);
    g.release('a');
    g.removeNode(0);
    expect(() => g.removeNode(0)).toThrow(NotFoundError);
  });

  it('never matches down or drained nodes, but keeps their allocations until released', () => {
    const g = grid(new ResourceGraph(), 3);
    g.match('a', req({ nodes: 1 }), first);
    g.setNodeState(0, 'down');
    g.setNodeState(1, 'drained');
    expect(rankList(g.match('b', req({ nodes: 1 }), first)!)).toEqual([2]);
    expect(g.match('c', req({ nodes: 1, slots: 4 }), first)).toBeNull();
    expect(g.allocationOf('a')).toBeDefined();
    checkInvariants(g);
    g.release('a');
    g.setNodeState(0, 'up');
    expect(rankList(g.match('c', req({ nodes: 1, slots: 4 }), first)!)).toEqual([0]);
    checkInvariants(g);
  });
});

describe('match', () => {
  it('builds R with idsets, nodelist, times and properties', () => {
    const g = grid(new ResourceGraph(), 4, (r) => ({ cores: 8, gpus: 2, properties: r % 2 ? ['efa'] : [] }));
    const R = g.match('a', req({ nodes: 3, slots: 2, coresPerSlot: 2, gpusPerSlot: 1 }), first)!;
    expect(R.execution.R_lite).toEqual([{ rank: '0-2', children: { core: '0-3', gpu: '0-1' } }]);
    expect(R.execution.nodelist).toEqual(['n[0-2]']);
    expect(R.execution.starttime).toBe(now);
    expect(R.execution.expiration).toBe(now + 60);
    expect(R.execution.properties).toEqual({ efa: '1' });
    expect(g.match('b', req(), { ...first, duration: 0 })!.execution.expiration).toBe(0);
  });

  it('takes exactly `nodes` nodes with `slots` slots each', () => {
    const g = grid(new ResourceGraph(), 4, () => ({ cores: 8 }));
    g.match('x', req({ slots: 6 }), first); // 6 cores of rank 0
    const R = g.match('a', req({ nodes: 2, slots: 2, coresPerSlot: 2 }), first)!;
    expect(rankList(R)).toEqual([1, 2]);
    expect(nodeCount(R)).toBe(2);
    expect(coresOnRank(R, 1)).toEqual([0, 1, 2, 3]);
  });

  it('spreads slots over nodes when there is no node level, never splitting a slot', () => {
    const g = grid(new ResourceGraph(), 3, () => ({ cores: 5 }));
    const R = g.match('a', req({ slots: 5, coresPerSlot: 2 }), first)!;
    expect(rankList(R)).toEqual([0, 1, 2]);
    expect(coresOnRank(R, 0)).toHaveLength(4);
    expect(coresOnRank(R, 2)).toHaveLength(2);
    expect(g.match('b', req({ slots: 2, coresPerSlot: 2 }), first)).toBeNull(); // 1+1+3 cores left: one 2-core slot fits
    checkInvariants(g);
  });

  it('exclusive takes whole nodes and only fully free ones', () => {
    const g = grid(new ResourceGraph(), 3, () => ({ cores: 4, gpus: 2 }));
    g.match('x', req(), first);
    const R = g.match('a', req({ nodes: 1, exclusive: true }), first)!;
    expect(rankList(R)).toEqual([1]);
    expect(coresOnRank(R, 1)).toEqual([0, 1, 2, 3]);
    expect(gpusOnRank(R, 1)).toEqual([0, 1]);
    const S = g.match('b', req({ slots: 3, coresPerSlot: 2, exclusive: true }), first);
    expect(S).toBeNull(); // needs two whole nodes; only rank 2 is free
    expect(rankList(g.match('c', req({ slots: 2, coresPerSlot: 2, exclusive: true }), first)!)).toEqual([2]);
    checkInvariants(g);
  });

  it('keeps a slot and its GPUs on one socket when it can', () => {
    const g = new ResourceGraph();
    g.addNode(0, inv('n0', { cores: 8, sockets: 2, gpus: 4 }));
    g.match('x', req({ slots: 3 }), first); // cores 0-2 on socket 0
    const R = g.match('a', req({ coresPerSlot: 2, gpusPerSlot: 2 }), first)!;
    expect(coresOnRank(R, 0)).toEqual([4, 5]); // socket 0 has one core left: socket 1
    expect(gpusOnRank(R, 0)).toEqual([2, 3]); // socket 1's GPUs
    const S = g.match('b', req({ coresPerSlot: 3 }), first)!; // no socket has 3 free: spans
    expect(coresOnRank(S, 0)).toHaveLength(3);
    checkInvariants(g);
  });

  it('respects memory as a per-node capacity', () => {
    const g = grid(new ResourceGraph(), 2, (r) => ({ cores: 8, memoryMB: r === 0 ? 1000 : 8000 }));
    expect(rankList(g.match('a', req({ nodes: 1, slots: 2, memoryMBPerSlot: 1000 }), first)!)).toEqual([1]);
  });

  it('honours constraints', () => {
    const g = grid(new ResourceGraph(), 4, (r) => ({ properties: r >= 2 ? ['efa'] : ['spot'] }));
    expect(rankList(g.match('a', req({ nodes: 2, constraint: { properties: ['efa'] } }), first)!)).toEqual([2, 3]);
    expect(g.match('b', req({ nodes: 3, constraint: { properties: ['efa'] } }), first)).toBeNull();
    expect(rankList(g.match('c', req({ constraint: { hostlist: ['n1'] } }), first)!)).toEqual([1]);
  });

  it('refuses invalid requests and a second allocation for one job', () => {
    const g = grid(new ResourceGraph(), 1);
    expect(() => g.match('a', req({ coresPerSlot: 0 }), first)).toThrow(InvalidInputError);
    expect(() => g.match('a', req({ slots: 1.5 }), first)).toThrow(InvalidInputError);
    expect(() => g.match('a', req(), { ...first, policy: 'best' as never })).toThrow(InvalidInputError);
    g.match('a', req(), first);
    expect(() => g.match('a', req(), first)).toThrow(ConflictError);
  });

  it('rejects an unsatisfiable request and changes nothing', () => {
    const g = grid(new ResourceGraph(), 4);
    g.match('a', req({ slots: 3 }), first);
    const before = snapshot(g);
    expect(g.match('b', req({ nodes: 4, slots: 2 }), first)).toBeNull();
    expect(g.match('c', req({ slots: 14 }), first)).toBeNull();
    expect(snapshot(g)).toEqual(before);
  });
});

describe('release and allocateExact', () => {
  it('release returns the R and restores the graph; allocateExact reproduces it', () => {
    const g = grid(new ResourceGraph(), 4, () => ({ cores: 8, gpus: 2, sockets: 2 }));
    g.match('x', req({ slots: 3, gpusPerSlot: 1 }), first);
    const empty = snapshot(g);
    const R = g.match('a', req({ nodes: 2, slots: 3, coresPerSlot: 2, gpusPerSlot: 0 }), first)!;
    const held = snapshot(g);
    expect(g.release('a')).toBe(R);
    expect(snapshot(g)).toEqual(empty);
    g.allocateExact('a', R);
    expect(snapshot(g)).toEqual(held);
    expect(() => g.release('zzz')).toThrow(NotFoundError);
  });

  it('allocateExact refuses missing ranks, taken ids and wrong hostnames, changing nothing', () => {
    const g = grid(new ResourceGraph(), 2);
    const R = g.match('a', req({ nodes: 2 }), first)!;
    const before = snapshot(g);
    expect(() => g.allocateExact('b', R)).toThrow(/already allocated/);
    const missing = structuredClone(R);
    missing.execution.R_lite = [{ rank: '1,5', children: { core: '3' } }];
    missing.execution.nodelist = ['n1,n5'];
    expect(() => g.allocateExact('c', missing)).toThrow(/rank 5/);
    const wrongHost = structuredClone(R);
    wrongHost.execution.R_lite = [{ rank: '1', children: { core: '3' } }];
    wrongHost.execution.nodelist = ['n9'];
    expect(() => g.allocateExact('d', wrongHost)).toThrow(/n9/);
    const outOfRange = structuredClone(wrongHost);
    outOfRange.execution.R_lite = [{ rank: '1', children: { core: '4' } }];
    expect(() => g.allocateExact('e', outOfRange)).toThrow(/core or gpu 4/);
    expect(snapshot(g)).toEqual(before);
  });

  it('allocateAvailable holds only the free part of R', () => {
    const g = grid(new ResourceGraph(), 2);
    const R = g.match('a', req({ nodes: 2, slots: 2 }), first)!;
    g.release('a');
    g.match('b', req({ slots: 1 }), first); // takes rank 0 core 0
    const held = g.allocateAvailable('hold', R);
    expect(held.execution.R_lite).toEqual([
      { rank: '0', children: { core: '1' } },
      { rank: '1', children: { core: '0-1' } },
    ]);
    checkInvariants(g);
    g.release('hold');
    checkInvariants(g);
  });
});

describe('summary and canEverSatisfy', () => {
  it('counts free, allocated, down and drained resources', () => {
    const g = grid(new ResourceGraph(), 4, (r) => ({ cores: 4, gpus: r === 3 ? 2 : 0 }));
    g.match('a', req({ slots: 5 }), first); // rank 0 whole, rank 1 one core
    g.setNodeState(2, 'down');
    g.setNodeState(3, 'drained');
    const s = g.summary();
    expect(s.free).toEqual({ nodes: 1, ranks: '1', nodelist: 'n1', cores: 3, gpus: 0 });
    expect(s.allocated).toEqual({ nodes: 2, ranks: '0-1', nodelist: 'n[0-1]', cores: 5, gpus: 0 });
    expect(s.down).toEqual({ nodes: 1, ranks: '2', nodelist: 'n2', cores: 4, gpus: 0 });
    expect(s.drained).toEqual({ nodes: 1, ranks: '3', nodelist: 'n3', cores: 4, gpus: 2 });
    expect(s.cores).toEqual({ free: 3, total: 16 });
    expect(s.gpus).toEqual({ free: 0, total: 2 });
  });

  it('tells whether a request could ever be satisfied', () => {
    const g = grid(new ResourceGraph(), 4, (r) => ({ cores: 4, properties: r < 2 ? ['efa'] : [] }));
    g.match('a', req({ nodes: 4, exclusive: true }), first);
    g.setNodeState(3, 'down');
    expect(g.canEverSatisfy(req({ nodes: 4, slots: 4 }))).toBe(true);
    expect(g.canEverSatisfy(req({ nodes: 5 }))).toBe(false);
    expect(g.canEverSatisfy(req({ slots: 8, coresPerSlot: 2 }))).toBe(true);
    expect(g.canEverSatisfy(req({ slots: 9, coresPerSlot: 2 }))).toBe(false);
    expect(g.canEverSatisfy(req({ coresPerSlot: 5 }))).toBe(false);
    expect(g.canEverSatisfy(req({ gpusPerSlot: 1 }))).toBe(false);
    expect(g.canEverSatisfy(req({ nodes: 3, constraint: { properties: ['efa'] } }))).toBe(false);
  });
});

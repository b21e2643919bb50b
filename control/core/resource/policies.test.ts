// policies.test.ts - what each match policy chooses: first, high, spread and locality.
import { describe, expect, it } from 'vitest';
import { ResourceGraph } from './graph.ts';
import { checkInvariants, grid } from './testing.ts';
import { coresOnRank, rankList } from './rv1.ts';
import type { MatchPolicy, ResourceRequest } from './types.ts';

const now = 1_700_000_000;
const opts = (policy: MatchPolicy) => ({ policy, now, duration: 0 });
const req = (over: Partial<ResourceRequest> = {}): ResourceRequest => ({ slots: 1, coresPerSlot: 1, gpusPerSlot: 0, exclusive: false, ...over });

describe('first and high', () => {
  it('first packs lowest ranks, high packs highest ranks', () => {
    const g = grid(new ResourceGraph(), 6);
    expect(rankList(g.match('a', req({ slots: 6 }), opts('first'))!)).toEqual([0, 1]);
    expect(rankList(g.match('b', req({ slots: 6 }), opts('high'))!)).toEqual([4, 5]);
    expect(rankList(g.match('c', req({ nodes: 2 }), opts('high'))!)).toEqual([3, 4]); // rank 5 is full, 4 has 2 left
    checkInvariants(g);
  });

  it('first follows ranks, not groups, when groups interleave', () => {
    const g = grid(new ResourceGraph(), 6, (r) => ({ group: r % 2 ? 'odd' : 'even' }));
    expect(rankList(g.match('a', req({ nodes: 3 }), opts('first'))!)).toEqual([0, 1, 2]);
  });
});

describe('spread', () => {
  it('puts one slot per node, least loaded first', () => {
    const g = grid(new ResourceGraph(), 4, () => ({ cores: 8 }));
    g.match('x', req({ slots: 6 }), opts('first')); // rank 0 has 2 free
    g.match('y', req({ slots: 3 }), { ...opts('high') }); // rank 3 has 5 free
    const R = g.match('a', req({ slots: 3 }), opts('spread'))!;
    expect(rankList(R)).toEqual([1, 2, 3]);
    for (const r of [1, 2, 3]) expect(coresOnRank(R, r)).toHaveLength(1);
    checkInvariants(g);
  });

  it('deals slots round-robin when there are more slots than nodes', () => {
    const g = grid(new ResourceGraph(), 3, () => ({ cores: 4 }));
    const R = g.match('a', req({ slots: 7 }), opts('spread'))!;
    expect([0, 1, 2].map((r) => coresOnRank(R, r).length)).toEqual([3, 2, 2]);
    expect(g.match('b', req({ slots: 6 }), opts('spread'))).toBeNull();
    checkInvariants(g);
  });

  it('node-level spread takes the least loaded nodes', () => {
    const g = grid(new ResourceGraph(), 4, () => ({ cores: 8 }));
    g.match('x', req({ slots: 2 }), opts('first'));
    g.match('y', req({ nodes: 1, slots: 1 }), opts('high'));
    expect(rankList(g.match('a', req({ nodes: 2 }), opts('spread'))!)).toEqual([1, 2]);
  });
});

describe('locality', () => {
  // groups: a = ranks 0-5 (6 nodes), b = ranks 6-9 (4 nodes), c = ranks 10-17 (8 nodes), in zone z1; d = 18-23 in z2
  const topo = () =>
    grid(new ResourceGraph(), 24, (r) => ({
      cores: 4,
      group: r < 6 ? 'a' : r < 10 ? 'b' : r < 18 ? 'c' : 'd',
      zone: r < 18 ? 'z1' : 'z2',
    }));

  it('puts a 4-node job in one group, the smallest that fits', () => {
    const g = topo();
    expect(rankList(g.match('j', req({ nodes: 4, exclusive: true }), opts('locality'))!)).toEqual([6, 7, 8, 9]);
    expect(rankList(g.match('k', req({ nodes: 4, exclusive: true }), opts('locality'))!)).toEqual([0, 1, 2, 3]);
    checkInvariants(g);
  });

  it('prefers one group even when first would split the job', () => {
    const g = topo();
    g.match('x', req({ nodes: 3, exclusive: true }), opts('first')); // a has 3 free
    const R = g.match('j', req({ nodes: 5, exclusive: true }), opts('locality'))!;
    expect(rankList(R)).toEqual([18, 19, 20, 21, 22]); // d (6 free): the smallest group that fits, not a (3) + b (4)
  });

  it('spans the fewest groups of one zone when no group can hold the job', () => {
    const g = topo();
    const R = g.match('j', req({ nodes: 12, exclusive: true }), opts('locality'))!;
    const groups = new Set(rankList(R).map((r) => g.node(r)!.group));
    expect(groups).toEqual(new Set(['c', 'b'])); // 8 + 4 in zone z1
    checkInvariants(g);
  });

  it('packs slot requests onto the fewest nodes of a group', () => {
    const g = topo();
    g.match('x', req({ slots: 3 }), opts('first')); // rank 0 has 1 free
    const R = g.match('j', req({ slots: 8 }), opts('locality'))!;
    expect(rankList(R).length).toBe(2);
    checkInvariants(g);
  });

  it('uses groups anywhere as a last resort and fails cleanly when nothing fits', () => {
    const g = topo();
    expect(rankList(g.match('j', req({ nodes: 20, exclusive: true }), opts('locality'))!)).toHaveLength(20);
    expect(g.match('k', req({ nodes: 5, exclusive: true }), opts('locality'))).toBeNull();
    checkInvariants(g);
  });
});

// graph.property.test.ts - property tests: random graphs and random operation sequences keep every invariant.
// Checked after every step: no id held twice, aggregates equal a recomputation, a failed match changes nothing and
// happens only when no solution exists, R is valid for the request, release/allocateExact round-trip exactly.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ResourceGraph } from './graph.ts';
import { checkInvariants, snapshot } from './testing.ts';
import { rankShares } from './rv1.ts';
import { matchesConstraint } from '../constraint.ts';
import type { Constraint, MatchPolicy, NodeInventory, ResourceRequest, Rv1 } from './types.ts';
import type { NodeInfo } from './graph.ts';

const nodeArb = fc.record({
  cores: fc.integer({ min: 1, max: 8 }),
  sockets: fc.integer({ min: 1, max: 2 }),
  gpus: fc.integer({ min: 0, max: 4 }),
  memoryMB: fc.constantFrom(4000, 16000),
  props: fc.subarray(['efa', 'spot']),
  group: fc.constantFrom('a', 'b', 'c'),
  zone: fc.constantFrom('z1', 'z2'),
});

type NodeSpec = typeof nodeArb extends fc.Arbitrary<infer T> ? T : never;

const constraintArb: fc.Arbitrary<Constraint | undefined> = fc.constantFrom<Constraint | undefined>(
  undefined,
  undefined,
  { properties: ['efa'] },
  { properties: ['^spot'] },
  { hostlist: ['n[0-3]'] },
  { or: [{ properties: ['efa'] }, { ranks: ['0-2'] }] },
);

const reqArb: fc.Arbitrary<ResourceRequest> = fc.record({
  nodes: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
  slots: fc.integer({ min: 1, max: 6 }),
  coresPerSlot: fc.integer({ min: 1, max: 4 }),
  gpusPerSlot: fc.constantFrom(0, 0, 1, 2),
  memoryMBPerSlot: fc.constantFrom(0, 0, 3000),
  exclusive: fc.boolean(),
  constraint: constraintArb,
});

const policyArb = fc.constantFrom<MatchPolicy>('first', 'high', 'locality', 'spread');

type Op =
  | { op: 'match'; req: ResourceRequest; policy: MatchPolicy }
  | { op: 'release'; pick: number }
  | { op: 'state'; pick: number; state: 'up' | 'down' | 'drained' }
  | { op: 'remove'; pick: number }
  | { op: 'add'; node: NodeSpec };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('match' as const), req: reqArb, policy: policyArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('release' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('state' as const), pick: fc.nat(), state: fc.constantFrom('up' as const, 'down' as const, 'drained' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('remove' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('add' as const), node: nodeArb }) },
);

function toInv(rank: number, n: NodeSpec): NodeInventory {
  return { hostname: `n${rank}`, cores: n.cores, sockets: n.sockets, gpus: n.gpus, memoryMB: n.memoryMB, properties: n.props, group: n.group, zone: n.zone };
}

/** Slots of `req` a node could take in `before` (null: not eligible at all). Mirrors the spec, not the code. */
function fitOf(n: NodeInfo, req: ResourceRequest, fullyFree: boolean): number {
  if (n.state !== 'up') return 0;
  if (req.constraint && !matchesConstraint(req.constraint, { hostname: n.hostname, rank: n.rank, properties: new Set(n.properties) })) return 0;
  if (req.exclusive && !fullyFree) return 0;
  const cores = req.exclusive ? n.cores : n.freeCores;
  const gpus = req.exclusive ? n.gpus : n.freeGpus;
  let k = Math.floor(cores / req.coresPerSlot);
  if (req.gpusPerSlot > 0) k = Math.min(k, Math.floor(gpus / req.gpusPerSlot));
  if (req.memoryMBPerSlot) k = Math.min(k, Math.floor(n.memoryMB / req.memoryMBPerSlot));
  return k;
}

function feasible(nodes: NodeInfo[], full: Set<number>, req: ResourceRequest): boolean {
  const caps = nodes.map((n) => fitOf(n, req, full.has(n.rank)));
  if (req.nodes !== undefined) return caps.filter((k) => k >= req.slots).length >= req.nodes;
  return caps.reduce((a, b) => a + b, 0) >= req.slots;
}

/** R is what `req` asked for, on nodes that were eligible before the match. */
function checkR(R: Rv1, req: ResourceRequest, before: Map<number, NodeInfo>, full: Set<number>): void {
  const shares = rankShares(R);
  let slots = 0;
  for (const [rank, share] of shares) {
    const n = before.get(rank)!;
    expect(n.state).toBe('up');
    if (req.constraint) expect(matchesConstraint(req.constraint, { hostname: n.hostname, rank, properties: new Set(n.properties) })).toBe(true);
    if (req.exclusive) {
      expect(full.has(rank)).toBe(true);
      expect(share.cores.length).toBe(n.cores);
      expect(share.gpus.length).toBe(n.gpus);
      const k = fitOf(n, req, true);
      expect(k).toBeGreaterThanOrEqual(req.nodes !== undefined ? req.slots : 1);
      slots += k;
    } else {
      const k = share.cores.length / req.coresPerSlot;
      expect(Number.isInteger(k) && k >= 1).toBe(true);
      expect(share.gpus.length).toBe(k * req.gpusPerSlot);
      expect(k * (req.memoryMBPerSlot ?? 0)).toBeLessThanOrEqual(n.memoryMB);
      if (req.nodes !== undefined) expect(k).toBe(req.slots);
      slots += k;
    }
  }
  if (req.nodes !== undefined) expect(shares.size).toBe(req.nodes);
  else if (req.exclusive) expect(slots).toBeGreaterThanOrEqual(req.slots);
  else expect(slots).toBe(req.slots);
}

describe('resource graph properties', () => {
  it('random operation sequences keep every invariant', () => {
    fc.assert(
      fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 10 }), fc.array(opArb, { maxLength: 40 }), (nodes, ops) => {
        const g = new ResourceGraph();
        let nextRank = 0;
        for (const n of nodes) g.addNode(nextRank, toInv(nextRank++, n));
        let jobSeq = 0;
        for (const o of ops) {
          const ranks = g.nodes().map((n) => n.rank);
          if (o.op === 'match') {
            const infos = g.nodes();
            const full = new Set(g.rankIndex.nodes.filter((n) => n.jobs === 0).map((n) => n.rank));
            const before = snapshot(g);
            const id = `j${jobSeq++}`;
            const R = g.match(id, o.req, { policy: o.policy, now: 100, duration: 10 });
            if (!R) {
              expect(snapshot(g)).toEqual(before);
              expect(feasible(infos, full, o.req)).toBe(false);
              continue;
            }
            expect(feasible(infos, full, o.req)).toBe(true);
            checkR(R, o.req, new Map(infos.map((n) => [n.rank, n])), full);
            const after = snapshot(g);
            expect(g.release(id)).toEqual(R);
            expect(snapshot(g)).toEqual(before);
            g.allocateExact(id, structuredClone(R));
            expect(snapshot(g)).toEqual(after);
          } else if (o.op === 'release') {
            const jobs = g.jobs();
            if (jobs.length === 0) continue;
            const id = jobs[o.pick % jobs.length]!;
            const had = g.allocationOf(id);
            expect(g.release(id)).toBe(had);
          } else if (o.op === 'state' && ranks.length > 0) {
            g.setNodeState(ranks[o.pick % ranks.length]!, o.state);
          } else if (o.op === 'remove' && ranks.length > 0) {
            const rank = ranks[o.pick % ranks.length]!;
            const busy = g.rankIndex.nodes.find((n) => n.rank === rank)!.jobs > 0;
            if (busy) expect(() => g.removeNode(rank)).toThrow();
            else g.removeNode(rank);
          } else if (o.op === 'add') {
            g.addNode(nextRank, toInv(nextRank++, o.node));
          }
          checkInvariants(g);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('policies return the same amount on any graph where the request fits', () => {
    fc.assert(
      fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 12 }), reqArb, (nodes, req) => {
        const results = (['first', 'high', 'locality', 'spread'] as const).map((policy) => {
          const g = new ResourceGraph();
          nodes.forEach((n, r) => g.addNode(r, toInv(r, n)));
          return g.match('j', req, { policy, now: 0, duration: 0 }) !== null;
        });
        expect(new Set(results).size).toBe(1);
      }),
      { numRuns: 300 },
    );
  });
});

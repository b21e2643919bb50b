// queue.property.test.ts - property tests of a scheduling pass on random graphs, running jobs and queues:
// the graph holds exactly the old plus the decided allocations, held jobs never run, FCFS allocates a prefix,
// and EASY never lets a backfilled job keep a reserved core or GPU past the shadow time.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ResourceGraph } from '../resource/graph.ts';
import { checkInvariants } from '../resource/testing.ts';
import { rankShares } from '../resource/rv1.ts';
import type { MatchPolicy, ResourceRequest } from '../resource/types.ts';
import { inPriorityOrder } from './priority.ts';
import { schedulePass } from './pass.ts';
import type { PendingJob, QueuePolicy, RunningJob } from './types.ts';

const now = 1000;
const reqArb: fc.Arbitrary<ResourceRequest> = fc.record({
  nodes: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  slots: fc.integer({ min: 1, max: 4 }),
  coresPerSlot: fc.integer({ min: 1, max: 3 }),
  gpusPerSlot: fc.constantFrom(0, 0, 1),
  exclusive: fc.boolean(),
});
const durationArb = fc.constantFrom(0, 10, 50, 100, 200, 400);
const jobArb = fc.record({ request: reqArb, duration: durationArb, priority: fc.constantFrom(0, 1, 16, 16, 16, 31), t_submit: fc.nat(50) });

describe('scheduling pass properties', () => {
  it('keeps the graph exact and honours the queue policy', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ cores: fc.integer({ min: 1, max: 4 }), gpus: fc.integer({ min: 0, max: 2 }), group: fc.constantFrom('a', 'b') }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.record({ request: reqArb, duration: durationArb }), { maxLength: 6 }),
        fc.array(jobArb, { maxLength: 12 }),
        fc.constantFrom<QueuePolicy>('fcfs', 'easy'),
        fc.constantFrom<MatchPolicy>('first', 'high', 'locality', 'spread'),
        (nodes, runningSpec, pendingSpec, queue, match) => {
          const g = new ResourceGraph();
          nodes.forEach((n, r) => g.addNode(r, { hostname: `n${r}`, cores: n.cores, gpus: n.gpus, memoryMB: 1000, properties: [], group: n.group }));
          const running: RunningJob[] = [];
          const expiration = new Map<string, number>();
          runningSpec.forEach((s, i) => {
            const R = g.match(`r${i}`, s.request, { policy: 'first', now: now - 5, duration: s.duration });
            if (R) {
              running.push({ id: `r${i}`, expiration: R.execution.expiration });
              expiration.set(`r${i}`, R.execution.expiration);
            }
          });
          const before = new Map(g.jobs().map((id) => [id, g.allocationOf(id)]));
          const pending: PendingJob[] = pendingSpec.map((p, i) => ({ id: `p${i}`, ...p }));
          const d = schedulePass(g, pending, running, { queue, match, now });

          checkInvariants(g);
          const allocated = new Set(d.alloc.map((a) => a.id));
          expect(g.jobs().sort()).toEqual([...before.keys(), ...allocated].sort());
          for (const [id, R] of before) expect(g.allocationOf(id)).toBe(R);
          for (const a of d.alloc) {
            expect(g.allocationOf(a.id)).toBe(a.R);
            expiration.set(a.id, a.R.execution.expiration);
          }
          for (const p of pending) if (p.priority === 0) expect(allocated.has(p.id)).toBe(false);

          const order = inPriorityOrder(pending).filter((p) => p.priority > 0);
          const blockedAt = d.blocked ? order.findIndex((p) => p.id === d.blocked!.id) : order.length;
          const unsat = new Set(d.unsatisfiable.map((u) => u.id));
          // Every job ahead of the blocked one ran (or was refused); FCFS runs nothing after it.
          for (const p of order.slice(0, blockedAt)) expect(allocated.has(p.id) || unsat.has(p.id)).toBe(true);
          if (queue === 'fcfs') for (const p of order.slice(blockedAt)) expect(allocated.has(p.id)).toBe(false);

          if (d.reservation) {
            const { at, R } = d.reservation;
            expect(at).toBeGreaterThanOrEqual(now);
            // Each reserved id is free now, or held by a job that releases it by the shadow time.
            const holder = new Map<string, string>();
            for (const id of g.jobs()) {
              for (const [rank, s] of rankShares(g.allocationOf(id)!)) {
                for (const c of s.cores) holder.set(`${rank}c${c}`, id);
                for (const c of s.gpus) holder.set(`${rank}g${c}`, id);
              }
            }
            for (const [rank, s] of rankShares(R)) {
              for (const key of [...s.cores.map((c) => `${rank}c${c}`), ...s.gpus.map((c) => `${rank}g${c}`)]) {
                const id = holder.get(key);
                if (id === undefined) continue;
                const exp = expiration.get(id)!;
                expect(exp > 0 && exp <= at, `${key} held by ${id} until ${exp}, reserved from ${at}`).toBe(true);
              }
            }
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

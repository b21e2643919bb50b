// queue.test.ts - priority from urgency, job order, FCFS and EASY backfill passes.
import { describe, expect, it } from 'vitest';
import { ResourceGraph } from '../resource/graph.ts';
import { grid, snapshot } from '../resource/testing.ts';
import { rankList } from '../resource/rv1.ts';
import type { ResourceRequest } from '../resource/types.ts';
import { PRIORITY_MAX, compareJobs, inPriorityOrder, priorityFromUrgency } from './priority.ts';
import { schedulePass } from './pass.ts';
import type { PassOptions, PendingJob, RunningJob } from './types.ts';
import { InvalidInputError } from '../errors.ts';

const now = 1000;
const fcfs: PassOptions = { queue: 'fcfs', match: 'first', now };
const easy: PassOptions = { queue: 'easy', match: 'first', now };
const nodesReq = (nodes: number): ResourceRequest => ({ nodes, slots: 1, coresPerSlot: 1, gpusPerSlot: 0, exclusive: true });
let seq = 0;
const job = (id: string, request: ResourceRequest, over: Partial<PendingJob> = {}): PendingJob => ({ id, priority: 16, t_submit: seq++, request, duration: 60, ...over });
const ids = (d: { alloc: Array<{ id: string }> }) => d.alloc.map((a) => a.id);

describe('priority', () => {
  it('maps urgency to priority as RFC 30 says', () => {
    expect(priorityFromUrgency(0)).toBe(0);
    expect(priorityFromUrgency(16)).toBe(16);
    expect(priorityFromUrgency(1)).toBe(1);
    expect(priorityFromUrgency(31)).toBe(PRIORITY_MAX);
    expect(() => priorityFromUrgency(32)).toThrow(InvalidInputError);
    expect(() => priorityFromUrgency(2.5)).toThrow(InvalidInputError);
  });

  it('orders by priority, then submit time, then id, and keeps sorted input as is', () => {
    const a = job('a', nodesReq(1), { priority: 16, t_submit: 5 });
    const b = job('b', nodesReq(1), { priority: 20, t_submit: 9 });
    const c = job('c', nodesReq(1), { priority: 16, t_submit: 1 });
    const d = job('d', nodesReq(1), { priority: 16, t_submit: 1 });
    expect([a, b, c, d].sort(compareJobs).map((j) => j.id)).toEqual(['b', 'c', 'd', 'a']);
    const sorted = [b, c, d, a];
    expect(inPriorityOrder(sorted)).toBe(sorted);
    expect(inPriorityOrder([a, b]).map((j) => j.id)).toEqual(['b', 'a']);
  });
});

describe('fcfs', () => {
  it('allocates in order and stops at the first job that does not fit', () => {
    const g = grid(new ResourceGraph(), 4);
    const d = schedulePass(g, [job('a', nodesReq(2)), job('b', nodesReq(3)), job('c', nodesReq(1))], [], fcfs);
    expect(ids(d)).toEqual(['a']);
    expect(d.blocked).toEqual({ id: 'b', reason: 'waiting for resources' });
    expect(g.allocationOf('c')).toBeUndefined();
  });

  it('blocks on a job that can never fit and reports it', () => {
    const g = grid(new ResourceGraph(), 2);
    const d = schedulePass(g, [job('big', nodesReq(3)), job('c', nodesReq(1))], [], fcfs);
    expect(ids(d)).toEqual([]);
    expect(d.blocked?.id).toBe('big');
    expect(d.unsatisfiable.map((u) => u.id)).toEqual(['big']);
    expect(d.unsatisfiable[0]!.reason).toMatch(/never/);
  });

  it('never schedules held jobs, and schedules expedited jobs first', () => {
    const g = grid(new ResourceGraph(), 2);
    const d = schedulePass(
      g,
      [job('held', nodesReq(1), { priority: priorityFromUrgency(0) }), job('a', nodesReq(1)), job('b', nodesReq(1)), job('x', nodesReq(1), { priority: priorityFromUrgency(31) })],
      [],
      fcfs,
    );
    expect(ids(d)).toEqual(['x', 'a']);
    expect(d.blocked?.id).toBe('b');
    const g2 = grid(new ResourceGraph(), 2);
    expect(ids(schedulePass(g2, [job('held', nodesReq(1), { priority: 0 })], [], fcfs))).toEqual([]);
    expect(g2.jobs()).toEqual([]);
  });

  it('turns an invalid request into an unsatisfiable entry and goes on', () => {
    const g = grid(new ResourceGraph(), 2);
    const d = schedulePass(g, [job('bad', { ...nodesReq(1), coresPerSlot: 0 }), job('a', nodesReq(1))], [], fcfs);
    expect(ids(d)).toEqual(['a']);
    expect(d.unsatisfiable[0]?.id).toBe('bad');
  });
});

describe('easy', () => {
  /** 5 nodes; r1 holds ranks 0-1 until 100 + now, r2 holds rank 2 until 200 + now. Ranks 3-4 free. */
  function busy(): { g: ResourceGraph; running: RunningJob[] } {
    const g = grid(new ResourceGraph(), 5);
    g.match('r1', nodesReq(2), { policy: 'first', now, duration: 100 });
    g.match('r2', nodesReq(1), { policy: 'first', now, duration: 200 });
    return { g, running: [{ id: 'r1', expiration: now + 100 }, { id: 'r2', expiration: now + 200 }] };
  }

  it('reserves for the blocked job at the shadow time', () => {
    const { g, running } = busy();
    const before = snapshot(g);
    const d = schedulePass(g, [job('J', nodesReq(3), { duration: 50 })], running, easy);
    expect(ids(d)).toEqual([]);
    expect(d.reservation?.id).toBe('J');
    expect(d.reservation?.at).toBe(now + 100);
    expect(rankList(d.reservation!.R)).toEqual([0, 1, 3]);
    expect(d.reservation!.R.execution.starttime).toBe(now + 100);
    expect(d.blocked?.id).toBe('J');
    expect(snapshot(g)).toEqual(before); // released and re-applied exactly
  });

  it('backfills a job that cannot delay the reservation, and not one that would', () => {
    const { g, running } = busy();
    const d = schedulePass(
      g,
      [
        job('J', nodesReq(3), { duration: 50 }),
        job('long', nodesReq(2), { duration: 500 }), // would need rank 3: reserved
        job('unlimited', nodesReq(1), { duration: 0 }), // rank 4 is not reserved: fine
        job('short', nodesReq(1), { duration: 100 }), // ends at the shadow time: may use rank 3
        job('late', nodesReq(1), { duration: 500 }), // nothing left
      ],
      running,
      easy,
    );
    expect(ids(d)).toEqual(['unlimited', 'short']);
    expect(rankList(g.allocationOf('unlimited')!)).toEqual([4]);
    expect(rankList(g.allocationOf('short')!)).toEqual([3]);
    expect(g.jobs().sort()).toEqual(['r1', 'r2', 'short', 'unlimited']);
  });

  it('behaves like FCFS when everything fits', () => {
    const g = grid(new ResourceGraph(), 3);
    const d = schedulePass(g, [job('a', nodesReq(1)), job('b', nodesReq(2))], [], easy);
    expect(ids(d)).toEqual(['a', 'b']);
    expect(d.blocked).toBeUndefined();
    expect(d.reservation).toBeUndefined();
  });

  it('has no reservation when the blocked job waits on jobs without a time limit, and backfills freely', () => {
    const g = grid(new ResourceGraph(), 3);
    g.match('forever', nodesReq(2), { policy: 'first', now, duration: 0 });
    const d = schedulePass(g, [job('J', nodesReq(3)), job('small', nodesReq(1), { duration: 0 })], [{ id: 'forever', expiration: 0 }], easy);
    expect(d.reservation).toBeUndefined();
    expect(d.blocked?.id).toBe('J');
    expect(ids(d)).toEqual(['small']);
  });

  it('skips a job that can never fit and reserves for the next', () => {
    const { g, running } = busy();
    const d = schedulePass(g, [job('huge', nodesReq(9)), job('J', nodesReq(3)), job('one', nodesReq(1), { duration: 10 })], running, easy);
    expect(d.unsatisfiable.map((u) => u.id)).toEqual(['huge']);
    expect(d.reservation?.id).toBe('J');
    expect(ids(d)).toEqual(['one']);
  });

  it('counts jobs allocated earlier in the pass among those that end', () => {
    const g = grid(new ResourceGraph(), 2);
    const d = schedulePass(g, [job('a', nodesReq(2), { duration: 30 }), job('J', nodesReq(1))], [], easy);
    expect(ids(d)).toEqual(['a']);
    expect(d.reservation).toMatchObject({ id: 'J', at: now + 30 });
  });

  it('tries at most backfillCandidates jobs', () => {
    const { g, running } = busy();
    const pending = [job('J', nodesReq(3)), job('x1', nodesReq(9)), job('x2', nodesReq(9)), job('ok', nodesReq(1), { duration: 1 })];
    expect(ids(schedulePass(g, pending, running, { ...easy, backfillCandidates: 2 }))).toEqual([]);
    expect(ids(schedulePass(g, pending, running, { ...easy, backfillCandidates: 3 }))).toEqual(['ok']);
  });
});

// view.test.ts - virtual states, held jobs and runtime.
import { describe, expect, it } from 'vitest';
import { E, logTo } from './fixtures.ts';
import { reduceEventlog } from './reducer.ts';
import { isActive, isHeld, isPending, isRunning, runtime } from './view.ts';

describe('virtual states', () => {
  it.each([
    ['NEW', true, false, false], ['DEPEND', true, true, false], ['PRIORITY', true, true, false], ['SCHED', true, true, false],
    ['RUN', true, false, true], ['CLEANUP', true, false, true], ['INACTIVE', false, false, false],
  ] as const)('%s: active %s, pending %s, running %s', (where, active, pending, running) => {
    const v = reduceEventlog(logTo(where));
    expect([isActive(v), isPending(v), isRunning(v)]).toEqual([active, pending, running]);
  });
  it('urgency 0 holds a job', () => {
    expect(isHeld(reduceEventlog([...logTo('SCHED'), E.urgency(2000, 0)]))).toBe(true);
    expect(isHeld(reduceEventlog(logTo('SCHED')))).toBe(false);
  });
});

describe('runtime', () => {
  it('is 0 for a job that never ran', () => {
    expect(runtime(reduceEventlog(logTo('SCHED')), 5000)).toBe(0);
    expect(runtime(reduceEventlog([...logTo('SCHED'), E.exception(2000), E.clean(2001)]), 5000)).toBe(0);
  });
  it('counts to now while running and to CLEANUP afterwards', () => {
    const log = logTo('INACTIVE', 1000); // alloc at 1004, finish at 1006
    expect(runtime(reduceEventlog(log.slice(0, 6)), 1010.5)).toBe(6.5);
    expect(runtime(reduceEventlog(log), 99999)).toBe(2);
  });
  it('never goes negative', () => {
    expect(runtime({ t_run: 100 }, 50)).toBe(0);
  });
});

// reducer.property.test.ts - properties of the reducer over random valid eventlogs: replay equals stepwise application,
// no dead ends, determinism without mutation, JSON round trips, and idempotent writer sequences.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JobEvent } from './events.ts';
import { E } from './fixtures.ts';
import { applyEvent, applyEvents, canAppend, reduceEventlog } from './reducer.ts';
import { resultOfException } from './result.ts';
import { stateCode } from './state-codes.ts';
import { STATES, type JobView, type Result } from './types.ts';
import { cancelEvents, completionEvents, exceptionEvents } from './writers.ts';

/** Every event worth trying next, valid or not; `n` varies the contexts. Forward moves are listed thrice (and
 * invalidate rarely) so that walks reach RUN, CLEANUP and INACTIVE often. */
function candidates(v: JobView, t: number, n: number): JobEvent[] {
  const forward = [E.validate(t), E.depend(t), E.priority(t, n % 1000), E.alloc(t), E.start(t), E.finish(t, [0, 3 << 8, 9, 15][n % 4]),
    E.release(t, true), E.free(t), E.clean(t), ...v.dependencies.map((d) => E.depRemove(t, d)),
    ...v.prologs.map((p) => E.prologFinish(t, p)), ...v.epilogs.map((e) => E.epilogFinish(t, e))];
  return [
    ...forward, ...forward, ...forward,
    E.submit(t), ...(n % 10 === 0 ? [E.invalidate(t)] : []), E.depAdd(t, 'a'), E.depAdd(t, 'b'), E.urgency(t, n % 32),
    E.restart(t), E.prologStart(t, 'p'), E.release(t, false, '0'), E.epilogStart(t, 'e'),
    E.exception(t, ['cancel', 'timeout', 'oom'][n % 3], n % 3 === 0 ? 0 : n % 8), E.memo(t, { k: n % 2 ? n : null }),
    { timestamp: t, name: 'debug.alloc-request' }, { timestamp: t, name: 'set-flags', context: { flags: ['waitable'] } },
    { timestamp: t, name: 'jobspec-update', context: { 'attributes.system.duration': n } },
  ];
}

/** A log built by a random walk over valid transitions, and the view of each prefix. */
const walk = fc.array(fc.nat(), { maxLength: 80, size: 'large' }).map((choices) => {
  const log: JobEvent[] = [E.submit(1000, 'alice', choices.length % 32)];
  const views: JobView[] = [reduceEventlog(log)];
  let deadEnd = false;
  for (const [i, n] of choices.entries()) {
    const v = views[views.length - 1] as JobView;
    if (v.state === 'INACTIVE') break;
    const valid = candidates(v, 1001 + i, n).filter((ev) => canAppend(v, ev) === null);
    const ev = valid[n % Math.max(valid.length, 1)];
    if (ev === undefined) {
      deadEnd = true;
      break;
    }
    log.push(ev);
    views.push(applyEvent(v, ev));
  }
  return { log, views, deadEnd };
});

function deepFreeze<T>(x: T): T {
  if (typeof x === 'object' && x !== null) {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

/** Drive any active job to INACTIVE the way the control plane would: end perilogs, raise a fatal exception, complete. */
function finishOff(v: JobView, t: number): JobView {
  let x = v;
  for (const p of x.prologs) x = applyEvent(x, E.prologFinish(t, p));
  for (const e of x.epilogs) x = applyEvent(x, E.epilogFinish(t, e));
  x = applyEvents(x, exceptionEvents(x, { type: 'node-failure', note: '', timestamp: t }));
  return x.state === 'INACTIVE' ? x : applyEvents(x, completionEvents(x, { status: 9, timestamp: t }));
}

describe('random walks over valid transitions', () => {
  it('reduce without error, equal stepwise application, and never dead-end', () => {
    fc.assert(
      fc.property(walk, ({ log, views, deadEnd }) => {
        expect(deadEnd).toBe(false);
        const v = reduceEventlog(log);
        expect(v).toStrictEqual(views[views.length - 1]);
        expect(v.eventCount).toBe(log.length);
        expect(log.slice(1).reduce((acc, ev) => applyEvent(acc, ev), reduceEventlog(log.slice(0, 1)))).toStrictEqual(v);
      }),
      { numRuns: 150 },
    );
  });

  it('keep the invariants of every view', () => {
    fc.assert(
      fc.property(walk, ({ views }) => {
        for (const v of views) {
          expect(STATES).toContain(v.state);
          expect(JSON.parse(JSON.stringify(v))).toStrictEqual(v);
          if (v.state === 'INACTIVE') {
            expect(v.result).toBeDefined();
            expect(v.t_inactive).toBeDefined();
            if (v.allocated) expect(v.freed).toBe(true);
            expect(stateCode(v)).toMatch(/^(CD|F|CA|TO)$/);
          } else {
            expect(v.result).toBeUndefined();
            expect(stateCode(v)).toMatch(/^[NDPSRC]$/);
          }
          if (v.started) expect(v.allocated).toBe(true);
          if (v.freed) expect(v.prologs.length + v.epilogs.length).toBe(0);
          if (v.state === 'RUN') expect(v.t_run).toBeDefined();
          const times = [v.t_submit, v.t_depend, v.t_priority, v.t_sched, v.t_run, v.t_cleanup, v.t_inactive];
          const defined = times.filter((x): x is number => x !== undefined);
          expect([...defined].sort((a, b) => a - b)).toEqual(defined);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('are deterministic and never mutate their input', () => {
    fc.assert(
      fc.property(walk, ({ log }) => {
        const copy = structuredClone(log);
        const frozen = deepFreeze(structuredClone(log));
        const a = reduceEventlog(frozen);
        const b = reduceEventlog(log);
        expect(a).toStrictEqual(b);
        expect(log).toStrictEqual(copy);
        const before = structuredClone(a);
        deepFreeze(a);
        finishOff(a, 5000);
        expect(a).toStrictEqual(before);
      }),
      { numRuns: 200 },
    );
  });

  it('can always be driven to INACTIVE', () => {
    fc.assert(
      fc.property(walk, ({ views }) => {
        for (const v of views) expect(finishOff(v, 5000).state).toBe('INACTIVE');
      }),
      { numRuns: 100 },
    );
  });
});

describe('writer sequences', () => {
  it('completionEvents applied twice adds nothing the second time, from any point of the sequence', () => {
    fc.assert(
      fc.property(walk, fc.nat(255), ({ views }, code) => {
        for (const v of views) {
          if ((v.state !== 'RUN' && v.state !== 'CLEANUP') || v.prologs.length + v.epilogs.length > 0) continue;
          const evs = completionEvents(v, { status: code << 8, timestamp: 5000 });
          const done = applyEvents(v, evs);
          expect(done.state).toBe('INACTIVE');
          expect(completionEvents(done, { status: code << 8, timestamp: 5001 })).toEqual([]);
          for (let k = 0; k < evs.length; k++) {
            expect(completionEvents(applyEvents(v, evs.slice(0, k)), { status: code << 8, timestamp: 5000 })).toEqual(evs.slice(k));
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('cancelEvents is valid on any job, ends a pending one, and is idempotent', () => {
    fc.assert(
      fc.property(walk, ({ views }) => {
        for (const v of views) {
          const after = applyEvents(v, cancelEvents(v, { timestamp: 5000, userid: 'root' }));
          if (['NEW', 'DEPEND', 'PRIORITY', 'SCHED'].includes(v.state)) expect(after).toMatchObject({ state: 'INACTIVE', result: 'CANCELED' });
          if (v.state === 'RUN') expect(after.state).toBe('CLEANUP');
          if (v.state === 'CLEANUP' || v.state === 'INACTIVE') expect(after).toStrictEqual(v);
          if (after.state !== 'RUN') expect(cancelEvents(after, { timestamp: 5001, userid: 'root' })).toEqual([]);
        }
      }),
      { numRuns: 150 },
    );
  });
});

type PlanValue = typeof plan extends fc.Arbitrary<infer V> ? V : never;

/** An independent model of the lifecycle: builds a valid log from a plan, and the result it must give. */
const plan = fc.record({
  deps: fc.uniqueArray(fc.constantFrom('afterok:a', 'afterany:b', 'begin-time=9'), { maxLength: 3 }),
  urgencies: fc.array(fc.integer({ min: 0, max: 31 }), { maxLength: 3 }),
  reprioritize: fc.nat(2),
  prolog: fc.boolean(),
  epilog: fc.boolean(),
  partialReleases: fc.nat(2),
  nonFatal: fc.boolean(),
  fatalAt: fc.constantFrom('none', 'DEPEND', 'PRIORITY', 'SCHED', 'RUN', 'STARTED'),
  exType: fc.constantFrom('cancel', 'timeout', 'node-failure'),
  status: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 255 }).map((c) => c << 8), fc.integer({ min: 1, max: 31 })),
});

function build(p: PlanValue): { log: JobEvent[]; result: Result } {
  let t = 100;
  const log: JobEvent[] = [];
  const add = (make: (t: number) => JobEvent) => log.push(make(t++));
  const fatal = (where: string) => p.fatalAt === where && (add((t) => E.exception(t, p.exType, 0, 'x')), true);
  const byException = resultOfException(p.exType);
  add((t) => E.submit(t));
  add(E.validate);
  for (const d of p.deps) add((t) => E.depAdd(t, d));
  if (fatal('DEPEND')) return add(E.clean), { log, result: byException };
  for (const d of p.deps) add((t) => E.depRemove(t, d));
  add(E.depend);
  if (fatal('PRIORITY')) return add(E.clean), { log, result: byException };
  add((t) => E.priority(t, 10));
  for (const u of p.urgencies) add((t) => E.urgency(t, u)), add((t) => E.priority(t, u * 10));
  for (let i = 0; i < p.reprioritize; i++) add((t) => E.priority(t, i));
  if (fatal('SCHED')) return add(E.clean), { log, result: byException };
  add(E.alloc);
  if (p.prolog) add((t) => E.prologStart(t));
  if (fatal('RUN')) {
    if (p.prolog) add((t) => E.prologFinish(t));
    return add(E.free), add(E.clean), { log, result: byException };
  }
  if (p.prolog) add((t) => E.prologFinish(t));
  add(E.start);
  for (let i = 0; i < p.partialReleases; i++) add((t) => E.release(t, false, String(i)));
  if (p.nonFatal) add((t) => E.exception(t, 'warning', 4, 'just so you know'));
  const died = fatal('STARTED');
  add((t) => E.finish(t, p.status));
  add((t) => E.release(t, true));
  if (p.epilog) add((t) => E.epilogStart(t)), add((t) => E.epilogFinish(t));
  add(E.free);
  add(E.clean);
  return { log, result: died ? byException : p.status === 0 ? 'COMPLETED' : 'FAILED' };
}

describe('an independent model of the lifecycle', () => {
  it('every planned log reduces to INACTIVE with the planned result', () => {
    fc.assert(
      fc.property(plan, (p) => {
        const { log, result } = build(p);
        const v = reduceEventlog(log);
        expect(v).toMatchObject({ state: 'INACTIVE', result, eventCount: log.length });
        if (p.deps.length > 0 && p.fatalAt === 'DEPEND') expect(v.dependencies).toEqual(p.deps);
        if (p.fatalAt === 'none' || p.fatalAt === 'STARTED') expect(v.waitstatus).toBe(p.status);
      }),
      { numRuns: 500 },
    );
  });
});

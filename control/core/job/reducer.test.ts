// reducer.test.ts - the RFC 21 state machine: every valid transition, a table of refused sequences, and each terminal path.
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import type { JobEvent } from './events.ts';
import { E, logTo } from './fixtures.ts';
import { applyEvent, applyEvents, canAppend, reduceEventlog } from './reducer.ts';
import { stateCode } from './state-codes.ts';
import type { JobView } from './types.ts';
import { cancelEvents, completionEvents } from './writers.ts';

const T = 2000;
const after = (where: Parameters<typeof logTo>[0], ...more: JobEvent[]) => [...logTo(where), ...more];
const failedFatal = after('RUN', E.exception(T, 'node-failure'));

describe('valid transitions (RFC 21)', () => {
  const cases: Array<[string, JobEvent[], JobEvent, Partial<JobView>]> = [
    ['NEW --validate--> DEPEND', logTo('NEW'), E.validate(T), { state: 'DEPEND', t_depend: T }],
    ['NEW --invalidate--> INACTIVE (FAILED)', logTo('NEW'), E.invalidate(T), { state: 'INACTIVE', result: 'FAILED', invalid: true }],
    ['NEW --dependency-add--> NEW', logTo('NEW'), E.depAdd(T, 'afterok:f1'), { state: 'NEW', dependencies: ['afterok:f1'] }],
    ['NEW --flux-restart--> NEW', logTo('NEW'), E.restart(T), { state: 'NEW' }],
    ['DEPEND --dependency-add--> DEPEND', logTo('DEPEND'), E.depAdd(T, 'a'), { state: 'DEPEND', dependencies: ['a'] }],
    ['DEPEND --dependency-remove--> DEPEND', after('DEPEND', E.depAdd(T, 'a'), E.depAdd(T, 'b')), E.depRemove(T, 'a'),
      { state: 'DEPEND', dependencies: ['b'] }],
    ['DEPEND --depend--> PRIORITY', logTo('DEPEND'), E.depend(T), { state: 'PRIORITY', t_priority: T }],
    ['DEPEND --urgency--> DEPEND', logTo('DEPEND'), E.urgency(T, 0), { state: 'DEPEND', urgency: 0 }],
    ['DEPEND --exception(fatal)--> CLEANUP', logTo('DEPEND'), E.exception(T, 'depend'), { state: 'CLEANUP', t_cleanup: T }],
    ['DEPEND --exception(severity 3)--> DEPEND', logTo('DEPEND'), E.exception(T, 'warn', 3, 'n'),
      { state: 'DEPEND', exception: { type: 'warn', severity: 3, note: 'n' } }],
    ['PRIORITY --priority--> SCHED', logTo('PRIORITY'), E.priority(T, 7), { state: 'SCHED', priority: 7, t_sched: T }],
    ['PRIORITY --urgency--> PRIORITY', logTo('PRIORITY'), E.urgency(T, 31), { state: 'PRIORITY', urgency: 31 }],
    ['PRIORITY --exception(fatal)--> CLEANUP', logTo('PRIORITY'), E.exception(T), { state: 'CLEANUP' }],
    ['SCHED --priority--> SCHED (reprioritized)', logTo('SCHED'), E.priority(T, 5), { state: 'SCHED', priority: 5, t_sched: 1003 }],
    ['SCHED --urgency--> PRIORITY', logTo('SCHED'), E.urgency(T, 4), { state: 'PRIORITY', urgency: 4, t_priority: 1002 }],
    ['SCHED --flux-restart--> PRIORITY', logTo('SCHED'), E.restart(T), { state: 'PRIORITY' }],
    ['SCHED --jobspec-update--> PRIORITY', logTo('SCHED'),
      { timestamp: T, name: 'jobspec-update', context: { 'attributes.system.duration': 60 } }, { state: 'PRIORITY' }],
    ['SCHED --alloc--> RUN', logTo('SCHED'), E.alloc(T), { state: 'RUN', allocated: true, t_run: T }],
    ['SCHED --exception(fatal)--> CLEANUP', logTo('SCHED'), E.exception(T, 'alloc'), { state: 'CLEANUP', allocated: false }],
    ['RUN --prolog-start--> RUN', logTo('RUN'), E.prologStart(T), { state: 'RUN', prologs: ['prolog'] }],
    ['RUN --prolog-finish--> RUN', after('RUN', E.prologStart(T)), E.prologFinish(T), { state: 'RUN', prologs: [] }],
    ['RUN --start--> RUN', logTo('RUN'), E.start(T), { state: 'RUN', started: true }],
    ['RUN --release(partial)--> RUN', logTo('STARTED'), E.release(T, false, '1'), { state: 'RUN', released: false }],
    ['RUN --finish--> CLEANUP', logTo('STARTED'), E.finish(T, 0), { state: 'CLEANUP', waitstatus: 0, exitCode: 0, t_cleanup: T }],
    ['RUN --exception(fatal)--> CLEANUP', logTo('STARTED'), E.exception(T, 'timeout'), { state: 'CLEANUP' }],
    ['RUN --exception(severity 1)--> RUN', logTo('STARTED'), E.exception(T, 'x', 1), { state: 'RUN' }],
    ['CLEANUP --finish--> CLEANUP (after exception)', after('STARTED', E.exception(T)), E.finish(T, 15),
      { state: 'CLEANUP', signal: 15 }],
    ['CLEANUP --prolog-finish--> CLEANUP', after('RUN', E.prologStart(T), E.exception(T)), E.prologFinish(T),
      { state: 'CLEANUP', prologs: [] }],
    ['CLEANUP --release(final)--> CLEANUP', logTo('CLEANUP'), E.release(T), { state: 'CLEANUP', released: true }],
    ['CLEANUP --epilog-start--> CLEANUP', logTo('RELEASED'), E.epilogStart(T), { epilogs: ['epilog'] }],
    ['CLEANUP --epilog-finish--> CLEANUP', after('RELEASED', E.epilogStart(T)), E.epilogFinish(T), { epilogs: [] }],
    ['CLEANUP --free--> CLEANUP', logTo('RELEASED'), E.free(T), { state: 'CLEANUP', freed: true }],
    ['CLEANUP --free--> CLEANUP (never started)', failedFatal, E.free(T), { freed: true }],
    ['CLEANUP --exception--> CLEANUP', logTo('CLEANUP'), E.exception(T, 'epilog'), { state: 'CLEANUP', t_cleanup: 1006 }],
    ['CLEANUP --clean--> INACTIVE', logTo('FREED'), E.clean(T), { state: 'INACTIVE', t_inactive: T, result: 'COMPLETED' }],
    ['CLEANUP --clean--> INACTIVE (never allocated)', after('SCHED', E.exception(T)), E.clean(T), { state: 'INACTIVE', result: 'CANCELED' }],
    ['any active --memo--> same', logTo('RUN'), E.memo(T, { a: 1 }), { state: 'RUN', memo: { a: 1 } }],
    ['any active --set-flags--> same', logTo('SCHED'), { timestamp: T, name: 'set-flags', context: { flags: ['debug'] } },
      { state: 'SCHED', flags: ['debug'] }],
    ['any active --debug.*--> same', logTo('RUN'), { timestamp: T, name: 'debug.free-request' }, { state: 'RUN' }],
    ['any active --unknown event--> same', logTo('CLEANUP'), { timestamp: T, name: 'resource-update', context: { x: 1 } },
      { state: 'CLEANUP' }],
  ];
  it.each(cases)('%s', (_name, prefix, ev, expected) => {
    const before = reduceEventlog(prefix);
    expect(canAppend(before, ev)).toBeNull();
    const next = applyEvent(before, ev);
    expect(next).toMatchObject(expected);
    expect(next.eventCount).toBe(prefix.length + 1);
    expect(reduceEventlog([...prefix, ev])).toEqual(next);
  });

  it('a memo with null removes a key', () => {
    const v = reduceEventlog(after('NEW', E.memo(T, { a: 1, b: 2 }), E.memo(T, { a: null })));
    expect(v.memo).toEqual({ b: 2 });
  });
  it('the submit event sets owner, urgency and flags', () => {
    const v = reduceEventlog([{ timestamp: 5, name: 'submit', context: { userid: 'bob', urgency: 0, flags: 1, version: 1 } }]);
    expect(v).toMatchObject({ state: 'NEW', owner: 'bob', urgency: 0, flags: ['debug'], t_submit: 5, eventCount: 1 });
  });
});

describe('refused sequences', () => {
  const cases: Array<[string, JobEvent[], RegExp]> = [
    ['an empty log', [], /must begin with "submit": it is empty/],
    ['a log not beginning with submit', [E.validate(1)], /eventlog\[0\]: an eventlog must begin with "submit", not "validate"/],
    ['submit twice', [E.submit(1), E.submit(2)], /event "submit" may only be the first event/],
    ['alloc in RUN', after('RUN', E.alloc(T)), /event "alloc" is not valid in state RUN$/],
    ['alloc in DEPEND', after('DEPEND', E.alloc(T)), /event "alloc" is not valid in state DEPEND/],
    ['alloc after a fatal exception', after('SCHED', E.exception(T), E.alloc(T)), /"alloc" is not valid in state CLEANUP/],
    ['depend before validate', after('NEW', E.depend(T)), /"depend" is not valid in state NEW/],
    ['depend with a dependency outstanding', after('DEPEND', E.depAdd(T, 'after:x'), E.depend(T)), /1 dependency is outstanding \("after:x"\)/],
    ['removing a dependency never added', after('DEPEND', E.depRemove(T, 'zz')), /no outstanding dependency "zz"/],
    ['adding a dependency in SCHED', after('SCHED', E.depAdd(T, 'a')), /"dependency-add" is not valid in state SCHED/],
    ['priority in DEPEND', after('DEPEND', E.priority(T)), /"priority" is not valid in state DEPEND/],
    ['urgency in RUN', after('RUN', E.urgency(T, 3)), /"urgency" is not valid in state RUN/],
    ['urgency out of range', after('SCHED', E.urgency(T, 32)), /event "urgency": context.urgency: must be an integer 0-31/],
    ['priority without a context', after('PRIORITY', { timestamp: T, name: 'priority' }), /event "priority": context: required/],
    ['start in SCHED', after('SCHED', E.start(T)), /"start" is not valid in state SCHED/],
    ['start twice', after('STARTED', E.start(T)), /already started/],
    ['start while a prolog runs', after('RUN', E.prologStart(T), E.start(T)), /prolog "prolog" is still running/],
    ['start with a context', after('RUN', { timestamp: T, name: 'start', context: { x: 1 } }), /context: must be empty/],
    ['finish before start', after('RUN', E.finish(T)), /"finish" is not valid in state RUN: the job has not started/],
    ['finish twice', after('CLEANUP', E.finish(T)), /already finished/],
    ['finish with a negative status', after('STARTED', E.finish(T, -1)), /context.status: must be a wait status/],
    ['a final release while running', after('STARTED', E.release(T)), /final release must wait for finish/],
    ['a final release before the shells finish', after('STARTED', E.exception(T), E.release(T)), /shells have not finished/],
    ['release without resources', after('SCHED', E.exception(T), E.release(T)), /holds no resources/],
    ['release twice', after('RELEASED', E.release(T)), /already released/],
    ['release after free', after('FREED', E.release(T, false)), /already freed/],
    ['free in RUN', after('STARTED', E.free(T)), /"free" is not valid in state RUN/],
    ['free before the final release', after('CLEANUP', E.free(T)), /have not been released/],
    ['free twice', after('FREED', E.free(T)), /already freed/],
    ['free while an epilog runs', after('RELEASED', E.epilogStart(T), E.free(T)), /epilog "epilog" is still running/],
    ['epilog-start in RUN', after('STARTED', E.epilogStart(T)), /"epilog-start" is not valid in state RUN/],
    ['prolog-finish with no prolog', after('RUN', E.prologFinish(T)), /no prolog is running/],
    ['clean in RUN', after('STARTED', E.clean(T)), /"clean" is not valid in state RUN/],
    ['clean before free', after('RELEASED', E.clean(T)), /resources have not been freed/],
    ['clean twice', after('SCHED', E.exception(T), E.clean(T), E.clean(T)), /"clean" is not valid in state INACTIVE/],
    ['free while a prolog runs', after('RUN', E.prologStart(T), E.exception(T), E.free(T)), /prolog "prolog" is still running/],
    ['anything after clean', after('INACTIVE', E.memo(T, { a: 1 })), /"memo" is not valid in state INACTIVE/],
    ['an exception after clean', after('INACTIVE', E.exception(T)), /"exception" is not valid in state INACTIVE/],
    ['an exception in NEW', after('NEW', E.exception(T)), /"exception" is not valid in state NEW/],
    ['an exception of severity 8', after('SCHED', E.exception(T, 'x', 8)), /context.severity: must be an integer 0-7/],
    ['an exception without a note', after('SCHED', { timestamp: T, name: 'exception', context: { type: 'x', severity: 0 } }),
      /context.note: must be a string/],
    ['invalidate after validate', after('DEPEND', E.invalidate(T)), /"invalidate" is not valid in state DEPEND/],
    ['a submit of another version', [{ timestamp: 1, name: 'submit', context: { userid: 'a', urgency: 16, version: 2 } }],
      /context.version: must be 1/],
    ['a timestamp of zero', after('NEW', E.validate(0)), /timestamp must be a number greater than zero/],
    ['a context that is an array', after('NEW', { timestamp: T, name: 'memo', context: [1] as unknown as Record<string, unknown> }),
      /context must be an object/],
  ];
  it.each(cases)('%s', (_name, log, reason) => {
    expect(() => reduceEventlog(log)).toThrow(InvalidInputError);
    expect(() => reduceEventlog(log)).toThrow(reason);
    if (log.length > 1) {
      const before = reduceEventlog(log.slice(0, -1));
      expect(canAppend(before, log[log.length - 1] as JobEvent)).toMatch(reason);
    }
  });

  it('canAppend names the first refused event of a batch', () => {
    const v = reduceEventlog(logTo('SCHED'));
    expect(canAppend(v, [E.alloc(T), E.start(T)])).toBeNull();
    expect(canAppend(v, [E.alloc(T), E.alloc(T)])).toBe('events[1]: event "alloc" is not valid in state RUN');
    expect(() => applyEvents(v, [E.alloc(T), E.free(T)])).toThrow('events[1]: event "free" is not valid in state RUN');
  });
});

describe('results of each terminal path', () => {
  const run = (...events: JobEvent[]) => reduceEventlog(after('STARTED', ...events));
  it('completed', () => {
    const v = reduceEventlog(logTo('INACTIVE'));
    expect(v).toMatchObject({ result: 'COMPLETED', success: true, waitstatus: 0, exitCode: 0, returncode: 0 });
    expect(stateCode(v)).toBe('CD');
  });
  it('failed with exit code 3', () => {
    const v = run(E.finish(T, 3 << 8), E.release(T), E.free(T), E.clean(T));
    expect(v).toMatchObject({ result: 'FAILED', success: false, waitstatus: 768, exitCode: 3, returncode: 3 });
    expect(v.signal).toBeUndefined();
    expect(stateCode(v)).toBe('F');
  });
  it('killed by signal 9', () => {
    const v = run(E.finish(T, 9), E.release(T), E.free(T), E.clean(T));
    expect(v).toMatchObject({ result: 'FAILED', signal: 9, returncode: -9 });
    expect(v.exitCode).toBeUndefined();
  });
  it('canceled while pending', () => {
    const sched = reduceEventlog(logTo('SCHED'));
    const v = applyEvents(sched, cancelEvents(sched, { timestamp: T, userid: 'alice', note: 'no longer needed' }));
    expect(v).toMatchObject({ state: 'INACTIVE', result: 'CANCELED', returncode: -128, allocated: false });
    expect(v.exception).toEqual({ type: 'cancel', severity: 0, note: 'no longer needed' });
    expect(stateCode(v)).toBe('CA');
  });
  it('canceled while running', () => {
    const running = reduceEventlog(logTo('STARTED'));
    const canceled = applyEvents(running, cancelEvents(running, { timestamp: T, userid: 'alice' }));
    expect(canceled.state).toBe('CLEANUP');
    const v = applyEvents(canceled, completionEvents(canceled, { status: 15, timestamp: T + 1 }));
    expect(v).toMatchObject({ state: 'INACTIVE', result: 'CANCELED', signal: 15, returncode: -15, freed: true });
  });
  it('timeout', () => {
    const v = run(E.exception(T, 'timeout', 0, 'resource allocation expired'), E.finish(T, 9), E.release(T), E.free(T), E.clean(T));
    expect(v).toMatchObject({ result: 'TIMEOUT', signal: 9 });
    expect(stateCode(v)).toBe('TO');
  });
  it('RFC 21 spelling of the time-limit exception also times out', () => {
    expect(run(E.exception(T, 'timelimit'), E.finish(T, 9), E.release(T), E.free(T), E.clean(T)).result).toBe('TIMEOUT');
  });
  it('any other fatal exception fails the job, even with exit status 0', () => {
    const v = run(E.exception(T, 'node-failure', 0, 'n3 lost'), E.finish(T, 0), E.release(T), E.free(T), E.clean(T));
    expect(v).toMatchObject({ result: 'FAILED', success: false, exception: { type: 'node-failure', note: 'n3 lost' } });
  });
  it('a fatal exception after a clean finish keeps COMPLETED (Flux decides at finish)', () => {
    const v = run(E.finish(T, 0), E.exception(T, 'epilog'), E.release(T), E.free(T), E.clean(T));
    expect(v.result).toBe('COMPLETED');
  });
  it('the first fatal exception decides; a later one does not replace it', () => {
    const v = run(E.exception(T, 'x', 2), E.exception(T, 'cancel'), E.exception(T, 'timeout'), E.finish(T, 9),
      E.release(T), E.free(T), E.clean(T));
    expect(v).toMatchObject({ result: 'CANCELED', exception: { type: 'cancel', severity: 0 } });
  });
  it('an allocated job canceled before it started is freed without a finish', () => {
    const v = reduceEventlog(after('RUN', E.exception(T), E.free(T), E.clean(T)));
    expect(v).toMatchObject({ result: 'CANCELED', returncode: -128, started: false, freed: true });
    expect(v.waitstatus).toBeUndefined();
  });
});

describe('error messages', () => {
  it('name the offending entry of a log', () => {
    expect.assertions(4);
    expect(() => reduceEventlog([E.submit(1), E.submit(2)])).toThrow('eventlog[1]: event "submit" may only be the first event');
    try {
      reduceEventlog(after('RUN', E.alloc(T)));
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).field).toBe('eventlog[5]');
      expect((err as InvalidInputError).detail).toBe('event "alloc" is not valid in state RUN');
    }
  });
});

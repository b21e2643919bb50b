// writers.test.ts - completion, exception and cancel sequences: their shapes, validity and idempotence.
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import type { JobEvent } from './events.ts';
import { E, logTo } from './fixtures.ts';
import { applyEvents, reduceEventlog } from './reducer.ts';
import { cancelEvents, completionEvents, exceptionEvents } from './writers.ts';

const names = (evs: JobEvent[]) => evs.map((e) => e.name);
const T = 3000;

describe('completionEvents', () => {
  it('takes a started job through finish, release, free and clean, all at one timestamp', () => {
    const v = reduceEventlog(logTo('STARTED'));
    const evs = completionEvents(v, { status: 0, timestamp: T, ranks: '0-3' });
    expect(evs).toEqual([
      { timestamp: T, name: 'finish', context: { status: 0 } },
      { timestamp: T, name: 'release', context: { ranks: '0-3', final: true } },
      { timestamp: T, name: 'free' },
      { timestamp: T, name: 'clean' },
    ]);
    expect(applyEvents(v, evs)).toMatchObject({ state: 'INACTIVE', result: 'COMPLETED' });
  });
  it('adds start for a job whose start and exit arrive together', () => {
    expect(names(completionEvents(reduceEventlog(logTo('RUN')), { status: 0, timestamp: T }))).toEqual(['start', 'finish', 'release', 'free', 'clean']);
  });
  it('adds only what is missing', () => {
    expect(names(completionEvents(reduceEventlog(logTo('CLEANUP')), { status: 0, timestamp: T }))).toEqual(['release', 'free', 'clean']);
    expect(names(completionEvents(reduceEventlog(logTo('FREED')), { status: 0, timestamp: T }))).toEqual(['clean']);
    expect(completionEvents(reduceEventlog(logTo('INACTIVE')), { status: 0, timestamp: T })).toEqual([]);
  });
  it('after a fatal exception: finishes a started job, frees one that never started, cleans a pending one', () => {
    const started = reduceEventlog([...logTo('STARTED'), E.exception(2000, 'cancel')]);
    expect(names(completionEvents(started, { status: 15, timestamp: T }))).toEqual(['finish', 'release', 'free', 'clean']);
    const allocated = reduceEventlog([...logTo('RUN'), E.exception(2000, 'cancel')]);
    expect(names(completionEvents(allocated, { status: 15, timestamp: T }))).toEqual(['free', 'clean']);
    const pending = reduceEventlog([...logTo('SCHED'), E.exception(2000, 'cancel')]);
    expect(names(completionEvents(pending, { status: 15, timestamp: T }))).toEqual(['clean']);
  });
  it('refuses a pending job, and one with a perilog still running', () => {
    expect(() => completionEvents(reduceEventlog(logTo('SCHED')), { status: 0, timestamp: T })).toThrow(/state SCHED/);
    const prolog = reduceEventlog([...logTo('RUN'), E.prologStart(2000)]);
    expect(() => completionEvents(prolog, { status: 0, timestamp: T })).toThrow(InvalidInputError);
    expect(() => completionEvents(prolog, { status: 0, timestamp: T })).toThrow(/completing the job: .*prolog "prolog" is still running/);
  });
});

describe('cancelEvents', () => {
  it.each(['DEPEND', 'PRIORITY', 'SCHED'] as const)('ends a job in %s at once', (where) => {
    const v = reduceEventlog(logTo(where));
    const evs = cancelEvents(v, { timestamp: T, userid: 'alice', note: 'bye' });
    expect(evs).toEqual([
      { timestamp: T, name: 'exception', context: { type: 'cancel', severity: 0, note: 'bye', userid: 'alice' } },
      { timestamp: T, name: 'clean' },
    ]);
    expect(applyEvents(v, evs)).toMatchObject({ state: 'INACTIVE', result: 'CANCELED' });
  });
  it('validates a NEW job first (RFC 21 has no exception in NEW)', () => {
    const v = reduceEventlog(logTo('NEW'));
    expect(names(cancelEvents(v, { timestamp: T, userid: 'alice' }))).toEqual(['validate', 'exception', 'clean']);
  });
  it('only raises the exception on a running job', () => {
    const v = reduceEventlog(logTo('STARTED'));
    expect(names(cancelEvents(v, { timestamp: T, userid: 'alice' }))).toEqual(['exception']);
  });
  it('does nothing once the job has ended', () => {
    for (const where of ['CLEANUP', 'INACTIVE'] as const) {
      expect(cancelEvents(reduceEventlog(logTo(where)), { timestamp: T, userid: 'alice' })).toEqual([]);
    }
  });
});

describe('exceptionEvents', () => {
  it('raises a timeout on a running job', () => {
    const v = reduceEventlog(logTo('STARTED'));
    const after = applyEvents(v, exceptionEvents(v, { type: 'timeout', note: 'resource allocation expired', timestamp: T }));
    expect(after).toMatchObject({ state: 'CLEANUP', exception: { type: 'timeout', severity: 0 } });
    expect(exceptionEvents(after, { type: 'timeout', note: '', timestamp: T })).toEqual([]);
  });
  it('raises a non-fatal exception without ending the job', () => {
    const v = reduceEventlog(logTo('SCHED'));
    const evs = exceptionEvents(v, { type: 'alloc', note: 'unsatisfiable for now', severity: 3, timestamp: T });
    expect(names(evs)).toEqual(['exception']);
    expect(applyEvents(v, evs).state).toBe('SCHED');
  });
  it('raises a fatal exception on a job already finished (an epilog failure)', () => {
    const v = reduceEventlog(logTo('CLEANUP'));
    expect(names(exceptionEvents(v, { type: 'epilog', note: 'exit 1', timestamp: T }))).toEqual(['exception']);
  });
});

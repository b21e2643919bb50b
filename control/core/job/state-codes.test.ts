// state-codes.test.ts - `flux jobs` ST codes, long status names and --filter parsing.
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import { E, logTo } from './fixtures.ts';
import { reduceEventlog } from './reducer.ts';
import { matchesFilter, parseStateFilter, stateCode, stateName } from './state-codes.ts';
import { STATES, type State } from './types.ts';

describe('stateCode and stateName', () => {
  it.each([
    ['NEW', 'N'], ['DEPEND', 'D'], ['PRIORITY', 'P'], ['SCHED', 'S'], ['RUN', 'R'], ['CLEANUP', 'C'],
  ] as const)('%s shows as %s', (where, code) => {
    const v = reduceEventlog(logTo(where));
    expect(stateCode(v)).toBe(code);
    expect(stateName(v)).toBe(where);
  });
  it.each([
    ['COMPLETED', 'CD'], ['FAILED', 'F'], ['CANCELED', 'CA'], ['TIMEOUT', 'TO'],
  ] as const)('an inactive %s job shows as %s', (result, code) => {
    expect(stateCode({ state: 'INACTIVE', result })).toBe(code);
    expect(stateName({ state: 'INACTIVE', result })).toBe(result);
  });
  it('derives them from a real log', () => {
    const v = reduceEventlog([...logTo('SCHED'), E.exception(2000, 'cancel'), E.clean(2001)]);
    expect([stateCode(v), stateName(v)]).toEqual(['CA', 'CANCELED']);
  });
});

describe('parseStateFilter', () => {
  const states = (...s: State[]) => new Set(s);
  it('expands the groups', () => {
    expect(parseStateFilter('pending').states).toEqual(states('DEPEND', 'PRIORITY', 'SCHED'));
    expect(parseStateFilter('running').states).toEqual(states('RUN', 'CLEANUP'));
    expect(parseStateFilter('active').states).toEqual(states('DEPEND', 'PRIORITY', 'SCHED', 'RUN', 'CLEANUP'));
    expect(parseStateFilter('inactive').states).toEqual(states('INACTIVE'));
  });
  it('takes states and results together, case-insensitively, with spaces and stray commas', () => {
    const f = parseStateFilter(' Sched, FAILED,canceled ,,run');
    expect(f.states).toEqual(states('SCHED', 'RUN'));
    expect(f.results).toEqual(new Set(['FAILED', 'CANCELED']));
  });
  it('takes every state name and the ST codes', () => {
    for (const s of STATES) expect(parseStateFilter(s.toLowerCase()).states).toEqual(states(s));
    expect(parseStateFilter('cd,to').results).toEqual(new Set(['COMPLETED', 'TIMEOUT']));
    expect(parseStateFilter('r,c').states).toEqual(states('RUN', 'CLEANUP'));
  });
  it('names every unknown word', () => {
    expect(() => parseStateFilter('running,bogus,Nope')).toThrow(InvalidInputError);
    expect(() => parseStateFilter('running,bogus,Nope')).toThrow(/filter: unknown job state or result "bogus", "nope" \(expected pending/);
    expect(() => parseStateFilter('constructor')).toThrow(/"constructor"/);
    expect(() => parseStateFilter(' , ')).toThrow(/at least one/);
  });
  it('matches jobs by state or, once inactive, by result', () => {
    const f = parseStateFilter('running,failed');
    expect(matchesFilter({ state: 'RUN' }, f)).toBe(true);
    expect(matchesFilter({ state: 'SCHED' }, f)).toBe(false);
    expect(matchesFilter({ state: 'INACTIVE', result: 'FAILED' }, f)).toBe(true);
    expect(matchesFilter({ state: 'INACTIVE', result: 'COMPLETED' }, f)).toBe(false);
    expect(matchesFilter({ state: 'INACTIVE', result: 'COMPLETED' }, parseStateFilter('inactive'))).toBe(true);
  });
});

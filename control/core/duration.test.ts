// duration.test.ts - RFC 23 Flux Standard Duration: parsing every form strtod allows, formatting, time limits.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidInputError } from './errors.ts';
import { formatFSD, parseFSD, parseTimeLimit } from './duration.ts';

describe('parseFSD', () => {
  const cases: Array<[string, number]> = [
    ['0', 0],
    ['10', 10],
    ['10s', 10],
    ['1.5m', 90],
    ['2h', 7200],
    ['1d', 86400],
    ['250ms', 0.25],
    ['0.5', 0.5],
    ['.5s', 0.5],
    ['5.', 5],
    ['+3m', 180],
    ['1e3', 1000],
    ['1.5E2s', 150],
    ['2e-3s', 0.002],
    ['0x10', 16],
    ['0x1.8p1m', 180],
    ['0x1d', 29], // strtod is greedy: hex digits win over the unit
    ['  7m\n', 420],
    ['inf', Infinity],
    ['infinity', Infinity],
    ['INF', Infinity],
    ['Infinity', Infinity],
    ['infm', Infinity],
  ];
  for (const [text, seconds] of cases) {
    it(`parses ${JSON.stringify(text)}`, () => expect(parseFSD(text)).toBeCloseTo(seconds, 12));
  }

  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['-1', /never negative/],
    ['-inf', /never negative/],
    ['abc', /expected a number/],
    ['nan', /expected a number/],
    ['m', /expected a number/],
    ['5x', /unknown unit "x"/],
    ['5M', /unknown unit "M".*case sensitive/],
    ['5 m', /unknown unit " m"/],
    ['1.5.2', /unknown unit ".2"/],
    ['1e400', /too large/],
    ['1e307d', /too large/],
  ];
  for (const [text, why] of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      expect(() => parseFSD(text)).toThrow(InvalidInputError);
      expect(() => parseFSD(text)).toThrow(why);
      expect(() => parseFSD(text)).toThrow(`invalid duration "${text}"`);
    });
  }
});

describe('formatFSD', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [1, '1s'],
    [1.5, '1.5s'],
    [30, '30s'],
    [59, '59s'],
    [60, '1m'],
    [90, '1.5m'],
    [100, '100s'],
    [3600, '1h'],
    [5400, '1.5h'],
    [3660, '61m'],
    [7200, '2h'],
    [86400, '1d'],
    [129600, '1.5d'],
    [86401, '86401s'],
    [0.5, '500ms'],
    [0.001, '1ms'],
    [0.0001, '0.1ms'],
    [1 / 3, '333.333ms'],
    [1e-9, '0.000001ms'],
    [1e-12, '1e-9ms'],
    [100.123456, '1.66872m'],
    [Infinity, 'infinity'],
  ];
  for (const [seconds, text] of cases) {
    it(`formats ${seconds}`, () => expect(formatFSD(seconds)).toBe(text));
  }

  it('rejects negative and NaN', () => {
    for (const bad of [-1, Number.NaN, -Infinity]) expect(() => formatFSD(bad)).toThrow(InvalidInputError);
  });

  it('round-trips through parseFSD (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e12, noNaN: true }), (seconds) => {
        const back = parseFSD(formatFSD(seconds));
        expect(Math.abs(back - seconds)).toBeLessThanOrEqual(Math.max(seconds * 1e-5, 1e-300));
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), (seconds) => {
        expect(parseFSD(formatFSD(seconds))).toBeCloseTo(seconds, 6);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('parseTimeLimit', () => {
  const cases: Array<[string, number]> = [
    ['30', 1800],
    ['1.5', 90],
    ['30s', 30],
    ['1.5h', 5400],
    ['2d', 172800],
    ['500ms', 0.5],
    ['0', 0],
    ['0s', 0],
    ['inf', 0],
    ['infinity', 0],
  ];
  for (const [text, seconds] of cases) {
    it(`parses ${JSON.stringify(text)}`, () => expect(parseTimeLimit(text)).toBe(seconds));
  }

  it('names the time limit in its errors', () => {
    expect(() => parseTimeLimit('soon')).toThrow(InvalidInputError);
    expect(() => parseTimeLimit('soon')).toThrow(/^invalid time limit "soon": expected a number/);
    expect(() => parseTimeLimit('-5')).toThrow(/never negative/);
    expect(() => parseTimeLimit('10y')).toThrow(/unknown unit "y"/);
  });
});

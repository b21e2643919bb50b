// idset.test.ts - RFC 22 idsets: parse/format round trips, set operations, bad input, speed on large sets.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidInputError } from './errors.ts';
import { formatIdset, idsetCount, idsetMinus, idsetNth, idsetUnion, parseIdset } from './idset.ts';

describe('parseIdset', () => {
  const cases: Array<[string, number[]]> = [
    ['', []],
    ['[]', []],
    ['  ', []],
    ['0', [0]],
    ['1,2,3,5,6,42', [1, 2, 3, 5, 6, 42]],
    ['1-3,5-6,42', [1, 2, 3, 5, 6, 42]],
    ['[1-3,5-6,42]', [1, 2, 3, 5, 6, 42]],
    ['[1-3]', [1, 2, 3]],
    ['7-7', [7]],
    ['5,1-3', [1, 2, 3, 5]], // out of order: still a set
    ['1-5,3-8,2', [1, 2, 3, 4, 5, 6, 7, 8]], // overlapping
    ['3,3,3', [3]],
    [' 10-12 ', [10, 11, 12]],
  ];
  for (const [text, ids] of cases) {
    it(`parses ${JSON.stringify(text)}`, () => expect(parseIdset(text)).toEqual(ids));
  }

  const bad: Array<[string, RegExp]> = [
    ['1,,2', /empty id/],
    ['1,', /empty id/],
    ['-1', /empty id/],
    ['1-', /empty id/],
    ['01', /leading zero/],
    ['1-03', /leading zero/],
    ['3-1', /runs backwards/],
    ['[1-3', /unbalanced/],
    ['1-3]', /unbalanced/],
    ['a', /not a non-negative integer/],
    ['1.5', /not a non-negative integer/],
    ['1, 2', /not a non-negative integer/],
    ['1-2-3', /not a non-negative integer/],
    ['[[1]]', /not a non-negative integer/],
    ['99999999999999999999', /too large/],
  ];
  for (const [text, why] of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      expect(() => parseIdset(text)).toThrow(InvalidInputError);
      expect(() => parseIdset(text)).toThrow(why);
      expect(() => parseIdset(text)).toThrow(`invalid idset "${text}"`);
    });
  }

  it('refuses to expand more than the limit', () => {
    expect(() => parseIdset('0-4294967295')).toThrow(/4294967296 ids is more than the limit of 1000000/);
    expect(parseIdset('0-9', { max: 10 })).toHaveLength(10);
    expect(() => parseIdset('0-10', { max: 10 })).toThrow(/limit of 10/);
  });
});

describe('formatIdset', () => {
  it('compresses consecutive ids into ranges', () => {
    expect(formatIdset([])).toBe('');
    expect(formatIdset([4])).toBe('4');
    expect(formatIdset([1, 2, 3, 5, 6, 42])).toBe('1-3,5-6,42');
    expect(formatIdset([0, 2, 4])).toBe('0,2,4');
    expect(formatIdset(new Set([9, 1, 2, 3, 3]))).toBe('1-3,9');
  });

  it('adds brackets only around more than one id', () => {
    expect(formatIdset([1, 2, 5], { brackets: true })).toBe('[1-2,5]');
    expect(formatIdset([7], { brackets: true })).toBe('7');
    expect(formatIdset([], { brackets: true })).toBe('');
  });

  it('rejects ids that are not non-negative integers', () => {
    for (const id of [-1, 1.5, Number.NaN, Infinity, 2 ** 60]) {
      expect(() => formatIdset([1, id])).toThrow(InvalidInputError);
    }
  });

  it('round-trips any set (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 5000 }), { maxLength: 300 }), fc.boolean(), (ids, brackets) => {
        const expected = [...new Set(ids)].sort((a, b) => a - b);
        const text = formatIdset(ids, { brackets });
        expect(parseIdset(text)).toEqual(expected);
        expect(idsetCount(text)).toBe(expected.length);
        expect(text).toMatch(brackets && expected.length > 1 ? /^\[[\d,-]+\]$/ : /^[\d,-]*$/);
      }),
    );
  });

  // A scale check, not a benchmark: linear work takes well under a second here; quadratic work would outlast the test's
  // timeout.
  it('formats and parses 300,000 ids', () => {
    const ids = Array.from({ length: 300_000 }, (_, i) => i * 2 + (i % 3 === 0 ? 1 : 0));
    const text = formatIdset(ids);
    expect(parseIdset(text)).toEqual(ids);
    expect(idsetCount(text)).toBe(300_000);
    expect(formatIdset(Array.from({ length: 1_000_000 }, (_, i) => i))).toBe('0-999999');
  });
});

describe('set operations', () => {
  it('counts without expanding', () => {
    expect(idsetCount('')).toBe(0);
    expect(idsetCount('0-1023,2048')).toBe(1025);
    expect(idsetCount('0-4294967295')).toBe(4294967296);
    expect(idsetCount('1-5,3-8')).toBe(8);
    expect(idsetCount([3, 3, 1])).toBe(2);
  });

  it('unions strings and arrays', () => {
    expect(idsetUnion('0-2', [2, 7], '5')).toEqual([0, 1, 2, 5, 7]);
    expect(idsetUnion()).toEqual([]);
    expect(idsetUnion('', [])).toEqual([]);
  });

  it('subtracts', () => {
    expect(idsetMinus('0-7', '2-3,6')).toEqual([0, 1, 4, 5, 7]);
    expect(idsetMinus([5, 1, 3], [3, 9])).toEqual([1, 5]);
    expect(idsetMinus('1-3', '1-3')).toEqual([]);
  });

  it('finds the n-th id, from either end', () => {
    expect(idsetNth('3-5,9', 0)).toBe(3);
    expect(idsetNth('3-5,9', 3)).toBe(9);
    expect(idsetNth('3-5,9', 4)).toBeUndefined();
    expect(idsetNth('3-5,9', -1)).toBe(9);
    expect(idsetNth('3-5,9', -2)).toBe(5);
    expect(idsetNth('3-5,9', -5)).toBeUndefined();
    expect(idsetNth('0-4294967295', 4294967295)).toBe(4294967295);
    expect(idsetNth([9, 2, 4], 1)).toBe(4);
    expect(idsetNth('', 0)).toBeUndefined();
    expect(() => idsetNth('1', 0.5)).toThrow(InvalidInputError);
  });

  it('agrees with Set semantics (property)', () => {
    const arb = fc.array(fc.nat({ max: 200 }), { maxLength: 60 });
    fc.assert(
      fc.property(arb, arb, (a, b) => {
        const sa = formatIdset(a);
        const sb = formatIdset(b);
        const setB = new Set(b);
        expect(idsetUnion(sa, sb)).toEqual([...new Set([...a, ...b])].sort((x, y) => x - y));
        expect(idsetMinus(sa, sb)).toEqual([...new Set(a)].filter((x) => !setB.has(x)).sort((x, y) => x - y));
        const sorted = parseIdset(sa);
        sorted.forEach((id, i) => expect(idsetNth(sa, i)).toBe(id));
      }),
    );
  });
});

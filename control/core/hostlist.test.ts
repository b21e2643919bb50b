// hostlist.test.ts - RFC 29 hostlists: the RFC's test vectors, compress/expand round trips, set operations, speed.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidInputError } from './errors.ts';
import {
  compressHostlist,
  expandHostlist,
  hostlistCount,
  hostlistIntersect,
  hostlistMinus,
  hostlistNth,
  hostlistUnion,
  sortHosts,
} from './hostlist.ts';

describe('RFC 29 test vectors', () => {
  const vectors: Array<[string, string]> = [
    ['', ''],
    ['foox,fooy,fooz', 'foox,fooy,fooz'],
    ['[1-3,5-6]', '1,2,3,5,6'],
    ['foo[1-5]', 'foo1,foo2,foo3,foo4,foo5'],
    ['foo[0-4]-eth2', 'foo0-eth2,foo1-eth2,foo2-eth2,foo3-eth2,foo4-eth2'],
    ['foo1,foo1,foo1', 'foo1,foo1,foo1'],
    ['[00-02]', '00,01,02'],
    ['[00-2]', '00,01,02'],
    ['foo[1,1,2,1]', 'foo1,foo1,foo2,foo1'],
  ];
  for (const [text, list] of vectors) {
    it(`expands ${JSON.stringify(text)}`, () => {
      const expected = list === '' ? [] : list.split(',');
      expect(expandHostlist(text)).toEqual(expected);
      expect(hostlistCount(text)).toBe(expected.length);
      expect(expandHostlist(compressHostlist(expected))).toEqual(expected);
    });
  }

  it('keeps the first element\'s zero padding for the whole idlist', () => {
    expect(expandHostlist('n[005,4,11-13]')).toEqual(['n005', 'n004', 'n011', 'n012', 'n013']);
    expect(expandHostlist('n[10,5]')).toEqual(['n10', 'n5']); // no leading zero: no padding
    expect(expandHostlist('n[0-10]')).toEqual(Array.from({ length: 11 }, (_, i) => `n${i}`));
    expect(expandHostlist('n[098-100]')).toEqual(['n098', 'n099', 'n100']);
  });

  it('treats empty expressions as empty lists and trims the whole string', () => {
    expect(expandHostlist('a,,b,')).toEqual(['a', 'b']);
    expect(expandHostlist('  n[1-2]\n')).toEqual(['n1', 'n2']);
  });
});

describe('compressHostlist', () => {
  const cases: Array<[string[], string]> = [
    [[], ''],
    [['login'], 'login'],
    [['n1'], 'n1'],
    [['n1', 'n2', 'n3', 'n5'], 'n[1-3,5]'],
    [['n01', 'n02', 'n03', 'n07', 'login'], 'n[01-03,07],login'],
    [['n3', 'n2', 'n1'], 'n[3,2,1]'],
    [['n1', 'n1', 'n2'], 'n[1,1-2]'],
    [['n9', 'n10', 'n11'], 'n[9-11]'],
    [['n09', 'n10'], 'n[09-10]'],
    [['n99', 'n100'], 'n[99-100]'],
    [['n099', 'n100'], 'n[099-100]'],
    [['n10', 'n09'], 'n10,n09'], // "n[10,09]" would expand to n10,n9
    [['n1', 'n01'], 'n1,n01'],
    [['foo0-eth2', 'foo1-eth2', 'foo2-eth2'], 'foo[0-2]-eth2'],
    [['rack1-n1', 'rack1-n2', 'rack2-n1'], 'rack1-n[1-2],rack2-n1'],
    [['a1b1', 'a2b1', 'a3b1'], 'a[1-3]b1'],
    [['a1b1', 'a2b2'], 'a1b1,a2b2'],
    [['1', '2', '3'], '[1-3]'],
    [['x', 'n1', 'n2', 'y', 'n3'], 'x,n[1-2],y,n3'],
  ];
  for (const [hosts, text] of cases) {
    it(`compresses ${JSON.stringify(hosts)}`, () => {
      expect(compressHostlist(hosts)).toBe(text);
      expect(expandHostlist(text)).toEqual(hosts);
    });
  }

  it('rejects names it could not write back', () => {
    for (const bad of ['', 'a b', 'n[1]', 'a,b', 'nöde', 'tab\t']) {
      expect(() => compressHostlist(['ok', bad])).toThrow(InvalidInputError);
      expect(() => compressHostlist([bad])).toThrow(/invalid host name/);
    }
  });

  it('is the inverse of expand on any list (property)', () => {
    const prefix = fc.constantFrom('', 'n', 'node', 'rack1-n', 'a.b-', 'x_');
    const suffix = fc.constantFrom('', '', '-eth0', '.local', 'b1');
    const host = fc.oneof(
      fc.tuple(prefix, fc.nat({ max: 120 }), fc.integer({ min: 0, max: 4 }), suffix).map(
        ([p, n, w, s]) => `${p}${String(n).padStart(w, '0')}${s}`,
      ),
      fc.stringMatching(/^[a-z0-9.-]{1,8}$/),
    );
    // Runs of consecutive names, as schedulers produce, mixed with noise.
    const run = fc.tuple(prefix, fc.nat({ max: 100 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 3 })).map(
      ([p, start, len, w]) => Array.from({ length: len }, (_, i) => `${p}${String(start + i).padStart(w, '0')}`),
    );
    const list = fc.array(fc.oneof(host.map((h) => [h]), run), { maxLength: 20 }).map((xs) => xs.flat());
    fc.assert(
      fc.property(list, (hosts) => {
        const text = compressHostlist(hosts);
        expect(expandHostlist(text)).toEqual(hosts);
        expect(hostlistCount(text)).toBe(hosts.length);
        expect(compressHostlist(expandHostlist(text))).toBe(text);
      }),
      { numRuns: 500 },
    );
  });

  // A scale check, not a benchmark: linear work takes milliseconds; quadratic work on 100,000 names would outlast the
  // test's timeout.
  it('compresses 100,000 names', () => {
    const hosts = Array.from({ length: 100_000 }, (_, i) => `node${String(i).padStart(6, '0')}`).filter((_, i) => i % 7 !== 3);
    const mixed = hosts.flatMap((h, i) => (i % 100 === 0 ? [h, `login${i}`] : [h]));
    const text = compressHostlist(mixed);
    expect(expandHostlist(text)).toEqual(mixed);
    expect(hostlistUnion(text)).toMatch(/^login\[0,100,/);
  });
});

describe('bad hostlists', () => {
  const bad: Array<[string, RegExp]> = [
    ['n[1-3', /never closed/],
    ['n1-3]', /without a matching/],
    ['n[]', /empty \[ \]/],
    ['n[a-b]', /"a" inside \[ \]/],
    ['n[1,,2]', /"" in "n\[1,,2\]" is not a number/],
    ['n[3-1]', /runs backwards/],
    ['n[1-2-3]', /not a number or a range/],
    ['a[1-2]b[3-4]', /one \[idlist\] per host expression/],
    ['n[[1]]', /"\[" inside/],
    ['n1 n2', /printable ASCII without spaces/],
    ['nöde', /printable ASCII/],
    ['n[1234567890123456]', /too large/],
  ];
  for (const [text, why] of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      expect(() => expandHostlist(text)).toThrow(InvalidInputError);
      expect(() => expandHostlist(text)).toThrow(why);
      expect(() => hostlistCount(text)).toThrow(`invalid hostlist "${text}"`);
    });
  }

  it('refuses to expand more than the limit, but counts and indexes without expanding', () => {
    expect(() => expandHostlist('n[0-999999999]')).toThrow(/1000000000 hosts is more than the limit/);
    expect(hostlistCount('n[0-999999999]')).toBe(1_000_000_000);
    expect(hostlistNth('n[0-999999999]', -1)).toBe('n999999999');
    expect(expandHostlist('n[1-3]', { max: 3 })).toHaveLength(3);
  });
});

describe('set operations', () => {
  it('indexes from either end', () => {
    expect(hostlistNth('n[1-4],login', 0)).toBe('n1');
    expect(hostlistNth('n[1-4],login', 4)).toBe('login');
    expect(hostlistNth('n[1-4],login', 5)).toBeUndefined();
    expect(hostlistNth('n[1-4],login', -1)).toBe('login');
    expect(hostlistNth('n[1-4],login', -2)).toBe('n4');
    expect(hostlistNth('n[1-4],login', -6)).toBeUndefined();
    expect(hostlistNth('n[01-04]', 2)).toBe('n03');
    expect(hostlistNth('', 0)).toBeUndefined();
    expect(() => hostlistNth('n1', 1.5)).toThrow(InvalidInputError);
  });

  it('unions into natural order without duplicates', () => {
    expect(hostlistUnion('n[3-4]', 'n[1-3]', 'login')).toBe('login,n[1-4]');
    expect(hostlistUnion('n[9-11]', 'n[1-2]')).toBe('n[1-2,9-11]');
    expect(hostlistUnion('n[1,1,1]')).toBe('n1');
    expect(hostlistUnion()).toBe('');
  });

  it('subtracts every occurrence, keeping the order of the first list', () => {
    expect(hostlistMinus('n[1-5]', 'n[2,4]')).toBe('n[1,3,5]');
    expect(hostlistMinus('n[5,1,5,2]', 'n5')).toBe('n[1-2]');
    expect(hostlistMinus('n[1-2]', '')).toBe('n[1-2]');
  });

  it('intersects', () => {
    expect(hostlistIntersect('n[1-5]', 'n[4-9]')).toBe('n[4-5]');
    expect(hostlistIntersect('n[1-5]', 'n[4-9]', 'n5')).toBe('n5');
    expect(hostlistIntersect('a', 'b')).toBe('');
    expect(hostlistIntersect()).toBe('');
  });

  it('sorts naturally', () => {
    expect(sortHosts(['n10', 'n9', 'login', 'n1-eth0', 'n1', 'n01'])).toEqual(['login', 'n01', 'n1', 'n1-eth0', 'n9', 'n10']);
    expect(sortHosts(['r2n10', 'r10n1', 'r2n9'])).toEqual(['r2n9', 'r2n10', 'r10n1']);
  });
});

// constraint.test.ts - RFC 31 constraint objects, the --requires query syntax, and matching nodes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileConstraint, matchesConstraint, parseRequires, validateConstraint, type ConstraintTarget } from './constraint.ts';
import { InvalidInputError } from './errors.ts';

const node = (hostname: string, rank: number, ...props: string[]): ConstraintTarget => ({ hostname, rank, properties: new Set(props) });

describe('parseRequires', () => {
  const cases: Array<[string[], unknown]> = [
    [['a'], { properties: ['a'] }],
    [['a b c'], { properties: ['a', 'b', 'c'] }],
    [['a&b&&c'], { properties: ['a', 'b', 'c'] }],
    [['a,b,c'], { properties: ['a', 'b', 'c'] }],
    [['properties:a,-b'], { properties: ['a', '^b'] }],
    [['^slowgpu'], { properties: ['^slowgpu'] }],
    [['a|b|c'], { or: [{ properties: ['a'] }, { properties: ['b'] }, { properties: ['c'] }] }],
    [['a or b'], { or: [{ properties: ['a'] }, { properties: ['b'] }] }],
    [['(a and b) or (b and c)'], { or: [{ properties: ['a', 'b'] }, { properties: ['b', 'c'] }] }],
    [['b|-c'], { or: [{ properties: ['b'] }, { not: [{ properties: ['c'] }] }] }],
    [['b or not c'], { or: [{ properties: ['b'] }, { not: [{ properties: ['c'] }] }] }],
    [['host:fluke[1-5]'], { hostlist: ['fluke[1-5]'] }],
    [['hosts:a,b'], { hostlist: ['a,b'] }],
    [['-host:fluke7'], { not: [{ hostlist: ['fluke7'] }] }],
    [['rank:0'], { ranks: ['0'] }],
    [['a host:n1'], { and: [{ properties: ['a'] }, { hostlist: ['n1'] }] }],
    [['not (a | b)'], { not: [{ or: [{ properties: ['a'] }, { properties: ['b'] }] }] }],
    [['a|b', 'c'], { and: [{ properties: ['c'] }, { or: [{ properties: ['a'] }, { properties: ['b'] }] }] }],
    [['efa', 'spot'], { properties: ['efa', 'spot'] }],
    [["properties:'x'"], { properties: ['x'] }],
    [['a AND b'], { properties: ['a', 'b'] }],
    [[], {}],
  ];
  it.each(cases)('%j', (exprs, expected) => {
    expect(parseRequires(exprs)).toEqual(expected);
  });

  const bad: Array<[string, RegExp]> = [
    ['', /empty constraint/],
    ['(a|b', /missing "\)"/],
    ['a)', /unexpected "\)"/],
    ['a |', /unexpected end/],
    ['-(a|b)', /"-" must be followed by a term/],
    ['color:red', /unknown operator "color"/],
    ['host:n[1-', /invalid hostlist "n\[1-"/],
    ['rank:x', /invalid idset "x"/],
    ["'unterminated", /unterminated quote/],
    ['host:', /missing operand/],
    ['a,,b', /non-empty property name/],
  ];
  it.each(bad)('rejects %j', (expr, message) => {
    const err = (() => {
      try {
        parseRequires([expr]);
      } catch (e) {
        return e as InvalidInputError;
      }
    })();
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err!.field).toBe('--requires');
    expect(err!.message).toMatch(message);
  });
});

describe('validateConstraint', () => {
  it('accepts the RFC 31 forms', () => {
    const c = { and: [{ properties: ['efa', '^spot'] }, { or: [{ hostlist: ['n[1-4]'] }, { ranks: ['0-3'] }] }, { not: [{ properties: ['x'] }] }] };
    expect(validateConstraint(c)).toEqual(c);
    expect(validateConstraint({})).toEqual({});
  });
  const bad: Array<[unknown, string]> = [
    [['efa'], 'constraints: must be a mapping'],
    [{ color: ['red'] }, 'constraints.color: unknown constraint operator'],
    [{ properties: 'efa' }, 'constraints.properties: must be a list'],
    [{ properties: [{ a: [] }] }, 'constraints.properties[0]: must be a string'],
    [{ and: ['efa'] }, 'constraints.and[0]: must be a constraint object'],
    [{ or: [{ hostlist: ['n[1-'] }] }, 'constraints.or[0].hostlist[0]: invalid hostlist'],
    [{ ranks: ['a'] }, 'constraints.ranks[0]: invalid idset'],
    [{ not: [] }, 'constraints.not: must hold a constraint to negate'],
    [{ properties: ['a|b'] }, 'constraints.properties[0]: invalid character in property "a|b"'],
  ];
  it.each(bad)('rejects %j', (obj, message) => {
    expect(() => validateConstraint(obj)).toThrow(message);
  });
});

describe('matchesConstraint', () => {
  const n1 = node('n1', 0, 'efa', 'spot');
  const n2 = node('n2', 1, 'efa');
  const n3 = node('n3', 2);

  it('properties: required and forbidden', () => {
    const c = parseRequires(['efa,-spot']);
    expect([n1, n2, n3].map((n) => matchesConstraint(c, n))).toEqual([false, true, false]);
  });
  it('hostlist and ranks', () => {
    expect([n1, n2, n3].map((n) => matchesConstraint({ hostlist: ['n[2-3]'] }, n))).toEqual([false, true, true]);
    expect([n1, n2, n3].map((n) => matchesConstraint({ ranks: ['0,2'] }, n))).toEqual([true, false, true]);
  });
  it('and, or, not, several operators in one object, and {}', () => {
    expect(matchesConstraint(parseRequires(['efa and not rank:0']), n2)).toBe(true);
    expect(matchesConstraint(parseRequires(['efa and not rank:0']), n1)).toBe(false);
    expect(matchesConstraint(parseRequires(['spot | host:n3']), n3)).toBe(true);
    expect(matchesConstraint({ properties: ['efa'], ranks: ['1'] }, n1)).toBe(false);
    expect(matchesConstraint({}, n3)).toBe(true);
  });
  it('compileConstraint expands the hostlist once, not per node', () => {
    const m = compileConstraint({ hostlist: ['n[1-100000]'] });
    for (let i = 0; i < 1000; i++) expect(m(node(`n${i + 1}`, i))).toBe(true);
    expect(m(node('n0', 0))).toBe(false);
  });
  it('not a term is the complement of the term', () => {
    const props = ['a', 'b', 'c'];
    fc.assert(
      fc.property(fc.subarray(props), fc.constantFrom(...props), (has, p) => {
        const n = node('h', 0, ...has);
        expect(matchesConstraint(parseRequires([`-${p}`]), n)).toBe(!matchesConstraint(parseRequires([p]), n));
        expect(matchesConstraint(parseRequires([`^${p}`]), n)).toBe(!has.includes(p));
      }),
    );
  });
});

// template.test.ts - Flux-style --format strings: parsing, alignment, truncation, `h` and `+`, conversions, headers, errors.
import { describe, expect, it } from 'vitest';
import { parseTemplate, renderHeader, renderRow, type FieldValue } from './template.ts';

const FIELDS = ['id', 'name', 'n', 'runtime', 't', 'nodes', 'ok'];
const row = (fmt: string, values: Record<string, FieldValue>) => renderRow(parseTemplate(fmt, FIELDS), (f) => values[f]);

describe('parseTemplate', () => {
  it('splits literals and fields, with {{ and }} as braces', () => {
    const t = parseTemplate('{{x}} {id:>5} - {name}', FIELDS);
    expect(t.fields).toEqual(['id', 'name']);
    expect(renderRow(t, (f) => (f === 'id' ? 'ab' : 'nm'))).toBe('{x}    ab - nm');
  });

  it('refuses unknown fields, naming them and the known ones', () => {
    expect(() => parseTemplate('{id} {bogus}', FIELDS)).toThrow('--format: unknown field "bogus" (known fields: id, n, name, nodes, ok, runtime, t)');
  });

  it('refuses bad syntax and conversions', () => {
    expect(() => parseTemplate('{id', FIELDS)).toThrow(/unclosed "\{"/);
    expect(() => parseTemplate('id}', FIELDS)).toThrow(/single "\}"/);
    expect(() => parseTemplate('{id!Z}', FIELDS)).toThrow(/unknown conversion "!Z"/);
    expect(() => parseTemplate('{id:>>>}', FIELDS)).toThrow(/invalid format spec ">>>"/);
    expect(() => parseTemplate('{}', FIELDS)).toThrow(/invalid field "\{\}"/);
  });
});

describe('renderRow', () => {
  it('aligns: strings left and numbers right by default, or as asked, with fill', () => {
    expect(row('[{name:6}][{n:4}]', { name: 'ab', n: 7 })).toBe('[ab    ][   7]');
    expect(row('[{name:>6}][{n:<4}][{name:^6}][{name:*^7}]', { name: 'ab', n: 7 })).toBe('[    ab][7   ][  ab  ][**ab***]');
    expect(row('{n:05}', { n: 42 })).toBe('00042');
  });

  it('truncates to the precision, marking it with + when asked', () => {
    expect(row('{name:<5.5}|', { name: 'abcdefgh' })).toBe('abcde|');
    expect(row('{name:<5.5+}|', { name: 'abcdefgh' })).toBe('abcd+|');
    expect(row('{name:<5.5+}|', { name: 'abc' })).toBe('abc  |');
  });

  it('h turns empty and zero-ish values into a hyphen', () => {
    expect(row('{nodes:>6h}|{runtime!F:>8h}', { nodes: undefined, runtime: 0 })).toBe('     -|       -');
    expect(row('{nodes:h}', { nodes: 'n1' })).toBe('n1');
  });

  it('converts: !F compact duration, !H h:mm:ss, !D local date, !P percent', () => {
    expect(row('{runtime!F}', { runtime: 2.3414 })).toBe('2.341s');
    expect(row('{runtime!H}', { runtime: 3725 })).toBe('1:02:05');
    expect(row('{t!D}', { t: 0 })).toBe('');
    expect(row('{t!D}', { t: 1578403860 })).toMatch(/^2020-01-0[78]T\d\d:\d\d:00$/);
    expect(row('{n!P}', { n: 0.5 })).toBe('50%');
  });

  it('formats numbers with d, f, g', () => {
    expect(row('{n:d} {n:.2f} {n:g}', { n: 3.14159 })).toBe('3 3.14 3.14159');
  });

  it('renders missing values as empty and booleans as Python does', () => {
    expect(row('[{name}] {ok} {ok}', { ok: true })).toBe('[] True True');
  });
});

describe('renderHeader', () => {
  it('gives each header its field width and alignment, but no type or h', () => {
    const t = parseTemplate('{id:>12} {name:<10.10+} {n:>6h} {nodes}', FIELDS);
    expect(renderHeader(t, { id: 'JOBID', name: 'NAME', n: 'NNODES', nodes: 'NODELIST' })).toBe('       JOBID NAME       NNODES NODELIST');
  });

  it('falls back to the upper-cased field name', () => {
    expect(renderHeader(parseTemplate('{t}', FIELDS), {})).toBe('T');
  });
});

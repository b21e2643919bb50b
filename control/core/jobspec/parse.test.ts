// parse.test.ts - jobspec text to data: YAML and JSON, syntax errors with line and column.
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import { parseJobspecText } from './parse.ts';

describe('parseJobspecText', () => {
  it('reads YAML and JSON alike', () => {
    expect(parseJobspecText('version: 1\ntasks: [{command: [a]}]')).toEqual({ version: 1, tasks: [{ command: ['a'] }] });
    expect(parseJobspecText('{"version": 1, "x": [1, 2.5]}')).toEqual({ version: 1, x: [1, 2.5] });
  });

  it('reads "3600." as a number and "1h" as a string', () => {
    expect(parseJobspecText('a: 3600.\nb: 1h')).toEqual({ a: 3600, b: '1h' });
  });

  it('names the line and column of a syntax error', () => {
    const err = (() => {
      try {
        parseJobspecText('version: 1\nfoo: bar: baz\n');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toMatch(/^line 2, column \d+: invalid YAML\/JSON: /);
  });

  it('rejects duplicate keys and several documents', () => {
    expect(() => parseJobspecText('a: 1\na: 2')).toThrow(/line 2, column 1: .*unique/);
    expect(() => parseJobspecText('a: 1\n---\nb: 2')).toThrow(/multiple documents/);
  });

  it('rejects unterminated JSON', () => {
    expect(() => parseJobspecText('{"version": 1,')).toThrow(InvalidInputError);
  });

  it('returns null for empty text (the validator then rejects it)', () => {
    expect(parseJobspecText('')).toBeNull();
  });
});

// path.test.ts - keys, namespace names and item sizes: the pure pieces under the KVS.
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../core/errors.ts';
import { appendTo, changeOf, fromBase64, toBase64, viewKey } from './effects.ts';
import { fromKeyItem, itemBytes, keyItem } from './items.ts';
import { ancestors, joinKey, jobOfNamespace, normalizeKey, normalizeNamespace, parseNsKey, within } from './path.ts';
import type { LogEntry } from './types.ts';

describe('keys', () => {
  it('normalize as Flux does', () => {
    expect(normalizeKey('a.b')).toBe('a.b');
    expect(normalizeKey('..a...b.')).toBe('a.b');
    expect(normalizeKey('')).toBe('.');
    expect(normalizeKey('...')).toBe('.');
    expect(() => normalizeKey('a\nb')).toThrow(InvalidInputError);
    expect(() => normalizeKey('x'.repeat(901))).toThrow(/at most 900 bytes/);
  });

  it('split into ancestors, join, and test containment', () => {
    expect(ancestors('a.b.c')).toEqual(['a', 'a.b']);
    expect(ancestors('a')).toEqual([]);
    expect(joinKey('.', 'x')).toBe('x');
    expect(joinKey('a', '')).toBe('a');
    expect(within('a.b.c', 'a.b')).toBe(true);
    expect(within('a.bc', 'a.b')).toBe(false);
    expect(within('anything', '.')).toBe(true);
    expect(parseNsKey('ns::a.b')).toEqual({ namespace: 'ns', key: 'a.b' });
    expect(parseNsKey('a.b')).toEqual({ key: 'a.b' });
  });
});

describe('namespace names', () => {
  it('canonicalize job namespaces to f58 and refuse odd names', () => {
    expect(normalizeNamespace('job-6731191091817518')).toBe('job-ƒuZZybuNNy');
    expect(normalizeNamespace('job-fuZZybuNNy')).toBe('job-ƒuZZybuNNy');
    expect(jobOfNamespace('job-ƒuZZybuNNy')).toBe(6731191091817518n);
    expect(jobOfNamespace('jobless')).toBeUndefined();
    expect(normalizeNamespace('my-ns_1.x')).toBe('my-ns_1.x');
    expect(() => normalizeNamespace('a#b')).toThrow(/not a namespace name/);
    expect(() => normalizeNamespace('namespaces')).toThrow(/reserved/);
  });
});

describe('effects and items', () => {
  it('append text and bytes', () => {
    expect(appendTo(undefined, { type: 'json', value: '' })).toEqual({ type: 'json', value: '' });
    expect(appendTo({ type: 'json', value: 'é' }, { type: 'raw', data: toBase64(new Uint8Array([0])) })).toEqual({ type: 'raw', data: toBase64(new Uint8Array([0xc3, 0xa9, 0])) });
    expect(() => appendTo({ type: 'dir' }, { type: 'json', value: 'x' })).toThrow(/cannot append to a directory/);
    expect(() => fromBase64('not base64!')).toThrow(/base64/);
  });

  it('replay a log over a materialized key, skipping appends the key already holds', () => {
    const log: LogEntry[] = [
      { version: 5, timestamp: 1, user: 'u', effects: { trees: [], sets: [['k', { op: 'append', data: { type: 'json', value: 'b' } }]] } },
      { version: 6, timestamp: 1, user: 'u', effects: { trees: ['d'], sets: [] } },
      { version: 7, timestamp: 1, user: 'u', effects: { trees: [], sets: [['k', { op: 'append', data: { type: 'json', value: 'c' } }]] } },
    ];
    expect(viewKey('k', { entry: { type: 'json', value: 'a' }, version: 4 }, log)).toEqual({ entry: { type: 'json', value: 'abc' }, version: 7 });
    expect(viewKey('k', { entry: { type: 'json', value: 'ab' }, version: 5 }, log)).toEqual({ entry: { type: 'json', value: 'abc' }, version: 7 });
    expect(viewKey('d.x', { entry: { type: 'json', value: 1 }, version: 2 }, log)).toBeUndefined();
    expect(changeOf(log[1]!.effects, 'd.x')).toEqual({ op: 'unlink' });
    expect(changeOf(log[1]!.effects, 'k')).toBeUndefined();
  });

  it('store values as JSON text (empty strings too) and count bytes as DynamoDB does', () => {
    const item = keyItem('K#i#ns#g', 'a.b', { type: 'json', value: '' }, 3, 0);
    expect(item.d).toBe('""');
    expect(fromKeyItem(item)).toEqual({ key: 'a.b', entry: { type: 'json', value: '' }, version: 3 });
    expect(fromKeyItem(keyItem('p', 'k', { type: 'symlink', target: 't', namespace: 'n' }, 1, 0)).entry).toEqual({ type: 'symlink', target: 't', namespace: 'n' });
    const tomb = keyItem('p', 'k', undefined, 2, 100);
    expect(fromKeyItem(tomb)).toEqual({ key: 'k', entry: undefined, version: 2 });
    expect(itemBytes({ pk: 'K#a', v: 12 })).toBe(2 + 3 + 1 + 2);
    expect(itemBytes({ s: 'é' })).toBe(1 + 2);
  });
});

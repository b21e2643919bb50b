// helpers.test.ts - the small pure pieces of the edge: field paths, zod messages, bearer parsing, ids, wait clamping.
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { bearerToken } from './auth.ts';
import { invalidFromZod, joinPath } from './errors.ts';
import { encodeId, jsonSafe } from './ids.ts';
import { waitMs } from './routes/kit.ts';

describe('joinPath', () => {
  it('writes paths as the core does', () => {
    expect(joinPath('body', ['jobspecs', 3, 'resources', 0, 'count'])).toBe('body.jobspecs[3].resources[0].count');
    expect(joinPath('body', [])).toBe('body');
    expect(joinPath('body', ['attributes', 'system', 'preemptible-after'])).toBe('body.attributes.system.preemptible-after');
    expect(joinPath('body', ['a b'])).toBe('body["a b"]');
    expect(joinPath('', ['x', 1])).toBe('x[1]');
  });
});

describe('invalidFromZod', () => {
  const check = (schema: z.ZodType, value: unknown) => {
    const r = schema.safeParse(value);
    if (r.success) throw new Error('expected a failure');
    return invalidFromZod(r.error, 'body');
  };
  const body = z.strictObject({ n: z.number().min(0).max(31), s: z.string().min(1).max(3), a: z.array(z.string()).max(2), e: z.enum(['x', 'y']).optional() });

  it('names the field and says what is wrong in plain words', () => {
    expect(check(body, { n: 40, s: 'ab', a: [] })).toMatchObject({ field: 'body.n', message: 'body.n: must be ≤ 31' });
    expect(check(body, { n: 1, s: '', a: [] }).message).toBe('body.s: must not be empty');
    expect(check(body, { n: 1, s: 'abcd', a: [] }).message).toBe('body.s: must be at most 3 characters');
    expect(check(body, { n: 1, s: 'a', a: ['1', '2', '3'] }).message).toBe('body.a: must hold at most 2 items');
    expect(check(body, { n: 1, s: 'a', a: [], e: 'z' }).message).toBe('body.e: must be one of "x", "y"');
    expect(check(body, { s: 'a', a: [] }).message).toBe('body.n: is required');
    expect(check(body, { n: 'x', s: 'a', a: [] }).message).toBe('body.n: must be a number');
  });

  it('reports every problem in the message and the first as the field', () => {
    const err = check(body, { n: -1, s: 'a', a: [], extra: 1 });
    expect(err.field).toBe('body.n');
    expect(err.message).toBe('body.n: must be ≥ 0; body.extra: is not a known field');
  });
});

describe('bearerToken', () => {
  it('takes the token of a Bearer header only', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer   abc')).toBe('abc');
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('ids', () => {
  it('encodes f58 and makes bigints JSON-safe at any depth', () => {
    expect(encodeId(6731191091817518n)).toBe('ƒuZZybuNNy');
    expect(jsonSafe({ a: [1n, { b: 6731191091817518n }], c: 'x', d: null })).toEqual({ a: ['ƒ2', { b: 'ƒuZZybuNNy' }], c: 'x', d: null });
    expect(jsonSafe(-5n)).toBe('-5');
    const proto = jsonSafe(JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(proto)).toEqual(['__proto__']);
  });
});

describe('waitMs', () => {
  it('turns seconds into ms within 0..max', () => {
    expect(waitMs(undefined, 60)).toBe(0);
    expect(waitMs(1.5, 60)).toBe(1500);
    expect(waitMs(61, 60)).toBe(60_000);
    expect(waitMs(-1, 60)).toBe(0);
    expect(waitMs(30, 25)).toBe(25_000);
  });
});

// result.test.ts - wait status decoding and the Flux result rules.
import { describe, expect, it } from 'vitest';
import { decodeWaitStatus, deriveResult, resultOfException, returncodeOf, waitStatusFromExit, waitStatusFromSignal } from './result.ts';

describe('wait statuses', () => {
  it.each([
    [0, { exitCode: 0 }],
    [3 << 8, { exitCode: 3 }],
    [255 << 8, { exitCode: 255 }],
    [9, { signal: 9 }],
    [15, { signal: 15 }],
    [11 | 0x80, { signal: 11, coreDumped: true }],
    [0x137f, {}],
  ])('decodes %i', (status, expected) => {
    expect(decodeWaitStatus(status)).toEqual(expected);
  });
  it('round-trips exit codes and signals', () => {
    for (let c = 0; c < 256; c++) expect(decodeWaitStatus(waitStatusFromExit(c))).toEqual({ exitCode: c });
    for (let s = 1; s < 127; s++) expect(decodeWaitStatus(waitStatusFromSignal(s))).toEqual({ signal: s });
  });
});

describe('results', () => {
  const ex = (type: string, severity = 0) => ({ type, severity, note: '' });
  it('follows Flux', () => {
    expect(deriveResult({ success: true })).toBe('COMPLETED');
    expect(deriveResult({ success: false })).toBe('FAILED');
    expect(deriveResult({ exception: ex('cancel') })).toBe('CANCELED');
    expect(deriveResult({ exception: ex('timeout') })).toBe('TIMEOUT');
    expect(deriveResult({ exception: ex('oom') })).toBe('FAILED');
    expect(deriveResult({ success: false, exception: ex('cancel', 1) })).toBe('FAILED');
    expect(resultOfException('timelimit')).toBe('TIMEOUT');
  });
  it('gives Flux return codes', () => {
    expect(returncodeOf({ waitstatus: 2 << 8 }, 'FAILED')).toBe(2);
    expect(returncodeOf({ waitstatus: 15 }, 'CANCELED')).toBe(-15);
    expect(returncodeOf({}, 'CANCELED')).toBe(-128);
    expect(returncodeOf({}, 'FAILED')).toBeUndefined();
  });
});

// time.test.ts - durations and timestamps as Flux's tools print them, and the eventlog line formats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventlogFormatter, formatContext } from './eventlog.ts';
import { compactFSD, hms, humanOffset, isoUtcMicros } from './time.ts';

describe('compactFSD (flux jobs runtimes)', () => {
  it.each([
    [0, '0s'],
    [0.0004, '0s'],
    [0.5, '0.500s'],
    [2.3414, '2.341s'],
    [9.9994, '9.999s'],
    [12.345, '12.35s'],
    [59.99, '59.99s'],
    [90, '1.5m'],
    [754, '12.57m'],
    [7200, '2h'],
    [86400 * 3.5, '3.5d'],
    [Infinity, 'inf'],
  ])('%s s → %s', (secs, text) => expect(compactFSD(secs)).toBe(text));
});

describe('hms', () => {
  it('prints hours unbounded', () => {
    expect(hms(0)).toBe('0:00:00');
    expect(hms(59.9)).toBe('0:00:59');
    expect(hms(100 * 3600 + 61)).toBe('100:01:01');
  });
});

describe('eventlog lines', () => {
  const tz = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = 'UTC';
  });
  afterAll(() => {
    process.env.TZ = tz;
  });

  const log = [
    { timestamp: 1699995759.5377746, name: 'submit', context: { userid: 'alice', urgency: 16, flags: 0, version: 1 } },
    { timestamp: 1699995759.5597851, name: 'validate' },
    { timestamp: 1699995760.7054179, name: 'memo', context: { uri: 'ssh://host/tmp/x' } },
    { timestamp: 1700074161.0240808, name: 'finish', context: { status: 0 } },
    { timestamp: 1700074161.1864166, name: 'release', context: { ranks: 'all', final: true } },
  ];
  const all = (f: EventlogFormatter) => log.map((ev) => f.line(ev));

  it('encodes context values as JSON (strings quoted)', () => {
    expect(formatContext({ type: 'cancel', severity: 0, note: '', final: true, o: { a: [1] } })).toBe('type="cancel" severity=0 note="" final=true o={"a":[1]}');
    expect(formatContext(undefined)).toBe('');
  });

  it('raw: seconds with microseconds', () => {
    expect(all(new EventlogFormatter())).toEqual([
      '1699995759.537775 submit userid="alice" urgency=16 flags=0 version=1',
      '1699995759.559785 validate',
      '1699995760.705418 memo uri="ssh://host/tmp/x"',
      '1700074161.024081 finish status=0',
      '1700074161.186417 release ranks="all" final=true',
    ]);
  });

  it('iso and offset', () => {
    expect(isoUtcMicros(1699995759.5377746)).toBe('2023-11-14T21:02:39.537774Z');
    const offset = all(new EventlogFormatter({ time: 'offset' }));
    expect(offset[0]).toBe('0.000000 submit userid="alice" urgency=16 flags=0 version=1');
    expect(offset[1]).toBe('0.022011 validate');
    expect(offset[3]).toBe('78401.486306 finish status=0');
  });

  it('human: a date stamp, offsets under a minute, a new stamp after a gap', () => {
    expect(all(new EventlogFormatter({ time: 'human' }))).toEqual([
      '[Nov14 21:02] submit userid="alice" urgency=16 flags=0 version=1',
      '[  +0.022011] validate',
      '[  +1.167643] memo uri="ssh://host/tmp/x"',
      '[Nov15 18:49] finish status=0',
      '[  +0.162336] release ranks="all" final=true',
    ]);
    expect(humanOffset(12.5)).toBe('[ +12.500000]');
  });

  it('json: one compact object per line', () => {
    expect(new EventlogFormatter({ format: 'json' }).line(log[1]!)).toBe('{"timestamp":1699995759.5597851,"name":"validate"}');
  });
});

// eventlog.test.ts - RFC 18 eventlogs: lines written and read back, growing logs read piece by piece, bad events.
import { describe, expect, it } from 'vitest';
import { EventlogReader, formatEvent, parseEventlog } from './eventlog.ts';

describe('RFC 18 eventlogs', () => {
  it('write one compact line per event and read them back', () => {
    const text = formatEvent({ timestamp: 1552593348.073045, name: 'submit', context: { urgency: 16 } }) + formatEvent({ timestamp: 2, name: 'clean' });
    expect(text).toBe('{"timestamp":1552593348.073045,"name":"submit","context":{"urgency":16}}\n{"timestamp":2,"name":"clean"}\n');
    expect(parseEventlog(text)).toEqual([{ timestamp: 1552593348.073045, name: 'submit', context: { urgency: 16 } }, { timestamp: 2, name: 'clean' }]);
  });

  it('read a growing log as it is appended to, even split mid-line', () => {
    const r = new EventlogReader();
    expect(r.feed('{"timestamp":1,"name":"a"}\n{"timest')).toEqual([{ timestamp: 1, name: 'a' }]);
    expect(r.feed('amp":2,"name":"b"}\n')).toEqual([{ timestamp: 2, name: 'b' }]);
    expect(() => parseEventlog('{"timestamp":1,"name":"a"}')).toThrow(/no newline/);
  });

  it('refuse events that would not read back', () => {
    expect(() => formatEvent({ timestamp: 0, name: 'a' })).toThrow(/timestamp must be a number > 0/);
    expect(() => formatEvent({ timestamp: 1, name: 'two words' })).toThrow(/name must be a non-empty word/);
    expect(() => formatEvent({ timestamp: 1, name: 'a', context: [] as unknown as Record<string, unknown> })).toThrow(/context must be a JSON object/);
    expect(() => parseEventlog('not json\n')).toThrow('line 1: not JSON');
  });
});

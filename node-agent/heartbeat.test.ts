// heartbeat.test.ts - beats and the silence alarm (agent protocol 4.1-4.2), on fake timers.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startHeartbeat } from './heartbeat.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('4.1 heartbeat', () => {
  it('beats once per interval until stopped', () => {
    let beats = 0;
    const hb = startHeartbeat({ intervalMs: 30_000, beat: () => beats++, silenceMs: 0 });
    vi.advanceTimersByTime(29_999);
    expect(beats).toBe(0);
    vi.advanceTimersByTime(1);
    expect(beats).toBe(1);
    vi.advanceTimersByTime(60_000);
    expect(beats).toBe(3);
    hb.stop();
    vi.advanceTimersByTime(60_000);
    expect(beats).toBe(3);
  });

  it('raises the silence alarm once after 3 intervals without a message, not while messages arrive', () => {
    let silent = 0;
    const hb = startHeartbeat({ intervalMs: 1000, beat: () => {}, onSilence: () => silent++ });
    for (let i = 0; i < 10; i++) {
      vi.advanceTimersByTime(1000);
      hb.touch();
    }
    expect(silent).toBe(0);
    vi.advanceTimersByTime(3000);
    expect(silent).toBe(1);
    vi.advanceTimersByTime(10_000);
    expect(silent).toBe(1);
  });
});

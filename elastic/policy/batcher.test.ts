// batcher.test.ts - the batching window stepped on a virtual clock: opens at the first trigger, extends on new
// triggers, closes after idle or at max; no sleeping.
import { describe, expect, it } from 'vitest';
import { emptyBatcher, stepBatcher } from './batcher.ts';
import type { BatcherState } from './types.ts';

const W = { idle: 1, max: 10 };

/** Step the batcher once per virtual second from `from` to `to`, with the triggers `at(t)`; the first ready time. */
function runUntilReady(from: number, to: number, at: (t: number) => string[]): number | undefined {
  let s: BatcherState = emptyBatcher();
  for (let t = from; t <= to; t += 0.5) {
    const r = stepBatcher(s, at(t), t, W);
    if (r.ready) return t;
    s = r.state;
  }
  return undefined;
}

describe('batcher', () => {
  it('does nothing without triggers', () => {
    expect(stepBatcher(emptyBatcher(), [], 5, W)).toEqual({ state: { seen: [] }, ready: false });
  });

  it('closes idle seconds after the last new trigger', () => {
    const r = stepBatcher(emptyBatcher(), ['a'], 0, W);
    expect(r).toMatchObject({ ready: false, closesAt: 1, state: { openedAt: 0, lastTriggerAt: 0, seen: ['a'] } });
    expect(stepBatcher(r.state, ['a'], 0.5, W).ready).toBe(false);
    expect(stepBatcher(r.state, ['a'], 1, W).ready).toBe(true);
  });

  it('a new trigger extends the window; an old one does not', () => {
    let s = stepBatcher(emptyBatcher(), ['a'], 0, W).state;
    s = stepBatcher(s, ['a', 'b'], 0.8, W).state;
    expect(stepBatcher(s, ['a', 'b'], 1.5, W)).toMatchObject({ ready: false, closesAt: 1.8 });
    expect(stepBatcher(s, ['a', 'b'], 1.8, W).ready).toBe(true);
  });

  it('closes at max after opening even while new triggers keep arriving', () => {
    expect(runUntilReady(0, 30, (t) => [`j${t}`])).toBe(10);
  });

  it('closes after idle when triggers stop', () => {
    expect(runUntilReady(0, 30, (t) => (t <= 3 ? [`j${t}`] : ['j3']))).toBe(4);
  });

  it('with idle 0 there is no batching', () => {
    expect(stepBatcher(emptyBatcher(), ['a'], 7, { idle: 0, max: 0 }).ready).toBe(true);
  });

  it('resets once the window has closed', () => {
    const s = stepBatcher(emptyBatcher(), ['a'], 0, W).state;
    const r = stepBatcher(s, ['a'], 2, W);
    expect(r.state).toEqual(emptyBatcher());
    expect(stepBatcher(r.state, ['a'], 3, W)).toMatchObject({ ready: false, closesAt: 4 });
  });
});

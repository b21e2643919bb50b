// pending.test.ts - handlers wait for the work they started but did not await.
import { describe, expect, it } from 'vitest';
import { PendingWork } from './pending.ts';

const later = (ms: number, fn: () => void = () => undefined) => new Promise<void>((resolve) => setTimeout(() => (fn(), resolve()), ms));

describe('PendingWork', () => {
  it('drains work tracked before and during the drain, including work queued with setTimeout(0)', async () => {
    const pending = new PendingWork();
    const done: string[] = [];
    pending.track(later(20, () => done.push('a')));
    // Like the dispatcher: work that starts on the next macrotask, tracked only then.
    setTimeout(() => void pending.track(later(10, () => done.push('b'))), 0);
    pending.track(later(5, () => pending.track(later(15, () => done.push('c')))));
    await pending.drain();
    expect(done.sort()).toEqual(['a', 'b', 'c']);
    expect(pending.size).toBe(0);
  });

  it('survives rejected work (whoever started it handles the error)', async () => {
    const pending = new PendingWork();
    const failing = pending.track(Promise.reject(new Error('throttled')));
    failing.catch(() => undefined);
    await pending.drain();
    expect(pending.size).toBe(0);
  });
});

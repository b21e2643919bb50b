// notifier.test.ts - long-poll wakeups: no notify is lost between a read and the wait that follows it.
import { describe, expect, it } from 'vitest';
import { LocalNotifier } from './notifier.ts';

describe('LocalNotifier', () => {
  it('wakes a waiter on notify (a lost wakeup would outlast the test timeout), and times out otherwise', async () => {
    const n = new LocalNotifier();
    const woken = n.wait('k', 60_000);
    n.notify('k');
    await woken;
    await n.wait('other', 20);
  });

  it('returns at once when a notify landed after the mark (between the read and the wait)', async () => {
    const n = new LocalNotifier();
    const seen = n.mark('job:1');
    n.notify('job:1'); // the write completes while the poller is still reading
    let resolved = false;
    const wait = n.wait('job:1', 60_000, undefined, seen).then(() => (resolved = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(resolved).toBe(true);
    await wait;
  });

  it('an abort ends the wait', async () => {
    const n = new LocalNotifier();
    const ac = new AbortController();
    const wait = n.wait('k', 60_000, ac.signal);
    ac.abort();
    await wait;
  });
});

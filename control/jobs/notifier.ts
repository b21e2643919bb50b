// notifier.ts - wakes long polls (eventlog, output) when something they wait for was written.
// Local mode notifies in process; on Lambda, where the writer is another function, waiting degrades to polling.

export interface Notifier {
  /** Something under `key` changed (after it is durable). */
  notify(key: string): void;
  /**
   * A token for "what has been notified of `key` so far". Take it before reading, pass it to `wait`: a notify that
   * lands between the read and the wait is then not lost (the wait returns at once).
   */
  mark(key: string): number;
  /** Resolves on the next notify of `key` (or at once if one came since `since`), after `ms`, or on abort. */
  wait(key: string, ms: number, signal?: AbortSignal, since?: number): Promise<void>;
}

export const jobKey = (id: bigint): string => `job:${id}`;
export const outputKey = (id: bigint): string => `out:${id}`;

/** In-process notifier: waiters per key, woken all at once. */
export class LocalNotifier implements Notifier {
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Notifications per key. Cleared when large: a cleared key reads as "changed", a harmless early return. */
  private readonly counts = new Map<string, number>();

  mark(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  notify(key: string): void {
    if (this.counts.size > 100_000) this.counts.clear();
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const set = this.waiters.get(key);
    if (!set) return;
    this.waiters.delete(key);
    for (const wake of set) wake();
  }

  wait(key: string, ms: number, signal?: AbortSignal, since?: number): Promise<void> {
    if (ms <= 0 || signal?.aborted || (since !== undefined && this.mark(key) !== since)) return Promise.resolve();
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        set!.delete(done);
        if (set!.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      set.add(done);
    });
  }
}

/** For stateless hosts: a wait is a short sleep; the caller re-reads and waits again until its deadline. */
export class PollingNotifier implements Notifier {
  constructor(private readonly intervalMs = 250) {}

  notify(): void {}

  mark(): number {
    return 0;
  }

  wait(_key: string, ms: number, signal?: AbortSignal): Promise<void> {
    const sleep = Math.min(ms, this.intervalMs);
    if (sleep <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', stop);
        resolve();
      }, sleep);
      const stop = () => {
        clearTimeout(timer);
        resolve();
      };
      signal?.addEventListener('abort', stop, { once: true });
    });
  }
}

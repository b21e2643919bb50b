// notifier.ts - wakes long polls (eventlog, output) when something they wait for was written.
// Local mode notifies in process; on Lambda, where the writer is another function, waiting degrades to polling.

export interface Notifier {
  /** Something under `key` changed (after it is durable). */
  notify(key: string): void;
  /** Resolves on the next notify of `key`, after `ms`, or when `signal` aborts, whichever is first. */
  wait(key: string, ms: number, signal?: AbortSignal): Promise<void>;
}

export const jobKey = (id: bigint): string => `job:${id}`;
export const outputKey = (id: bigint): string => `out:${id}`;

/** In-process notifier: waiters per key, woken all at once. */
export class LocalNotifier implements Notifier {
  private readonly waiters = new Map<string, Set<() => void>>();

  notify(key: string): void {
    const set = this.waiters.get(key);
    if (!set) return;
    this.waiters.delete(key);
    for (const wake of set) wake();
  }

  wait(key: string, ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
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

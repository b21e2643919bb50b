// submissions.ts - tells `all-mine` subscriptions about new jobs, per user; the host feeds it from the job manager's
// admissions (JobManager.onAdmitted), so it hears of every durable new job, however it was submitted.
// Invariant: a listener's failure never reaches the announcer.

type Listener = (ids: bigint[]) => void;

/** Announcements of new jobs, per user. */
export class SubmitFeed {
  readonly #listeners = new Map<string, Set<Listener>>();

  /**
   * Calls `fn` with the ids of each submission `user` makes from now on; returns the unsubscribe.
   * @example const stop = feed.listen('alice', (ids) => follow(ids)); … stop()
   */
  listen(user: string, fn: Listener): () => void {
    let set = this.#listeners.get(user);
    if (!set) this.#listeners.set(user, (set = new Set()));
    set.add(fn);
    return () => {
      set!.delete(fn);
      if (set!.size === 0 && this.#listeners.get(user) === set) this.#listeners.delete(user);
    };
  }

  /** Tells the listeners of `user` about `ids`. */
  announce(user: string, ids: bigint[]): void {
    for (const fn of this.#listeners.get(user) ?? []) {
      try {
        fn(ids);
      } catch {
        // A listener's problem is its own.
      }
    }
  }
}

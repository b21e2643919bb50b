// submissions.ts - tells `all-mine` subscriptions about new jobs: a JobService wrapper that announces each
// acknowledged submission to the listeners of its user.
// Invariants: a listener hears of a job only after the job is durable (the wrapped submit resolved); a listener's
// failure never fails the submission; every other JobService call passes through unchanged.
import type { Caller, JobService } from '../services.ts';

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

  /**
   * `jobs`, with each successful submission announced to its submitter's listeners.
   * @example services.jobs = feed.wrap(services.jobs)
   */
  wrap(jobs: JobService): JobService {
    const submit = async (caller: Caller, input: Parameters<JobService['submit']>[1]) => {
      const out = await jobs.submit(caller, input);
      this.announce(caller.user, out.ids);
      return out;
    };
    return {
      submit,
      list: (caller, query) => jobs.list(caller, query),
      info: (caller, id) => jobs.info(caller, id),
      eventlog: (caller, id, from, waitMs, signal) => jobs.eventlog(caller, id, from, waitMs, signal),
      output: (caller, id, cursor, waitMs, signal) => jobs.output(caller, id, cursor, waitMs, signal),
      cancel: (caller, id, note) => jobs.cancel(caller, id, note),
      setUrgency: (caller, id, urgency) => jobs.setUrgency(caller, id, urgency),
    };
  }
}

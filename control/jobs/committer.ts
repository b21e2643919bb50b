// committer.ts - group commit of job events: every change to a job goes through here as a builder that looks at
// the job's current state and says what to append. Builders queued while a flush is in flight are batched into
// the next one (several jobs per transaction, several events per job), so throughput grows with load.
// Invariants: one job is never in two flushes at once; a builder sees the state its append will be conditional
// on; a conflict (someone else wrote first) reloads the job and re-runs its builders; nothing is acknowledged
// (no promise resolves) before its write is durable.
import { applyEvents, type JobEvent } from '../core/job/index.ts';
import { NotFoundError } from '../core/errors.ts';
import type { JobAppend, JobItem, JobTable, LeaseFence } from '../store/jobs.ts';
import { activeSlot, derivedAttributes, stateOf, type JobState } from './job-state.ts';

/** What a builder wants appended; null when there is nothing to do in the state it was shown. */
export interface AppendPlan {
  events: JobEvent[];
  /** Extra attributes (R, exits…); the listing attributes derived from the new view are added automatically. */
  set?: Partial<Record<keyof JobItem, unknown>>;
}

export type Builder = (job: JobState) => AppendPlan | null;

export type CommitOutcome =
  | { status: 'applied'; job: JobState }
  | { status: 'unchanged'; job: JobState }
  | { status: 'lease-lost' };

interface Pending {
  id: bigint;
  build: Builder;
  fence?: LeaseFence;
  attempts: number;
  resolve(outcome: CommitOutcome): void;
  reject(err: unknown): void;
}

export interface CommitterOptions {
  /** Appends per flush (a flush runs its transactions in parallel). */
  maxBatch?: number;
  /** Flushes in flight at once. */
  maxFlushes?: number;
  /** Called after a job's append is durable, with its new state. */
  onCommitted?: (job: JobState, events: JobEvent[]) => void;
}

/** Jobs the committer knows: the cache of active jobs (local mode keeps them all; Lambda starts empty). */
export interface JobCache {
  get(id: bigint): JobState | undefined;
  set(id: bigint, job: JobState): void;
}

export class EventCommitter {
  private queue: Pending[] = [];
  private readonly inFlight = new Set<bigint>();
  private flushes = 0;
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly maxFlushes: number;

  constructor(
    private readonly table: JobTable,
    private readonly cache: JobCache,
    private readonly options: CommitterOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 400;
    this.maxFlushes = options.maxFlushes ?? 3;
  }

  /**
   * Queues a change to job `id`; resolves once it is durable (or there was nothing to do).
   * @example await committer.commit(id, (j) => ({ events: cancelEvents(j.view, {timestamp, userid}) }))
   */
  commit(id: bigint, build: Builder, fence?: LeaseFence): Promise<CommitOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id, build, fence, attempts: 0, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate-like: let the current burst of callers queue their work first.
    setTimeout(() => {
      this.scheduled = false;
      this.pump();
    }, 0);
  }

  private pump(): void {
    while (this.flushes < this.maxFlushes && this.queue.length) {
      const take: Pending[] = [];
      const rest: Pending[] = [];
      const ids = new Set<bigint>();
      for (const p of this.queue) {
        if (this.inFlight.has(p.id) || (ids.size >= this.maxBatch && !ids.has(p.id))) rest.push(p);
        else {
          ids.add(p.id);
          take.push(p);
        }
      }
      if (!take.length) return;
      this.queue = rest;
      for (const id of ids) this.inFlight.add(id);
      this.flushes++;
      this.flush(take)
        .catch((err) => take.forEach((p) => p.reject(err)))
        .finally(() => {
          for (const id of ids) this.inFlight.delete(id);
          this.flushes--;
          if (this.queue.length) this.schedule();
        });
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    const byJob = new Map<bigint, Pending[]>();
    for (const p of batch) {
      const list = byJob.get(p.id);
      if (list) list.push(p);
      else byJob.set(p.id, [p]);
    }
    await this.loadMissing([...byJob.keys()]);

    // Run each job's builders in order over a working copy of its state, merging what they append.
    const plans: Array<{ id: bigint; before: JobState; after: JobState; append: JobAppend; fence?: LeaseFence; waiters: Pending[] }> = [];
    for (const [id, all] of byJob) {
      // A fenced allocation and an unfenced change of one job cannot share a transaction: the later kind waits
      // for the next flush (the job is in flight, so the pump holds it back until this one is done).
      const fence = all[0]!.fence;
      const waiters = all.filter((p) => p.fence === fence);
      this.queue.push(...all.filter((p) => p.fence !== fence));
      const before = this.cache.get(id);
      if (!before) {
        waiters.forEach((p) => p.reject(new NotFoundError(`job ${id} not found`)));
        continue;
      }
      let current = before;
      const events: JobEvent[] = [];
      const set: Record<string, unknown> = {};
      const applied: Pending[] = [];
      for (const p of waiters) {
        let plan: AppendPlan | null;
        try {
          plan = p.build(current);
          // The next builder of this job must see this one's events and attributes alike.
          if (plan) current = { item: withAttributes(current.item, plan.set), view: plan.events.length ? applyEvents(current.view, plan.events) : current.view };
        } catch (err) {
          p.reject(err);
          continue;
        }
        if (!plan || (!plan.events.length && !plan.set)) {
          p.resolve({ status: 'unchanged', job: current });
          continue;
        }
        events.push(...plan.events);
        Object.assign(set, plan.set);
        applied.push(p);
      }
      if (!applied.length) continue;
      const slotBefore = activeSlot(before.view);
      const slotAfter = activeSlot(current.view);
      const fullSet = { ...derivedAttributes(current.view), ...set };
      const item = withAttributes({ ...before.item, eventlog: [...before.item.eventlog, ...events], ver: before.item.ver + 1 }, fullSet);
      plans.push({
        id,
        before,
        after: { item, view: current.view },
        append: { id, expectVer: before.item.ver, events, set: fullSet, active: slotAfter === slotBefore ? undefined : slotAfter },
        fence,
        waiters: applied,
      });
    }

    // One store call per fence (allocations carry the scheduler's lease). Unfenced appends ride along in the fenced
    // transactions when there is one fence: the lease check costs them nothing, and a job's completion then shares a
    // transaction with the allocation of the job that takes its cores (half the requests per job).
    const fences = [...new Set(plans.map((p) => p.fence).filter((f): f is LeaseFence => f !== undefined))];
    const groups = new Map<LeaseFence | undefined, typeof plans>();
    for (const p of plans) {
      const key = p.fence ?? (fences.length === 1 ? fences[0] : undefined);
      const g = groups.get(key);
      if (g) g.push(p);
      else groups.set(key, [p]);
    }
    await Promise.all(
      [...groups].map(async ([fence, group]) => {
        const outcomes = await this.table.append(
          group.map((p) => p.append),
          fence,
        );
        const conflicts: bigint[] = [];
        group.forEach((p, i) => {
          const outcome = outcomes[i];
          if (outcome === 'ok') {
            this.cache.set(p.id, p.after);
            this.options.onCommitted?.(p.after, p.append.events);
            p.waiters.forEach((w) => w.resolve({ status: 'applied', job: p.after }));
          } else if (outcome === 'lease-lost') {
            // Only fenced builders care about the lease; the ones that rode along go again on their own.
            for (const w of p.waiters) {
              if (w.fence) w.resolve({ status: 'lease-lost' });
              else this.queue.push(w);
            }
          } else if (outcome === 'missing') {
            p.waiters.forEach((w) => w.reject(new NotFoundError(`job ${p.id} not found`)));
          } else {
            conflicts.push(p.id);
          }
        });
        if (conflicts.length) await this.retry(group.filter((p) => conflicts.includes(p.id)));
      }),
    );
  }

  /** Someone else appended first: reload those jobs and queue their builders again (bounded). */
  private async retry(conflicted: Array<{ id: bigint; waiters: Pending[] }>): Promise<void> {
    const fresh = await this.table.getMany(conflicted.map((c) => c.id));
    for (const item of fresh) this.cache.set(item.id, stateOf(item));
    for (const c of conflicted) {
      for (const w of c.waiters) {
        if (++w.attempts > 8) w.reject(new Error(`job ${c.id}: too many concurrent writers, giving up`));
        else this.queue.push(w);
      }
    }
  }

  private async loadMissing(ids: bigint[]): Promise<void> {
    const missing = ids.filter((id) => !this.cache.get(id));
    if (!missing.length) return;
    for (const item of await this.table.getMany(missing)) this.cache.set(item.id, stateOf(item));
  }
}

/** A copy of `item` with `set` applied (null removes an attribute), as the store will hold it. */
function withAttributes(item: JobItem, set: Partial<Record<keyof JobItem, unknown>> | undefined): JobItem {
  if (!set) return item;
  const out = { ...item } as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(set)) {
    if (v === null) delete out[k];
    else if (v !== undefined) out[k] = v;
  }
  return out as unknown as JobItem;
}

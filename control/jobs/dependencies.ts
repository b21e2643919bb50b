// dependencies.ts - RFC 26 job dependencies: after, afterany, afterok, afternotok (on another job) and begin-time.
// A job with dependencies waits in DEPEND; each is removed (`dependency-remove`) once its antecedent reaches the state
// the scheme asks for, and the job moves on (`depend`, `priority`) when none remain. A dependency that can never be
// satisfied raises a fatal `dependency` exception, as RFC 26 says it SHOULD.
// Invariant: evaluation is idempotent, driven by durable events of the antecedents (and a timer for begin-time).
import { decodeFluid, encodeFluid } from '../core/fluid.ts';
import { InvalidInputError } from '../core/errors.ts';
import { exceptionEvents, type JobEvent, type JobView } from '../core/job/index.ts';
import { priorityFromUrgency } from '../core/queue/index.ts';
import type { EventCommitter } from './committer.ts';
import type { JobState } from './job-state.ts';

export const SCHEMES = ['after', 'afterany', 'afterok', 'afternotok', 'begin-time'] as const;

/** What a dependency needs of its antecedent, as a verdict on the antecedent's current view. */
export type Verdict = 'satisfied' | 'waiting' | 'never';

/** RFC 26's rules for the job-id schemes, applied to the antecedent's view. */
export function verdict(scheme: string, antecedent: Pick<JobView, 'state' | 'result' | 'started'>): Verdict {
  const inactive = antecedent.state === 'INACTIVE';
  const ok = antecedent.result === 'COMPLETED';
  switch (scheme) {
    case 'after':
      return antecedent.started || antecedent.state === 'RUN' ? 'satisfied' : inactive ? 'never' : 'waiting';
    case 'afterany':
      return inactive ? 'satisfied' : 'waiting';
    case 'afterok':
      return inactive ? (ok ? 'satisfied' : 'never') : 'waiting';
    case 'afternotok':
      return inactive ? (ok ? 'never' : 'satisfied') : 'waiting';
    default:
      return 'never';
  }
}

/** Checks a jobspec's dependencies at submit, so an unknown scheme or a bad job id is refused before anything is written. */
export function checkDependencies(deps: ReadonlyArray<{ scheme: string; value: string }>, field: string): void {
  deps.forEach((d, i) => {
    const where = `${field}.attributes.system.dependencies[${i}]`;
    if (!(SCHEMES as readonly string[]).includes(d.scheme)) throw new InvalidInputError(`unsupported dependency scheme "${d.scheme}" (supported: ${SCHEMES.join(', ')})`, `${where}.scheme`);
    if (d.scheme === 'begin-time') {
      if (!Number.isFinite(Number(d.value))) throw new InvalidInputError('must be a time in seconds since the epoch', `${where}.value`);
    } else {
      decodeFluidIn(d.value, `${where}.value`);
    }
  });
}

function decodeFluidIn(value: string, field: string): bigint {
  try {
    return decodeFluid(value);
  } catch (err) {
    throw new InvalidInputError((err as Error).message, field);
  }
}

/** `scheme:value` as the events describe a dependency. */
const parse = (description: string) => {
  const colon = description.indexOf(':');
  return { scheme: description.slice(0, colon), value: description.slice(colon + 1) };
};

export interface DependencyDeps {
  committer: EventCommitter;
  /** Loads a job (NotFoundError if it does not exist). */
  load: (id: bigint) => Promise<JobState>;
  clock: () => number;
  log?: (line: string) => void;
}

export class Dependencies {
  /** Antecedent → the jobs waiting on it (local mode's index; rebuilt lazily from DEPEND jobs as they are evaluated). */
  private readonly waiting = new Map<bigint, Set<bigint>>();
  private readonly timers = new Map<bigint, ReturnType<typeof setTimeout>>();

  constructor(private readonly deps: DependencyDeps) {}

  /** Evaluates a job in DEPEND now, and remembers what it waits for. */
  async evaluate(id: bigint): Promise<void> {
    const job = await this.deps.load(id);
    if (job.view.state !== 'DEPEND') return;
    const verdicts = new Map<string, Verdict | string>();
    for (const description of job.view.dependencies) {
      const { scheme, value } = parse(description);
      if (scheme === 'begin-time') {
        const at = Number(value);
        const now = this.deps.clock();
        verdicts.set(description, at <= now ? 'satisfied' : 'waiting');
        if (at > now) this.wake(id, at - now);
        continue;
      }
      const target = decodeFluid(value);
      try {
        const antecedent = await this.deps.load(target);
        const v = verdict(scheme, antecedent.view);
        verdicts.set(description, v === 'never' ? `${scheme}: job ${encodeFluid(target)} ${antecedent.view.state === 'INACTIVE' ? `ended ${antecedent.view.result ?? ''}`.trim() : 'cannot satisfy it'}` : v);
        if (v === 'waiting') this.watch(target, id);
      } catch {
        verdicts.set(description, `${scheme}: job ${encodeFluid(target)} not found`);
      }
    }
    await this.deps.committer.commit(id, (j) => this.events(j, verdicts));
  }

  /** An antecedent changed (its `start` or `clean` is durable): re-evaluate the jobs waiting on it. */
  antecedentChanged(id: bigint): void {
    const dependents = this.waiting.get(id);
    if (!dependents) return;
    this.waiting.delete(id);
    for (const d of dependents) this.evaluate(d).catch((err: Error) => this.deps.log?.(`dependencies: ${encodeFluid(d)}: ${err.message}`));
  }

  private watch(target: bigint, dependent: bigint): void {
    let set = this.waiting.get(target);
    if (!set) this.waiting.set(target, (set = new Set()));
    set.add(dependent);
  }

  private wake(id: bigint, seconds: number): void {
    clearTimeout(this.timers.get(id));
    const timer = setTimeout(() => {
      this.timers.delete(id);
      this.evaluate(id).catch((err: Error) => this.deps.log?.(`dependencies: ${encodeFluid(id)}: ${err.message}`));
    }, Math.min(seconds * 1000, 2 ** 31 - 1));
    timer.unref?.();
    this.timers.set(id, timer);
  }

  /** The events for a job given the verdicts: removals, then `depend` + `priority` when none remain, or the exception. */
  private events(job: JobState, verdicts: Map<string, Verdict | string>): { events: JobEvent[] } | null {
    if (job.view.state !== 'DEPEND') return null;
    const t = this.deps.clock();
    const failed = [...verdicts.values()].find((v) => v !== 'satisfied' && v !== 'waiting');
    if (failed) {
      const events = exceptionEvents(job.view, { type: 'dependency', note: `dependency can never be satisfied: ${failed}`, timestamp: t });
      return events.length ? { events } : null;
    }
    const events: JobEvent[] = job.view.dependencies
      .filter((d) => verdicts.get(d) === 'satisfied')
      .map((description) => ({ timestamp: t, name: 'dependency-remove', context: { description } }));
    if (events.length === job.view.dependencies.length) {
      events.push({ timestamp: t, name: 'depend' }, { timestamp: t, name: 'priority', context: { priority: priorityFromUrgency(job.view.urgency) } });
    }
    return events.length ? { events } : null;
  }

  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}

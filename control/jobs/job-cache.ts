// job-cache.ts - jobs held in memory: every active job (the scheduler and the agent handlers touch them all the
// time), plus the most recently finished ones (a `flurry run` reads its job's eventlog right after it ends).
import type { JobCache } from './committer.ts';
import type { JobState } from './job-state.ts';

export class MemoryJobCache implements JobCache {
  private readonly active = new Map<bigint, JobState>();
  private readonly inactive = new Map<bigint, JobState>();

  constructor(private readonly inactiveLimit = 2000) {}

  get(id: bigint): JobState | undefined {
    return this.active.get(id) ?? this.inactive.get(id);
  }

  set(id: bigint, job: JobState): void {
    if (job.view.state !== 'INACTIVE') {
      this.inactive.delete(id);
      this.active.set(id, job);
      return;
    }
    this.active.delete(id);
    this.inactive.delete(id);
    this.inactive.set(id, job);
    if (this.inactive.size > this.inactiveLimit) {
      const oldest = this.inactive.keys().next().value;
      if (oldest !== undefined) this.inactive.delete(oldest);
    }
  }

  delete(id: bigint): void {
    this.active.delete(id);
    this.inactive.delete(id);
  }

  /** Every active job (the scheduler's rebuild and the reaper use it in local mode). */
  activeJobs(): IterableIterator<JobState> {
    return this.active.values();
  }

  get activeCount(): number {
    return this.active.size;
  }
}

// job-wait.test.ts - `flurry job wait` against a stub client: one job (exit 0/1/2 and the reason), --all (every
// failure reported, exit 1 if any), and no id (the first job to end, its id on stdout; 2 when there is none).
import { describe, expect, it } from 'vitest';
import { FlurryApiError } from '../../sdk/errors.ts';
import type { FlurryClient } from '../../sdk/client.ts';
import type { JobSummary } from '../../sdk/types.ts';
import { failureText, waitAll, waitAny, waitOne } from './job-wait.ts';

/** Jobs that end after `polls` eventlog polls, with `summary`; `active` lists them. */
function stubClient(jobs: Record<string, { polls: number; summary?: Partial<JobSummary> }>) {
  const count = new Map<string, number>();
  const summary = (id: string) => ({ id, state: 'INACTIVE', result: 'COMPLETED', exitCode: 0, ...jobs[id]!.summary }) as JobSummary;
  const client = {
    async eventlogPage(id: string, o: { from?: number; signal?: AbortSignal }) {
      if (!jobs[id]) throw new FlurryApiError(404, 'not_found', `job ${id} not found`);
      const n = (count.get(id) ?? 0) + 1;
      count.set(id, n);
      await new Promise((r) => setTimeout(r, 1));
      o.signal?.throwIfAborted();
      return { events: [], next: (o.from ?? 0) + 1, done: n >= jobs[id].polls };
    },
    async job(id: string) {
      return summary(id);
    },
    async wait(id: string) {
      if (!jobs[id]) throw new FlurryApiError(404, 'not_found', `job ${id} not found`);
      return summary(id);
    },
    async *allJobs() {
      for (const id of Object.keys(jobs).reverse()) yield { id };
    },
  };
  return { client: client as unknown as FlurryClient, count };
}

function io() {
  const x = { out: '', err: '', stdout: { write: (s: string) => ((x.out += s), true) }, stderr: { write: (s: string) => ((x.err += s), true) } };
  return x;
}

describe('failureText', () => {
  it('words failures as flux job wait does, and says nothing of a success', () => {
    expect(failureText({ result: 'COMPLETED', exitCode: 0 })).toBeUndefined();
    expect(failureText({ result: 'FAILED', exitCode: 3 })).toBe('task(s) exited with exit code 3');
    expect(failureText({ result: 'FAILED', signal: 9 })).toBe('task(s) killed by SIGKILL');
    expect(failureText({ result: 'FAILED', exitCode: 143 })).toBe('task(s) killed by SIGTERM');
    expect(failureText({ result: 'CANCELED', exception: { type: 'cancel', severity: 0, note: '' } })).toBe('Fatal exception type=cancel');
    expect(failureText({ result: 'COMPLETED', exitCode: 0, exception: { type: 'test', severity: 3, note: 'minor' } })).toBeUndefined();
  });
});

describe('waitOne', () => {
  it('exits 0 quietly, 1 with the reason, 2 for an unknown job', async () => {
    const { client } = stubClient({ ƒA: { polls: 1 }, ƒB: { polls: 1, summary: { result: 'FAILED', exitCode: 4 } } });
    const x = io();
    expect(await waitOne(client, 'ƒA', x)).toBe(0);
    expect(await waitOne(client, 'ƒA', x, true)).toBe(0);
    expect(await waitOne(client, 'ƒB', x)).toBe(1);
    expect(await waitOne(client, 'ƒZ', x)).toBe(2);
    expect(x.err).toBe('ƒA: job completed successfully\nflurry-job: task(s) exited with exit code 4\nflurry-job: job ƒZ not found\n');
    expect(x.out).toBe('');
  });
});

describe('waitAll', () => {
  it('waits for every active job, reports each failure, and exits 1 if any failed', async () => {
    const { client, count } = stubClient({
      ƒA: { polls: 3 },
      ƒB: { polls: 1, summary: { result: 'CANCELED', exitCode: undefined, exception: { type: 'cancel', severity: 0, note: 'stop' } } },
      ƒC: { polls: 2 },
    });
    const x = io();
    expect(await waitAll(client, x, true)).toBe(1);
    expect(x.err.split('\n').filter(Boolean).sort()).toEqual(['ƒA: job completed successfully', 'ƒB: Fatal exception type=cancel stop', 'ƒC: job completed successfully']);
    expect([...count.values()]).toEqual([3, 1, 2]);
    expect(await waitAll(stubClient({ ƒA: { polls: 1 } }).client, io())).toBe(0);
  });
});

describe('waitAny', () => {
  it("prints the first job to end and exits by its result, without waiting for the others", async () => {
    const { client, count } = stubClient({ ƒA: { polls: 50 }, ƒB: { polls: 2, summary: { result: 'FAILED', exitCode: 1 } } });
    const x = io();
    expect(await waitAny(client, x)).toBe(1);
    expect(x.out).toBe('ƒB\n');
    expect(x.err).toBe('flurry-job: task(s) exited with exit code 1\n');
    expect(count.get('ƒA')).toBeLessThan(5);
  });

  it('exits 2 when there is nothing to wait for', async () => {
    const x = io();
    expect(await waitAny(stubClient({}).client, x)).toBe(2);
    expect(x.err).toBe('flurry-job: there are no active jobs to wait for\n');
  });
});

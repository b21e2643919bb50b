// watch.test.ts - `flurry watch` against a stub client: the bounded, rotating long-poll pool; output of one job
// as is and of several prefixed by job id without mixing lines; summaries; Flux's exit code.
import { describe, expect, it } from 'vitest';
import { FlurryApiError } from '../../sdk/errors.ts';
import type { FlurryClient } from '../../sdk/client.ts';
import type { JobSummary, OutputEntry } from '../../sdk/types.ts';
import { LONG_WAIT_SECONDS, rotate, TURN_WAIT_SECONDS } from './job-wait.ts';
import { summaryLine, watchJobs } from './watch.ts';

const out = (data: string, stream: 'stdout' | 'stderr' = 'stdout', task = 0): OutputEntry => ({ stream, task, data });

/** Each job's output pages, in order (the last one `done`), and its summary once inactive. */
function stubClient(jobs: Record<string, { pages: OutputEntry[][]; summary?: Partial<JobSummary> }>) {
  const polls: Array<{ id: string; wait?: number }> = [];
  const client = {
    async outputPage(id: string, o: { cursor?: string; waitSeconds?: number }) {
      const j = jobs[id];
      if (!j) throw new FlurryApiError(404, 'not_found', `job ${id} not found`);
      polls.push({ id, wait: o.waitSeconds });
      await new Promise((r) => setTimeout(r, 1));
      const i = o.cursor === undefined ? 0 : Number(o.cursor);
      return { entries: j.pages[i] ?? [], cursor: String(i + 1), done: i + 1 >= j.pages.length, truncated: false };
    },
    async job(id: string) {
      return { id, state: 'INACTIVE', result: 'COMPLETED', exitCode: 0, ...jobs[id]!.summary } as JobSummary;
    },
  };
  return { client: client as unknown as FlurryClient, polls };
}

function io() {
  const x = { out: '', err: '', stdout: { write: (s: string) => ((x.out += s), true) }, stderr: { write: (s: string) => ((x.err += s), true) } };
  return x;
}

describe('rotate', () => {
  it('keeps at most `limit` polls in flight, moves finished-or-not items to the back, and waits briefly while items queue', async () => {
    let inFlight = 0;
    let most = 0;
    const seen: Array<[number, number]> = [];
    const left = new Map<number, number>(Array.from({ length: 40 }, (_, i) => [i, 3]));
    await rotate([...left.keys()], { limit: 4 }, async (item, wait) => {
      inFlight++;
      most = Math.max(most, inFlight);
      seen.push([item, wait]);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      const n = left.get(item)! - 1;
      left.set(item, n);
      return n === 0;
    });
    expect(most).toBe(4);
    expect(seen).toHaveLength(120);
    // Every item gets its first turn before any item gets its third.
    const firstThird = seen.findIndex(([item], i) => seen.slice(0, i).filter(([x]) => x === item).length === 2);
    expect(new Set(seen.slice(0, firstThird).map(([x]) => x)).size).toBe(40);
    expect(seen[0]![1]).toBe(TURN_WAIT_SECONDS);
    expect(seen.at(-1)![1]).toBe(LONG_WAIT_SECONDS);
  });

  it('stops quietly when its signal aborts', async () => {
    const stop = new AbortController();
    let polls = 0;
    await rotate([1, 2, 3], { limit: 2, signal: stop.signal }, async (_item, _wait, signal) => {
      polls++;
      if (polls === 2) stop.abort();
      await new Promise((r, rej) => (signal.aborted ? rej(signal.reason) : setTimeout(r, 1)));
      return false;
    });
    expect(polls).toBe(2);
  });
});

describe('watchJobs', () => {
  it("copies one job's output as it is, and says nothing more when it succeeded", async () => {
    const { client } = stubClient({ ƒA: { pages: [[out('hel')], [out('lo\n'), out('warn\n', 'stderr')]] } });
    const x = io();
    expect(await watchJobs(client, ['ƒA'], {}, x)).toBe(0);
    expect(x.out).toBe('hello\n');
    expect(x.err).toBe('warn\n');
  });

  it('prefixes lines of several jobs with their ids, never mixing partial lines, then prints a summary per job', async () => {
    const { client } = stubClient({
      ƒA: { pages: [[out('a1 ')], [out('still a1\na2')], []] },
      ƒB: { pages: [[out('b1\n')], [out('b2\n', 'stderr')]], summary: { result: 'FAILED', exitCode: 3 } },
      ƒC: { pages: [[]], summary: { result: 'CANCELED', exitCode: undefined, exception: { type: 'cancel', severity: 0, note: 'by alice' } } },
    });
    const x = io();
    expect(await watchJobs(client, ['ƒA', 'ƒB', 'ƒC'], {}, x)).toBe(3);
    expect(x.out.split('\n').filter(Boolean).sort()).toEqual(['ƒA: a1 still a1', 'ƒA: a2', 'ƒB: b1']);
    expect(x.out.indexOf('ƒA: a1 still a1')).toBeLessThan(x.out.indexOf('ƒA: a2'));
    expect(x.err).toBe(['ƒB: b2', 'ƒA: completed', 'ƒB: failed: task(s) exited with exit code 3', 'ƒC: canceled: Fatal exception type=cancel by alice', ''].join('\n'));
  });

  it('exits with the largest code: 128+N for a signal, 1 for an exception or an unknown job', async () => {
    const { client } = stubClient({
      ƒA: { pages: [[]], summary: { result: 'FAILED', exitCode: undefined, signal: 9 } },
      ƒB: { pages: [[]], summary: { result: 'FAILED', exitCode: 2 } },
    });
    expect(await watchJobs(client, ['ƒA', 'ƒB'], {}, io())).toBe(137);
    const x = io();
    expect(await watchJobs(stubClient({ ƒA: { pages: [[]] } }).client, ['ƒA', 'ƒZ'], {}, x)).toBe(1);
    expect(x.err).toContain('flurry-watch: job ƒZ not found\n');
    expect(await watchJobs(stubClient({}).client, [], {}, io())).toBe(0);
  });

  it('draws a progress line only on a TTY, and clears it before output', async () => {
    const { client } = stubClient({ ƒA: { pages: [[out('x\n')]] }, ƒB: { pages: [[]] } });
    const x = io();
    const tty = { isTTY: true, columns: 80, write: (s: string) => ((x.err += s), true) };
    await watchJobs(client, ['ƒA', 'ƒB'], { progress: true }, { stdout: x.stdout, stderr: tty, now: () => 0 });
    expect(x.err).toContain('] 2/2 done, 0 failed 00:00');
    expect(x.err.endsWith('\r\x1b[Kƒ' + 'A: completed\nƒB: completed\n')).toBe(true);
    const y = io();
    await watchJobs(stubClient({ ƒA: { pages: [[]] } }).client, ['ƒA'], { progress: true }, y);
    expect(y.err).toBe('');
  });

  it('summarizes as flux job wait words it', () => {
    expect(summaryLine({ id: 'ƒA', result: 'TIMEOUT', exception: { type: 'timeout', severity: 0, note: 'resource allocation expired' } })).toBe(
      'ƒA: timeout: Fatal exception type=timeout resource allocation expired',
    );
  });
});

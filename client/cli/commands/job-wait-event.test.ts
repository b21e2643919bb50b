// job-wait-event.test.ts - `flurry job wait-event` against a stub eventlog: the event found at once or later,
// context matching and counts, -v/-q, a timeout, and a job that ended without the event.
import { describe, expect, it } from 'vitest';
import type { FlurryClient } from '../../sdk/client.ts';
import { FlurryApiError } from '../../sdk/errors.ts';
import type { JobEvent } from '../../sdk/types.ts';
import { eventMatches, waitEvent } from './job-wait-event.ts';

const ev = (name: string, context?: Record<string, unknown>): JobEvent => (context ? { timestamp: 1700000000.25, name, context } : { timestamp: 1700000000.25, name });

/** An eventlog served in `pages`; past the last page, a long poll that only ends when its request is aborted. */
function stubClient(pages: Array<{ events: JobEvent[]; done?: boolean }>) {
  const waits: number[] = [];
  const client = {
    async eventlogPage(id: string, o: { from?: number; waitSeconds?: number; signal?: AbortSignal }) {
      if (id !== 'ƒA') throw new FlurryApiError(404, 'not_found', `job ${id} not found`);
      waits.push(o.waitSeconds ?? 0);
      const from = o.from ?? 0;
      let seen = 0;
      for (const p of pages) {
        if (from <= seen) return { events: p.events, next: seen + p.events.length, done: Boolean(p.done) };
        seen += p.events.length;
      }
      await new Promise((_, reject) => o.signal?.addEventListener('abort', () => reject(o.signal!.reason)));
      throw new Error('unreachable');
    },
  };
  return { client: client as unknown as FlurryClient, waits };
}

function io() {
  const x = { out: '', err: '', stdout: { write: (s: string) => ((x.out += s), true) }, stderr: { write: (s: string) => ((x.err += s), true) } };
  return x;
}

describe('eventMatches', () => {
  it('compares a context value as JSON, or as the plain string', () => {
    const e = ev('exception', { type: 'cancel', severity: 0, flag: true });
    expect(eventMatches(e, 'exception')).toBe(true);
    expect(eventMatches(e, 'exception', { key: 'type', value: 'cancel' })).toBe(true);
    expect(eventMatches(e, 'exception', { key: 'type', value: '"cancel"' })).toBe(true);
    expect(eventMatches(e, 'exception', { key: 'severity', value: '0' })).toBe(true);
    expect(eventMatches(e, 'exception', { key: 'flag', value: 'true' })).toBe(true);
    expect(eventMatches(e, 'exception', { key: 'severity', value: '1' })).toBe(false);
    expect(eventMatches(e, 'finish', { key: 'type', value: 'cancel' })).toBe(false);
  });
});

describe('waitEvent', () => {
  it('prints an event that is already there, at once', async () => {
    const { client } = stubClient([{ events: [ev('submit'), ev('start')] }]);
    const x = io();
    expect(await waitEvent(client, 'ƒA', 'submit', {}, x)).toBe(0);
    expect(x.out).toBe('1700000000.250000 submit\n');
  });

  it('waits across pages for the Nth match of KEY=VALUE, printing earlier events with -v', async () => {
    const { client } = stubClient([
      { events: [ev('submit'), ev('exception', { type: 'test', severity: 3 })] },
      { events: [ev('exception', { type: 'cancel', severity: 0 })] },
      { events: [ev('exception', { type: 'cancel', severity: 1 })] },
    ]);
    const x = io();
    expect(await waitEvent(client, 'ƒA', 'exception', { match: { key: 'type', value: 'cancel' }, count: 2, verbose: true }, x)).toBe(0);
    expect(x.out.trim().split('\n').map((l) => l.split(' ').slice(1).join(' '))).toEqual([
      'submit', 'exception type="test" severity=3', 'exception type="cancel" severity=0', 'exception type="cancel" severity=1',
    ]);
    const q = io();
    expect(await waitEvent(client, 'ƒA', 'exception', { quiet: true, verbose: true }, q)).toBe(0);
    expect(q.out).toBe('');
  });

  it('times out with exit 1, and never waits on the server past the timeout', async () => {
    const { client, waits } = stubClient([{ events: [ev('submit')] }]);
    const x = io();
    expect(await waitEvent(client, 'ƒA', 'start', { timeout: 0.2 }, x)).toBe(1);
    expect(x.err).toBe("flurry-job: wait-event timeout on event 'start'\n");
    expect(Math.max(...waits)).toBeLessThanOrEqual(1);
  });

  it('exits 1 when the job ended without the event, or does not exist', async () => {
    const { client } = stubClient([{ events: [ev('submit'), ev('clean')], done: true }]);
    const x = io();
    expect(await waitEvent(client, 'ƒA', 'start', {}, x)).toBe(1);
    expect(await waitEvent(client, 'ƒZ', 'start', {}, x)).toBe(1);
    expect(x.err).toBe("flurry-job: event 'start' never received\nflurry-job: job ƒZ not found\n");
  });
});

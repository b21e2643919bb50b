// job-attach.test.ts - following a job (shared by `flurry run` and `flurry job attach`): output routing and
// labels, exception lines, Flux's exit codes, and Ctrl-C (once: cancel and keep going; twice: detach).
import { describe, expect, it } from 'vitest';
import type { FlurryClient } from '../../sdk/client.ts';
import type { JobEvent, OutputEntry } from '../../sdk/types.ts';
import { attachJob, exitCodeOf, summaryExitCode, type AttachIo } from './job-attach.ts';

const ID = 'ƒ2MU1GM7V';
const ev = (name: string, context?: Record<string, unknown>, timestamp = 1000): JobEvent => (context ? { timestamp, name, context } : { timestamp, name });

/**
 * A client whose eventlog and output are one page each (done), or, with `gate`, a first page that is not done and
 * then long polls that end when the gate opens (or their request is aborted).
 */
function stubClient(events: JobEvent[], output: OutputEntry[], gate?: Promise<void>) {
  const cancels: Array<[string, string | undefined]> = [];
  const polls: Array<{ what: string; wait: number | undefined }> = [];
  const hold = async (signal?: AbortSignal) => {
    if (gate) await Promise.race([gate, new Promise((_, rej) => signal?.addEventListener('abort', () => rej(signal.reason)))]);
  };
  const client = {
    async eventlogPage(_id: string, o: { from?: number; waitSeconds?: number; signal?: AbortSignal }) {
      polls.push({ what: 'eventlog', wait: o.waitSeconds });
      if ((o.from ?? 0) === 0) return { events, next: events.length, done: !gate };
      await hold(o.signal);
      return { events: [], next: events.length, done: true };
    },
    async outputPage(_id: string, o: { cursor?: string; waitSeconds?: number; signal?: AbortSignal }) {
      polls.push({ what: 'output', wait: o.waitSeconds });
      if (o.cursor === undefined) return { entries: output, cursor: 'c1', done: !gate, truncated: false };
      await hold(o.signal);
      return { entries: [], cursor: 'c2', done: true, truncated: false };
    },
    async cancel(id: string, note?: string) {
      cancels.push([id, note]);
      return {};
    },
  };
  return { client: client as unknown as FlurryClient, cancels, polls };
}

function io(now = () => 0): AttachIo & { out: string; err: string; interrupt?: () => void } {
  const x = {
    out: '',
    err: '',
    interrupt: undefined as (() => void) | undefined,
    stdout: { write: (s: string) => ((x.out += s), true) },
    stderr: { write: (s: string) => ((x.err += s), true) },
    onInterrupt: (h: () => void) => {
      x.interrupt = h;
      return () => (x.interrupt = undefined);
    },
    now,
  };
  return x;
}

const LOG = (status: number) => [ev('submit', { userid: 'a', urgency: 16, version: 1 }), ev('alloc'), ev('start'), ev('finish', { status }), ev('release', { ranks: 'all', final: true }), ev('free'), ev('clean')];

describe('attachJob', () => {
  it('writes stdout and stderr to their streams and exits 0', async () => {
    const { client } = stubClient(LOG(0), [{ stream: 'stdout', task: 0, data: 'n1\n' }, { stream: 'stderr', task: 0, data: 'warn\n' }]);
    const x = io();
    expect(await attachJob(client, ID, { prog: 'flurry-run' }, x)).toBe(0);
    expect(x.out).toBe('n1\n');
    expect(x.err).toBe('warn\n');
  });

  it('labels each line with its task rank with -l, holding partial lines', async () => {
    const { client } = stubClient(LOG(0), [
      { stream: 'stdout', task: 0, data: 'a\nb' },
      { stream: 'stdout', task: 1, data: 'x\n' },
      { stream: 'stdout', task: 0, data: 'c\nend' },
    ]);
    const x = io();
    await attachJob(client, ID, { prog: 'flurry-run', labelIo: true }, x);
    expect(x.out).toBe('0: a\n1: x\n0: bc\n0: end\n');
  });

  it("exits with the job's exit code, 128+signal, and says so as Flux does", async () => {
    const x = io();
    expect(await attachJob(stubClient(LOG(3 << 8), []).client, ID, { prog: 'flurry-run' }, x)).toBe(3);
    expect(x.err).toBe('flurry-run: task(s) exited with exit code 3\n');
    const y = io();
    expect(await attachJob(stubClient(LOG(9), []).client, ID, { prog: 'flurry-run' }, y)).toBe(137);
    expect(y.err).toBe('flurry-run: task(s) killed by SIGKILL\n');
  });

  it('prints exceptions; a job that never ran exits 1, a fatal exception never exits 0', async () => {
    const canceled = [ev('submit'), ev('exception', { type: 'cancel', severity: 0, note: 'interrupted by Ctrl-C' }), ev('clean')];
    const x = io();
    expect(await attachJob(stubClient(canceled, []).client, ID, { prog: 'flurry-run' }, x)).toBe(1);
    expect(x.err).toBe(`flurry-run: ${ID}: exception: cancel: interrupted by Ctrl-C\n`);
    const failedAfterSuccess = [ev('submit'), ev('finish', { status: 0 }), ev('exception', { type: 'epilog', severity: 0, note: '' }), ev('clean')];
    expect(await attachJob(stubClient(failedAfterSuccess, []).client, ID, { prog: 'p' }, io())).toBe(1);
    const warning = [ev('submit'), ev('exception', { type: 'node', severity: 3, note: 'slow' }), ev('finish', { status: 0 }), ev('clean')];
    const z = io();
    expect(await attachJob(stubClient(warning, []).client, ID, { prog: 'p' }, z)).toBe(0);
    expect(z.err).toBe(`p: ${ID}: exception: node (severity 3): slow\n`);
  });

  it('shows events with -E', async () => {
    const x = io();
    await attachJob(stubClient([ev('submit', undefined, 10), ev('clean', undefined, 10.25)], []).client, ID, { prog: 'p', showEvents: true }, x);
    expect(x.err).toBe('0.000s: job.submit\n0.250s: job.clean\n');
  });

  it('Ctrl-C once cancels and keeps streaming; twice within 2 s detaches with 130', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { client, cancels } = stubClient([ev('submit')], [{ stream: 'stdout', task: 0, data: 'x\n' }], gate);
    let t = 0;
    const x = io(() => t);
    const done = attachJob(client, ID, { prog: 'flurry-run' }, x);
    await new Promise((r) => setTimeout(r, 10));
    x.interrupt!();
    expect(cancels).toEqual([[ID, 'interrupted by Ctrl-C']]);
    expect(x.err).toBe(`flurry-run: ${ID}: canceling (press Ctrl-C again within 2s to detach)\n`);
    t = 1500;
    x.interrupt!();
    expect(await done).toBe(130);
    expect(x.err).toMatch(/detaching/);
    expect(x.interrupt).toBeUndefined(); // unsubscribed
    release();
  });

  it('a second Ctrl-C after 2 s cancels again instead of detaching', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { client, cancels } = stubClient([ev('submit'), ev('exception', { type: 'cancel', severity: 0, note: '' })], [], gate);
    let t = 0;
    const x = io(() => t);
    const done = attachJob(client, ID, { prog: 'p' }, x);
    await new Promise((r) => setTimeout(r, 10));
    x.interrupt!();
    t = 5000;
    x.interrupt!();
    expect(cancels).toHaveLength(2);
    release();
    expect(await done).toBe(1);
  });

  it('does not handle Ctrl-C with --read-only', async () => {
    const x = io();
    await attachJob(stubClient(LOG(0), []).client, ID, { prog: 'p', readOnly: true }, x);
    expect(x.interrupt).toBeUndefined();
  });

  it('fails with the error when a stream fails', async () => {
    const client = {
      async eventlogPage() {
        throw new Error('cannot reach Flurry');
      },
      async outputPage() {
        return { entries: [], cursor: 'c', done: false, truncated: false };
      },
      async cancel() {},
    } as unknown as FlurryClient;
    await expect(attachJob(client, ID, { prog: 'p' }, io())).rejects.toThrow('cannot reach Flurry');
  });

  it('when one stream ends, cuts the other long poll short and re-asks with a short wait', async () => {
    // The output long poll would hang (a wake-up the server missed) until the eventlog says the job ended.
    let outputCalls = 0;
    const client = {
      async eventlogPage(_id: string, o: { from?: number }) {
        if ((o.from ?? 0) === 0) return { events: [ev('submit')], next: 1, done: false };
        await new Promise((r) => setTimeout(r, 20));
        return { events: [ev('finish', { status: 0 }), ev('clean')], next: 3, done: true };
      },
      async outputPage(_id: string, o: { waitSeconds?: number; signal?: AbortSignal }) {
        outputCalls++;
        if (o.waitSeconds === 25) {
          await new Promise((_, rej) => o.signal?.addEventListener('abort', () => rej(o.signal!.reason)));
        }
        return { entries: [{ stream: 'stdout', task: 0, data: 'late\n' }], cursor: 'c', done: true, truncated: false };
      },
      async cancel() {},
    } as unknown as FlurryClient;
    const x = io();
    expect(await attachJob(client, ID, { prog: 'p' }, x)).toBe(0);
    expect(x.out).toBe('late\n');
    expect(outputCalls).toBe(2);
  });

  it('reports dropped output once', async () => {
    const client = {
      async eventlogPage() {
        return { events: LOG(0), next: 7, done: true };
      },
      async outputPage(_id: string, o: { cursor?: string }) {
        return { entries: [], cursor: 'c', done: o.cursor !== undefined, truncated: true };
      },
      async cancel() {},
    } as unknown as FlurryClient;
    const x = io();
    await attachJob(client, ID, { prog: 'p' }, x);
    expect(x.err).toBe(`p: ${ID}: some output was dropped (the job reached its output cap)\n`);
  });
});

describe('exit codes', () => {
  it('exitCodeOf follows Flux', async () => {
    const log = async () => {};
    expect(await exitCodeOf(undefined, false, log)).toBe(1);
    expect(await exitCodeOf(0, false, log)).toBe(0);
    expect(await exitCodeOf(0, true, log)).toBe(1);
    expect(await exitCodeOf(2 << 8, false, log)).toBe(2);
    expect(await exitCodeOf(15, false, log)).toBe(143);
    expect(await exitCodeOf(143 << 8, false, log)).toBe(143);
  });

  it('summaryExitCode reads a finished job', () => {
    expect(summaryExitCode({ exitCode: 0 })).toBe(0);
    expect(summaryExitCode({ exitCode: 4 })).toBe(4);
    expect(summaryExitCode({ signal: 9 })).toBe(137);
    expect(summaryExitCode({})).toBe(1);
    expect(summaryExitCode({ exitCode: 0, exception: { type: 'x', severity: 0, note: '' } })).toBe(1);
  });
});

// watch-cli.test.ts - `flurry job wait`, `flurry job wait-event` and `flurry watch` as a user runs them: the real
// CLI bundle as a process, against a real control plane on DynamoDB Local with real agents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFlurry } from '../support/cli.ts';
import { startTestInstance, waitFor, type TestInstance } from '../support/instance.ts';

let inst: TestInstance;

beforeAll(async () => {
  inst = await startTestInstance({ nodes: 2, coresPerNode: 2, log: !!process.env.FLURRY_TEST_LOG });
}, 60_000);
afterAll(async () => inst?.stop());

/** Run `flurry ARGS` as a process with the instance's FLURRY_URI/FLURRY_TOKEN. */
const flurry = (...args: string[]) => runFlurry(inst, args).then(({ out, err, code }) => ({ out, err, code }));

async function submit(...command: string[]): Promise<string> {
  const r = await flurry('submit', ...command);
  expect(r.code, r.err).toBe(0);
  return r.out.trim();
}

const state = async (id: string) => (await inst.api<{ state: string }>(`/v1/jobs/${encodeURIComponent(id)}`)).body.state;

describe('flurry job wait', () => {
  it('exits 0 for a job that completed, 1 with the reason for one that failed or was canceled', async () => {
    const ok = await submit('true');
    const bad = await submit('sh', '-c', 'exit 3');
    const long = await submit('sleep', '60');
    await waitFor(async () => (await state(long)) === 'RUN', 15_000, 'the long job to run');
    const cancel = flurry('cancel', long);
    expect(await flurry('job', 'wait', ok)).toEqual({ out: '', err: '', code: 0 });
    expect(await flurry('job', 'wait', bad)).toEqual({ out: '', err: 'flurry-job: task(s) exited with exit code 3\n', code: 1 });
    expect((await cancel).code).toBe(0);
    const r = await flurry('job', 'wait', long);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^flurry-job: Fatal exception type=cancel/);
    expect((await flurry('job', 'wait', 'ƒ2MU1GM7V')).code).toBe(2);
  });

  it('--all waits for every active job and exits 1 if any failed', async () => {
    // Long enough to still be active when `job wait --all` lists the active jobs.
    const a = await submit('sh', '-c', 'sleep 2');
    const b = await submit('sh', '-c', 'sleep 2; exit 2');
    const r = await flurry('job', 'wait', '--all', '-v');
    expect(r.code).toBe(1);
    expect(r.err.split('\n').filter(Boolean).sort()).toEqual([`${a}: job completed successfully`, `${b}: task(s) exited with exit code 2`].sort());
    expect(await state(a)).toBe('INACTIVE');
  });
});

describe('flurry job wait-event', () => {
  it('prints an event as soon as it is in the eventlog, and times out with exit 1', async () => {
    const id = await submit('sleep', '60');
    try {
      const r = await flurry('job', 'wait-event', id, 'start');
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/^\d+\.\d{6} start\n$/);
      const late = await flurry('job', 'wait-event', '-t', '0.5s', id, 'finish');
      expect(late).toEqual({ out: '', err: "flurry-job: wait-event timeout on event 'finish'\n", code: 1 });
    } finally {
      await flurry('cancel', id);
    }
    const ex = await flurry('job', 'wait-event', '-m', 'type=cancel', id, 'exception');
    expect(ex.code).toBe(0);
    expect(ex.out).toMatch(/ exception type="cancel" severity=0/);
    expect(await flurry('job', 'wait-event', '-q', id, 'clean')).toEqual({ out: '', err: '', code: 0 });
    const ok = await submit('true');
    expect(await flurry('job', 'wait-event', ok, 'exception')).toEqual({ out: '', err: "flurry-job: event 'exception' never received\n", code: 1 });
  });
});

describe('flurry watch', () => {
  it('follows three jobs to their ends, prints all of their output by job, and exits with the highest code', async () => {
    const ids = [
      await submit('sh', '-c', 'echo a1; sleep 0.5; echo a2'),
      await submit('sh', '-c', 'echo b1; sleep 0.2; echo b2 >&2; exit 5'),
      await submit('sh', '-c', 'sleep 0.3; echo c1; exit 2'),
    ];
    const [a, b, c] = ids as [string, string, string];
    const r = await flurry('watch', ...ids);
    expect(r.code, r.err).toBe(5);
    expect(r.out.split('\n').filter(Boolean).sort()).toEqual([`${a}: a1`, `${a}: a2`, `${b}: b1`, `${c}: c1`].sort());
    expect(r.err.split('\n').filter(Boolean)).toEqual([
      `${b}: b2`,
      `${a}: completed`,
      `${b}: failed: task(s) exited with exit code 5`,
      `${c}: failed: task(s) exited with exit code 2`,
    ]);
    // Inactive jobs are copied at once; one job's output is printed as it is.
    expect(await flurry('watch', a)).toEqual({ out: 'a1\na2\n', err: '', code: 0 });
    const all = await flurry('watch', '-f', 'inactive', '-c', '3');
    expect(all.code).toBe(5);
  });

  it('watches more jobs than it keeps long polls open for (they take turns)', async () => {
    const sub = await flurry('submit', '--cc=1-24', 'sh', '-c', 'echo cc=$FLURRY_JOB_CC');
    expect(sub.code, sub.err).toBe(0);
    const ids = sub.out.trim().split('\n');
    expect(ids).toHaveLength(24);
    const r = await flurry('watch', '-A', '-c', '24');
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n').filter(Boolean).sort()).toEqual(ids.map((id, i) => `${id}: cc=${i + 1}`).sort());
    expect(r.err.split('\n').filter(Boolean).sort()).toEqual(ids.map((id) => `${id}: completed`).sort());
  }, 60_000);
});

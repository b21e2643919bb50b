// cli-jobs.test.ts - the job-facing `flurry` commands as a user runs them: the real CLI bundle (bin/flurry.mjs)
// as a process, against a real control plane on DynamoDB Local with real agents: submit, run, jobs, cancel, job
// info/eventlog/attach, resource list, exit codes, Ctrl-C.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFlurry } from '../support/cli.ts';
import { startTestInstance, waitFor, type TestInstance } from '../support/instance.ts';

let inst: TestInstance;

beforeAll(async () => {
  inst = await startTestInstance({ nodes: 2, coresPerNode: 2, log: !!process.env.FLURRY_TEST_LOG });
}, 60_000);
afterAll(async () => inst?.stop());

/** Run `flurry ARGS` as a process with the instance's FLURRY_URI/FLURRY_TOKEN. */
const flurry = (args: string[], opts: { onSpawn?: (p: ChildProcess) => void } = {}) => runFlurry(inst, args, opts);

describe('flurry resource list (idle)', () => {
  it('shows both nodes free', async () => {
    const r = await flurry(['resource', 'list']);
    expect(r.code).toBe(0);
    expect(r.out.split('\n').slice(0, 2)).toEqual(['     STATE NNODES   NCORES    NGPUS NODELIST', '      free      2        4        0 node[0-1]']);
  });
});

describe('flurry run', () => {
  it("streams stdout and stderr and exits with the job's exit code", async () => {
    const r = await flurry(['run', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r.out).toBe('out\n');
    expect(r.err).toBe('err\nflurry-run: task(s) exited with exit code 3\n');
    expect(r.code).toBe(3);
  });

  it('labels output by rank with -l', async () => {
    const r = await flurry(['run', '-N2', '-n2', '-l', 'sh', '-c', 'echo rank $FLURRY_TASK_RANK']);
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n').sort()).toEqual(['0: rank 0', '1: rank 1']);
  });

  it('exits 128+N when signal N kills the job', async () => {
    const r = await flurry(['run', 'sh', '-c', 'kill -9 $$']);
    expect(r.code).toBe(137);
    expect(r.err).toContain('killed by SIGKILL');
  });

  it('Ctrl-C cancels the job, keeps streaming, and exits when it ends', async () => {
    let child!: ChildProcess;
    const done = flurry(['run', 'sh', '-c', 'echo started; sleep 60'], { onSpawn: (p) => (child = p) });
    await waitFor(async () => (await inst.api<{ jobs: Array<{ state: string }> }>('/v1/jobs?filter=running')).body.jobs.length > 0, 15_000, 'the job to run');
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    const r = await done;
    expect(r.out).toBe('started\n');
    expect(r.err).toMatch(/canceling \(press Ctrl-C again within 2s to detach\)/);
    expect(r.err).toMatch(/exception: cancel: interrupted by Ctrl-C/);
    expect(r.code).not.toBe(0);
  });
});

describe('flurry submit, jobs, job, cancel', () => {
  it('submit prints an f58 id; job attach follows it; job info and eventlog show it', async () => {
    const sub = await flurry(['submit', '--job-name', 'greet', 'sh', '-c', 'echo hello']);
    expect(sub.code).toBe(0);
    const id = sub.out.trim();
    expect(id).toMatch(/^ƒ[1-9A-HJ-NP-Za-km-z]+$/);
    const att = await flurry(['job', 'attach', id]);
    expect(att).toMatchObject({ out: 'hello\n', code: 0 });
    const info = await flurry(['job', 'info', id]);
    expect(info.out).toMatch(/name: greet\n/);
    expect(info.out).toMatch(/state: COMPLETED \(CD\)\n/);
    expect(info.out).toMatch(/exit code: 0\n/);
    const js = await flurry(['job', 'info', id, 'jobspec']);
    expect(JSON.parse(js.out).tasks[0].command).toEqual(['sh', '-c', 'echo hello']);
    const log = await flurry(['job', 'eventlog', id]);
    expect(log.out.trim().split('\n').map((l) => l.split(' ')[1])).toEqual(['submit', 'validate', 'depend', 'priority', 'alloc', 'start', 'finish', 'release', 'free', 'clean']);
    expect(log.out).toMatch(/^\d+\.\d{6} submit userid="alice" urgency=16/);
  });

  it('jobs lists active jobs by default and all with -a; --json prints the array', async () => {
    const sub = await flurry(['submit', '--job-name', 'sleeper', 'sleep', '60']);
    const id = sub.out.trim();
    const active = await flurry(['jobs']);
    expect(active.code).toBe(0);
    const lines = active.out.trimEnd().split('\n');
    expect(lines[0]).toBe('       JOBID USER     NAME       ST NTASKS NNODES     TIME INFO');
    expect(lines.some((l) => l.includes(id) && l.includes('sleeper'))).toBe(true);
    expect(lines.some((l) => l.includes('greet'))).toBe(false);
    const all = await flurry(['jobs', '-a', '-n', '-o', '{name} {status_abbrev}']);
    expect(all.out).toMatch(/^greet CD$/m);
    const json = JSON.parse((await flurry(['jobs', '--json'])).out) as Array<{ id: string }>;
    expect(json.map((j) => j.id)).toContain(id);

    const cancel = await flurry(['cancel', '-m', 'not needed', id]);
    expect(cancel).toMatchObject({ code: 0, err: '' });
    const again = await flurry(['cancel', id, 'ƒ1']);
    expect(again.code).toBe(1);
    expect(again.err.split('\n').filter(Boolean)).toHaveLength(2);
    const att = await flurry(['job', 'attach', id]);
    expect(att.err).toMatch(/exception: cancel: not needed/);
    expect(att.code).not.toBe(0);
    const done = await flurry(['jobs', '-a', '-n', '-o', '{id.f58} {status} {exception.note}', id]);
    expect(done.out.trim()).toBe(`${id} CANCELED not needed`);
  });

  it('submit --cc --wait waits for all, and exits with the highest exit code', async () => {
    const ok = await flurry(['submit', '--cc', '1-5', '--wait', 'sh', '-c', 'exit 0']);
    expect(ok.code).toBe(0);
    expect(ok.out.trim().split('\n')).toHaveLength(5);
    const bad = await flurry(['submit', '--cc', '1-3', '--wait', '--quiet', 'sh', '-c', 'exit $FLURRY_JOB_CC']);
    expect(bad).toMatchObject({ out: '', code: 3 });
  });

  it('cancel --all cancels your active jobs', async () => {
    await flurry(['submit', '--cc', '1-3', '--quiet', 'sleep', '60']);
    const r = await flurry(['cancel', '--all']);
    expect(r.err).toMatch(/^flurry-cancel: Canceled \d+ jobs \(0 errors\)\n$/);
    await waitFor(async () => (await flurry(['jobs', '-n'])).out === '', 20_000, 'no active jobs');
  });
});

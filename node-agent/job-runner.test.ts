// job-runner.test.ts - one job's tasks, environment and end (agent protocol 5.3, 5.5, 5.6), with a fake launcher.
import { describe, expect, it } from 'vitest';
import type { ExitedBody } from '../control/agents/protocol.ts';
import { JobRun, taskEnv } from './job-runner.ts';
import type { TaskSpec } from './tasks.ts';
import { jobBody } from './testing.ts';

describe('5.3 task environment', () => {
  it('adds the FLURRY_* variables to the job env, FLURRY_URI only when missing, and fallbacks only when missing', () => {
    const job = jobBody({ jobid: 'ƒx', env: { A: '1', PATH: '/job/bin' }, size: 4, nnodes: 2, nodeRank: 1, nodelist: 'n[1-2]', gpus: '0-1' });
    expect(taskEnv(job, 3, { flurryUri: 'http://h:1', fallback: { PATH: '/agent/bin', HOME: '/root' } })).toEqual({
      A: '1',
      PATH: '/job/bin',
      HOME: '/root',
      FLURRY_JOB_ID: 'ƒx',
      FLURRY_TASK_RANK: '3',
      FLURRY_JOB_SIZE: '4',
      FLURRY_JOB_NNODES: '2',
      FLURRY_JOB_NODELIST: 'n[1-2]',
      FLURRY_NODE_RANK: '1',
      FLURRY_URI: 'http://h:1',
      CUDA_VISIBLE_DEVICES: '0,1',
    });
    const own = taskEnv(jobBody({ env: { FLURRY_URI: 'https://x' } }), 0, { flurryUri: 'http://h:1' });
    expect(own.FLURRY_URI).toBe('https://x');
    expect(own.CUDA_VISIBLE_DEVICES).toBeUndefined();
  });
});

/** A launcher whose tasks the test ends by hand. */
function fakeLaunch() {
  const specs: TaskSpec[] = [];
  const signals: Array<[number, string]> = [];
  const launch = (spec: TaskSpec) => {
    const i = specs.push(spec) - 1;
    return { pgid: 100 + i, exited: false, signal: (sig: string) => signals.push([i, sig]) };
  };
  return { specs, signals, launch };
}

describe('5.5 job end', () => {
  it('spawns one task per rank of taskRanks and reports once all have ended, with the largest status', () => {
    const { specs, launch } = fakeLaunch();
    const reports: ExitedBody[] = [];
    const run = new JobRun(jobBody({ jobid: 'ƒy', taskRanks: '2,5-6' }), { timeLimitGraceMs: 10, emitOutput: () => {}, onExit: (r) => reports.push(r), launch });
    expect(run.start()).toBe(true);
    expect(specs.map((s) => s.env.FLURRY_TASK_RANK)).toEqual(['2', '5', '6']);
    expect(run.pgids).toEqual([100, 101, 102]);
    specs[0]!.onExit({ status: 1 << 8 });
    specs[2]!.onExit({ status: 9 });
    expect(reports).toEqual([]);
    specs[1]!.onExit({ status: 0 });
    expect(reports).toEqual([{ jobid: 'ƒy', time: expect.any(Number), status: 1 << 8, tasks: [{ rank: 2, status: 256 }, { rank: 5, status: 0 }, { rank: 6, status: 9 }], outputChunks: 0 }]);
    expect(run.finished).toBe(true);
  });

  it('refuses a bad taskRanks without spawning', async () => {
    const { specs, launch } = fakeLaunch();
    const reports: ExitedBody[] = [];
    const run = new JobRun(jobBody({ taskRanks: '3-1' }), { timeLimitGraceMs: 10, emitOutput: () => {}, onExit: (r) => reports.push(r), launch });
    expect(run.start()).toBe(false);
    await Promise.resolve();
    expect(specs).toEqual([]);
    expect(reports[0]).toMatchObject({ status: 127 << 8, error: expect.stringMatching(/bad taskRanks/) });
  });
});

describe('5.6 time limit', () => {
  it('signals SIGTERM at the limit and SIGKILL after the grace, then reports timedOut', async () => {
    const { specs, signals, launch } = fakeLaunch();
    const reports: ExitedBody[] = [];
    const run = new JobRun(jobBody({ duration: 0.02 }), { timeLimitGraceMs: 20, emitOutput: () => {}, onExit: (r) => reports.push(r), launch });
    run.start();
    for (let i = 0; i < 200 && signals.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(signals).toEqual([[0, 'SIGTERM'], [0, 'SIGKILL']]);
    specs[0]!.onExit({ status: 9 });
    expect(reports[0]).toMatchObject({ status: 9, timedOut: true });
  });
});

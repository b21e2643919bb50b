// agent-jobs.test.ts - the agent running real processes for a scripted control plane (agent protocol section 5).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentHandle } from './agent.ts';
import { FakeControlPlane, alive, startTestAgent, type FakeLink } from './testing.ts';

let plane: FakeControlPlane;
let agent: AgentHandle;
let link: FakeLink;
let tmp: string;

beforeEach(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'flurry-agent-'));
  plane = await FakeControlPlane.start();
  agent = await startTestAgent(plane, { holdMs: 100 }); // a long hold: batching must not depend on machine speed
  link = await plane.link(0);
  await link.welcome();
  await link.next('ack'); // of the welcome
});

afterEach(async () => {
  await plane.close();
  await agent.stop({ graceSeconds: 0 });
  rmSync(tmp, { recursive: true, force: true });
});

/** The text a task wrote to `stream`, from every job.output of `jobid`. */
function outputOf(jobid: string, task: number, stream: 'stdout' | 'stderr' = 'stdout'): string {
  return link.messages
    .flatMap((m) => (m.type === 'job.output' && m.jobid === jobid ? m.entries : []))
    .filter((e) => e.task === task && e.stream === stream)
    .map((e) => e.data)
    .join('');
}

describe('5.2 signature', () => {
  it('refuses a job.start whose signature does not verify, and runs nothing', async () => {
    const marker = path.join(tmp, 'ran');
    const other = await FakeControlPlane.start();
    const forged = await other.sign({ anything: 1 });
    await other.close();
    const job = await link.start({ command: ['touch', marker] }, { signature: forged });
    const ack = await link.next('ack', (a) => a.error !== undefined);
    expect(ack.error?.code).toBe('bad_signature');
    await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(marker)).toBe(false);
    expect(link.messages.some((m) => (m.type === 'job.started' || m.type === 'job.exited') && m.jobid === job.jobid)).toBe(false);
  });
});

describe('5.3 starting tasks', () => {
  it('gives each task the FLURRY_* variables, its rank and CUDA_VISIBLE_DEVICES', async () => {
    const script = 'echo "$FLURRY_JOB_ID $FLURRY_TASK_RANK $FLURRY_JOB_SIZE $FLURRY_JOB_NNODES $FLURRY_JOB_NODELIST $FLURRY_NODE_RANK $FLURRY_URI $CUDA_VISIBLE_DEVICES $FOO"';
    const job = await link.start({ command: ['sh', '-c', script], taskRanks: '4-5', size: 8, nnodes: 2, nodeRank: 1, nodelist: 'n[0-1]', gpus: '1,3', env: { PATH: process.env.PATH!, FOO: 'bar' } });
    const exited = await link.next('job.exited', (m) => m.jobid === job.jobid);
    expect(exited.tasks).toEqual([{ rank: 4, status: 0 }, { rank: 5, status: 0 }]);
    const uri = plane.url.replace('ws:', 'http:').replace('/v1/agent', '');
    for (const rank of [4, 5]) expect(outputOf(job.jobid, rank)).toBe(`${job.jobid} ${rank} 8 2 n[0-1] 1 ${uri} 1,3 bar\n`);
  });

  it('keeps a FLURRY_URI the control plane put in env, runs in cwd, and gives tasks an empty stdin', async () => {
    const job = await link.start({ command: ['sh', '-c', 'echo "$FLURRY_URI $(pwd)"; cat; echo end'], cwd: tmp, env: { PATH: process.env.PATH!, FLURRY_URI: 'https://api.example.org' } });
    await link.next('job.exited', (m) => m.jobid === job.jobid);
    expect(outputOf(job.jobid, 0)).toBe(`https://api.example.org ${tmp}\nend\n`);
  });

  it('reports a missing cwd as an error with status 127 << 8 and runs nothing', async () => {
    const job = await link.start({ cwd: path.join(tmp, 'nope') });
    const exited = await link.next('job.exited', (m) => m.jobid === job.jobid);
    expect(exited).toMatchObject({ status: 127 << 8, tasks: [{ rank: 0, status: 127 << 8 }], outputChunks: 0 });
    expect(exited.error).toMatch(/no such directory/);
    expect(link.messages.some((m) => m.type === 'job.started' && m.jobid === job.jobid)).toBe(false);
  });

  it('reports a command that does not exist as 127 << 8 while the job still ends', async () => {
    const job = await link.start({ command: ['/nonexistent/flurry-no-such-command'], taskRanks: '0-1', size: 2 });
    const exited = await link.next('job.exited', (m) => m.jobid === job.jobid);
    expect(exited.status).toBe(127 << 8);
    expect(exited.tasks).toEqual([{ rank: 0, status: 127 << 8 }, { rank: 1, status: 127 << 8 }]);
    expect(exited.error).toMatch(/command not found/);
  });

  it('sends the ack, job.started and job.exited of a fast job in one frame', async () => {
    const job = await link.start({ command: ['true'] });
    await link.next('job.exited', (m) => m.jobid === job.jobid);
    const frame = link.frames.find((f) => f.some((m) => m.type === 'job.exited'))!;
    expect(frame.map((m) => m.type)).toEqual(['ack', 'job.started', 'job.exited']);
  });

  it('acks a repeated job.start and ignores it', async () => {
    const job = await link.start({ command: ['sleep', '0.2'] });
    await link.start(job);
    await link.next('job.exited', (m) => m.jobid === job.jobid);
    await new Promise((r) => setTimeout(r, 50));
    expect(link.messages.filter((m) => m.type === 'job.started').length).toBe(1);
    expect(link.messages.filter((m) => m.type === 'ack' && !m.error).length).toBe(3); // welcome + two job.start
  });
});

describe('5.5 exit status', () => {
  it('encodes an exit code as code << 8 and counts the output chunks', async () => {
    const job = await link.start({ command: ['sh', '-c', 'echo hi; echo oops >&2; exit 3'] });
    const exited = await link.next('job.exited', (m) => m.jobid === job.jobid);
    expect(exited).toMatchObject({ jobid: job.jobid, status: 3 << 8, tasks: [{ rank: 0, status: 3 << 8 }], outputChunks: 1 });
    expect(outputOf(job.jobid, 0)).toBe('hi\n');
    expect(outputOf(job.jobid, 0, 'stderr')).toBe('oops\n');
  });

  it('encodes death by a signal as the signal number, and takes the largest status of the tasks', async () => {
    const job = await link.start({ command: ['sh', '-c', 'if [ "$FLURRY_TASK_RANK" = 1 ]; then kill -USR1 $$; fi; exit 2'], taskRanks: '0-1', size: 2 });
    const exited = await link.next('job.exited', (m) => m.jobid === job.jobid);
    expect(exited.tasks).toEqual([{ rank: 0, status: 2 << 8 }, { rank: 1, status: os.constants.signals.SIGUSR1 }]);
    expect(exited.status).toBe(2 << 8);
  });
});

describe('5.6 time limit', () => {
  it('sends SIGTERM when the duration passes and reports timedOut', async () => {
    const job = await link.start({ command: ['sleep', '30'], duration: 0.2 });
    const exited = await link.next('job.exited', (m) => m.jobid === job.jobid);
    expect(exited).toMatchObject({ status: os.constants.signals.SIGTERM, timedOut: true });
  });

  it('sends SIGKILL after the grace period to tasks that ignore SIGTERM', async () => {
    const started = Date.now();
    const job = await link.start({ command: ['sh', '-c', 'trap "" TERM; sleep 30'], duration: 0.2 });
    const exited = await link.next('job.exited', (m) => m.jobid === job.jobid);
    expect(exited).toMatchObject({ status: os.constants.signals.SIGKILL, timedOut: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(650); // 0.2 s limit + 0.5 s grace
  });
});

describe('5.7 job.kill', () => {
  it('kills the whole process group, children of the task included', async () => {
    const job = await link.start({ command: ['sh', '-c', 'sleep 30 & echo $!; wait'] });
    const out = await link.next('job.output', (m) => m.jobid === job.jobid);
    const child = Number(out.entries[0]!.data.trim());
    expect(alive(child)).toBe(true);
    link.send({ type: 'job.kill', jobid: job.jobid, reason: 'test' });
    const exited = await link.next('job.exited', (m) => m.jobid === job.jobid);
    expect(exited.status).toBe(os.constants.signals.SIGTERM);
    expect(alive(child)).toBe(false);
  });

  it('escalates to SIGKILL after graceSeconds', async () => {
    const job = await link.start({ command: ['sh', '-c', 'trap "" TERM; echo up; sleep 30'] });
    await link.next('job.output', (m) => m.jobid === job.jobid);
    link.send({ type: 'job.kill', jobid: job.jobid, signal: 'SIGTERM', graceSeconds: 0.1, reason: 'test' });
    const exited = await link.next('job.exited', (m) => m.jobid === job.jobid);
    expect(exited.status).toBe(os.constants.signals.SIGKILL);
    expect(exited.timedOut).toBeUndefined();
  });

  it('acks a kill for a job it does not run', async () => {
    link.send({ type: 'job.kill', jobid: 'ƒnothere', reason: 'test' });
    const ack = await link.next('ack');
    expect(ack.error).toBeUndefined();
  });
});

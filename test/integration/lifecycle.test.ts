// lifecycle.test.ts - a job's whole path through the real control plane and real agents, over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobspecFromShape } from '../../control/core/jobspec/index.ts';
import { startTestInstance, type TestInstance } from '../support/instance.ts';

let inst: TestInstance;
beforeAll(async () => {
  inst = await startTestInstance({ nodes: 2, coresPerNode: 2, log: !!process.env.FLURRY_TEST_LOG });
}, 60_000);
afterAll(async () => inst?.stop());

type Page = { events: Array<{ name: string; context?: Record<string, unknown> }>; next: number; done: boolean };

async function waitDone(id: string): Promise<Page['events']> {
  const events: Page['events'] = [];
  let from = 0;
  for (;;) {
    const { body } = await inst.api<Page>(`/v1/jobs/${encodeURIComponent(id)}/eventlog?from=${from}&wait=10`);
    events.push(...body.events);
    from = body.next;
    if (body.done) return events;
  }
}

async function output(id: string): Promise<string> {
  let cursor = '';
  let text = '';
  for (;;) {
    const { body } = await inst.api<{ entries: Array<{ data: string }>; cursor: string; done: boolean }>(`/v1/jobs/${encodeURIComponent(id)}/output?cursor=${cursor}&wait=10`);
    text += body.entries.map((e) => e.data).join('');
    cursor = body.cursor;
    if (body.done) return text;
  }
}

describe('job lifecycle over HTTP with real agents', () => {
  it('runs a job to completion and keeps its output and exit status', async () => {
    const jobspec = jobspecFromShape(['sh', '-c', 'echo hello from $FLURRY_TASK_RANK; exit 3'], { ntasks: 1, cwd: '/tmp' });
    const sub = await inst.api<{ ids: string[] }>('/v1/jobs', { body: { jobspec } });
    expect(sub.status).toBe(201);
    const id = sub.body.ids[0]!;
    const events = await waitDone(id);
    expect(events.map((e) => e.name)).toEqual(['submit', 'validate', 'depend', 'priority', 'alloc', 'start', 'finish', 'release', 'free', 'clean']);
    expect(await output(id)).toBe('hello from 0\n');
    const info = await inst.api<{ result: string; exitCode: number; stateCode: string; nodelist: string }>(`/v1/jobs/${encodeURIComponent(id)}`);
    expect(info.body).toMatchObject({ result: 'FAILED', exitCode: 3, stateCode: 'F' });
  });

  it('gives a 2-node job the right ranks and nodelist', async () => {
    const jobspec = jobspecFromShape(['sh', '-c', 'echo "$FLURRY_TASK_RANK/$FLURRY_JOB_SIZE $FLURRY_JOB_NODELIST"'], { nodes: 2, ntasks: 2, cwd: '/tmp' });
    const id = (await inst.api<{ ids: string[] }>('/v1/jobs', { body: { jobspec } })).body.ids[0]!;
    await waitDone(id);
    const lines = (await output(id)).trim().split('\n').sort();
    expect(lines).toEqual(['0/2 node[0-1]', '1/2 node[0-1]']);
  });

  it('runs a --cc bulk of jobs through 4 cores and frees everything', async () => {
    const jobspec = jobspecFromShape(['true'], { ntasks: 1, cwd: '/tmp' });
    const ids = (await inst.api<{ ids: string[] }>('/v1/jobs', { body: { jobspec, cc: '1-40' } })).body.ids;
    expect(ids).toHaveLength(40);
    for (const id of ids) await waitDone(id);
    const res = await inst.api<{ free: { ncores: number }; allocated: { nnodes: number } }>('/v1/resources');
    expect(res.body.free.ncores).toBe(4);
    expect(res.body.allocated.nnodes).toBe(0);
  });

  it('cancels a running job: CANCELED, and its process is gone', async () => {
    const jobspec = jobspecFromShape(['sleep', '300'], { ntasks: 1, cwd: '/tmp' });
    const id = (await inst.api<{ ids: string[] }>('/v1/jobs', { body: { jobspec } })).body.ids[0]!;
    for (;;) {
      const { body } = await inst.api<{ state: string }>(`/v1/jobs/${encodeURIComponent(id)}`);
      if (body.state === 'RUN') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const cancel = await inst.api<{ state: string }>(`/v1/jobs/${encodeURIComponent(id)}/cancel`, { body: {} });
    expect(cancel.status).toBe(200);
    await waitDone(id);
    const info = await inst.api<{ result: string }>(`/v1/jobs/${encodeURIComponent(id)}`);
    expect(info.body.result).toBe('CANCELED');
  });

  it('a retried submission (same client token) gets the same ids and creates nothing new, small or bulk', async () => {
    const jobspec = jobspecFromShape(['true'], { ntasks: 1, cwd: '/tmp' });
    const before = (await inst.api<{ jobs: unknown[] }>('/v1/jobs?filter=all&limit=1000')).body.jobs.length;
    const one = await inst.api<{ ids: string[] }>('/v1/jobs', { body: { jobspec, clientToken: 'retry-small' } });
    const again = await inst.api<{ ids: string[] }>('/v1/jobs', { body: { jobspec, clientToken: 'retry-small' } });
    expect(again.body.ids).toEqual(one.body.ids);
    const bulk = await inst.api<{ ids: string[] }>('/v1/jobs', { body: { jobspec, cc: '1-20', clientToken: 'retry-bulk' } });
    const bulkAgain = await inst.api<{ ids: string[] }>('/v1/jobs', { body: { jobspec, cc: '1-20', clientToken: 'retry-bulk' } });
    expect(bulkAgain.body.ids).toEqual(bulk.body.ids);
    const after = (await inst.api<{ jobs: unknown[] }>('/v1/jobs?filter=all&limit=1000')).body.jobs.length;
    expect(after - before).toBe(21);
    const misuse = await inst.api<{ error: { code: string; field?: string } }>('/v1/jobs', { body: { jobspec, cc: '1-2', clientToken: 'retry-small' } });
    expect(misuse.status).toBe(409);
  });

  it('announces every admitted job to listeners (push subscriptions follow them)', async () => {
    const heard: Array<{ owner: string; id: bigint }> = [];
    const stop = inst.server.plane.manager.onAdmitted((jobs) => heard.push(...jobs.map((j) => ({ owner: j.item.owner, id: j.item.id }))));
    const { ids } = (await inst.api<{ ids: string[] }>('/v1/jobs', { body: { jobspec: jobspecFromShape(['true'], { cwd: '/tmp' }), cc: '1-2' } })).body;
    stop();
    expect(heard.map((h) => h.owner)).toEqual(['alice', 'alice']);
    expect(heard).toHaveLength(ids.length);
  });

  it('refuses a job too big for the instance at submit', async () => {
    const jobspec = jobspecFromShape(['true'], { nodes: 3, cwd: '/tmp' });
    const res = await inst.api<{ error: { code: string; field: string; message: string } }>('/v1/jobs', { body: { jobspec } });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe('body.jobspec.resources');
    expect(res.body.error.message).toMatch(/unsatisfiable/);
  });
});

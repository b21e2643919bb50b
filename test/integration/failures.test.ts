// failures.test.ts - time limits and lost nodes, with real agent processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { jobspecFromShape } from '../../control/core/jobspec/index.ts';
import { startTestInstance, waitFor, type TestInstance } from '../support/instance.ts';

let inst: TestInstance;
beforeAll(async () => {
  inst = await startTestInstance({ nodes: 2, coresPerNode: 1, agents: 'process', heartbeatSeconds: 1 });
}, 60_000);
afterAll(async () => inst?.stop());

type Info = { state: string; result?: string; nodelist?: string; exception?: { type: string; note: string } };
const info = async (id: string) => (await inst.api<Info>(`/v1/jobs/${encodeURIComponent(id)}`)).body;
const submit = async (cmd: string[], opts: Parameters<typeof jobspecFromShape>[1]) =>
  (await inst.api<{ ids: string[] }>('/v1/jobs', { body: { jobspec: jobspecFromShape(cmd, { cwd: '/tmp', ...opts }) } })).body.ids[0]!;
async function waitInactive(id: string): Promise<Info> {
  await waitFor(async () => (await info(id)).state === 'INACTIVE', 30_000, `${id} to become inactive`);
  return info(id);
}

describe('failures', () => {
  it('a job that outlives its time limit is killed: TIMEOUT', async () => {
    const id = await submit(['sleep', '60'], { timeLimit: 1 });
    const done = await waitInactive(id);
    expect(done.result).toBe('TIMEOUT');
    expect(done.exception?.type).toBe('timeout');
  });

  it('an agent killed mid-job: its job gets an exception, resources are freed, the other node is unaffected', async () => {
    const victim = await submit(['sleep', '30'], { nodes: 1, requires: ['host:node1'] });
    const bystander = await submit(['sleep', '3'], { nodes: 1, requires: ['host:node0'] });
    await waitFor(async () => (await info(victim)).state === 'RUN' && (await info(bystander)).state === 'RUN', 10_000, 'both jobs to run');
    (inst.agents.get('node1') as ChildProcess).kill('SIGKILL');
    const lost = await waitInactive(victim);
    expect(lost.result).toBe('FAILED');
    expect(lost.exception).toMatchObject({ type: 'node-failure', note: 'node node1 is down' });
    const other = await waitInactive(bystander);
    expect(other.result).toBe('COMPLETED');
    const res = await inst.api<{ down: { nodelist: string }; allocated: { nnodes: number } }>('/v1/resources');
    expect(res.body.down.nodelist).toBe('node1');
    expect(res.body.allocated.nnodes).toBe(0);
    // The node comes back: it joins again under the same rank and takes work.
    await inst.startAgent('node1');
    await waitFor(async () => (await inst.api<{ down: { nodelist: string } }>('/v1/resources')).body.down.nodelist === '', 15_000, 'node1 to rejoin');
    const after = await submit(['true'], { nodes: 1, requires: ['host:node1'] });
    expect((await waitInactive(after)).result).toBe('COMPLETED');
  });
});

// dependencies.test.ts - RFC 26 dependencies through the real control plane and agents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobspecFromShape } from '../../control/core/jobspec/index.ts';
import { verdict } from '../../control/jobs/dependencies.ts';
import { startTestInstance, waitFor, type TestInstance } from '../support/instance.ts';

let inst: TestInstance;
beforeAll(async () => {
  inst = await startTestInstance({ nodes: 1, coresPerNode: 2 });
}, 60_000);
afterAll(async () => inst?.stop());

type Info = { state: string; result?: string; exception?: { type: string; note: string }; t_run?: number; t_inactive?: number };
const info = async (id: string) => (await inst.api<Info>(`/v1/jobs/${encodeURIComponent(id)}`)).body;
const submit = async (cmd: string[], dependency?: string[]) => {
  const res = await inst.api<{ ids: string[]; error?: { field: string; message: string } }>('/v1/jobs', { body: { jobspec: jobspecFromShape(cmd, { cwd: '/tmp', dependency }) } });
  return res;
};
const done = async (id: string) => {
  await waitFor(async () => (await info(id)).state === 'INACTIVE', 20_000, `${id} to end`);
  return info(id);
};

describe('RFC 26 rules', () => {
  it('after, afterany, afterok, afternotok', () => {
    const running = { state: 'RUN' as const, started: true, result: undefined };
    const ok = { state: 'INACTIVE' as const, started: true, result: 'COMPLETED' as const };
    const failed = { state: 'INACTIVE' as const, started: true, result: 'FAILED' as const };
    const canceledPending = { state: 'INACTIVE' as const, started: false, result: 'CANCELED' as const };
    expect(['after', 'afterany', 'afterok', 'afternotok'].map((s) => verdict(s, running))).toEqual(['satisfied', 'waiting', 'waiting', 'waiting']);
    expect(['after', 'afterany', 'afterok', 'afternotok'].map((s) => verdict(s, ok))).toEqual(['satisfied', 'satisfied', 'satisfied', 'never']);
    expect(['afterok', 'afternotok'].map((s) => verdict(s, failed))).toEqual(['never', 'satisfied']);
    expect(verdict('after', canceledPending)).toBe('never');
  });
});

describe('dependencies end to end', () => {
  it('afterok waits for its antecedent, then runs', async () => {
    const a = (await submit(['sleep', '1'])).body.ids[0]!;
    const b = (await submit(['true'], [`afterok:${a}`])).body.ids[0]!;
    expect((await info(b)).state).toBe('DEPEND');
    const A = await done(a);
    const B = await done(b);
    expect(B.result).toBe('COMPLETED');
    expect(B.t_run!).toBeGreaterThanOrEqual(A.t_inactive!);
  });

  it('afterok on a job that fails can never be satisfied: a dependency exception', async () => {
    const a = (await submit(['false'])).body.ids[0]!;
    const b = (await submit(['true'], [`afterok:${a}`])).body.ids[0]!;
    const B = await done(b);
    expect(B.result).toBe('FAILED');
    expect(B.exception?.type).toBe('dependency');
    expect(B.exception?.note).toMatch(/afterok/);
  });

  it('afternotok runs after a failure', async () => {
    const a = (await submit(['false'])).body.ids[0]!;
    const b = (await submit(['true'], [`afternotok:${a}`])).body.ids[0]!;
    expect((await done(b)).result).toBe('COMPLETED');
  });

  it('an unknown scheme or a bad job id is refused at submit', async () => {
    const bad = await submit(['true'], ['whenever:soon']);
    expect(bad.status).toBe(400);
    expect(bad.body.error?.field).toMatch(/dependencies\[0\]\.scheme$/);
    const badId = await submit(['true'], ['afterok:nope']);
    expect(badId.status).toBe(400);
    expect(badId.body.error?.field).toMatch(/dependencies\[0\]\.value$/);
  });
});

// job-info.test.ts - the readable summary of `flurry job info ID`.
import { describe, expect, it } from 'vitest';
import type { JobInfo } from '../../sdk/types.ts';
import { formatJobInfo } from './job-info.ts';

const INFO: JobInfo = {
  id: 'ƒuZZybuNNy', owner: 'alice', name: 'app', state: 'INACTIVE', stateCode: 'F', result: 'FAILED', exitCode: 2, urgency: 16, priority: 16,
  ntasks: 4, nnodes: 2, nodelist: 'n[1-2]', t_submit: 1_700_000_000, t_run: 1_700_000_001, t_inactive: 1_700_000_091, runtime: 90, duration: 600,
  jobspec: { version: 1, tasks: [{ command: ['app', '--in', 'my file'] }], attributes: { system: { cwd: '/work' } } },
};

describe('formatJobInfo', () => {
  it('shows the job in aligned key: value lines', () => {
    const text = formatJobInfo(INFO);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('       id: ƒuZZybuNNy (6731191091817518)');
    expect(text).toContain('    state: FAILED (F)\n');
    expect(text).toContain("  command: app --in 'my file'\n");
    expect(text).toContain('      cwd: /work\n');
    expect(text).toContain('     size: 4 tasks on 2 nodes\n');
    expect(text).toContain('    nodes: n[1-2]\n');
    expect(text).toContain('    limit: 10m\n');
    expect(text).toContain('  runtime: 1.5m\n');
    expect(text).toContain('exit code: 2\n');
  });

  it('shows the exception and the pending reason; leaves out what is unknown', () => {
    const pending: JobInfo = { id: 'ƒuZZybuNNy', owner: 'bob', name: 'x', state: 'SCHED', stateCode: 'S', urgency: 0, t_submit: 1, runtime: 0, duration: 0, jobspec: {} };
    const text = formatJobInfo(pending);
    expect(text).toContain('   info: held\n');
    expect(text).not.toMatch(/exit code|nodes:|command:/);
    const canceled = formatJobInfo({ ...pending, state: 'INACTIVE', stateCode: 'CA', result: 'CANCELED', exception: { type: 'cancel', severity: 0, note: 'by me' } });
    expect(canceled).toContain('exception: cancel: by me\n');
    expect(canceled).toContain('exit code: 1\n');
  });
});

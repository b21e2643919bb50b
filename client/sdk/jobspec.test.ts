// jobspec.test.ts - the SDK's jobspec builder: Flux's shape rules (shared with the CLI), durations, errors.
import { describe, expect, it } from 'vitest';
import { isJobRequest, jobspec } from './jobspec.ts';

describe('jobspec()', () => {
  it('builds the same shapes as the CLI', () => {
    const js = jobspec(['hostname'], { nodes: 2, ntasks: 4, coresPerTask: 2, gpusPerTask: 1 });
    expect(js.resources[0]).toEqual({
      type: 'node', count: 2,
      with: [{ type: 'slot', count: 2, label: 'task', with: [{ type: 'core', count: 2 }, { type: 'gpu', count: 1 }] }],
    });
    expect(js.tasks[0]).toEqual({ command: ['hostname'], slot: 'task', count: { per_slot: 1 } });
  });

  it('takes durations as seconds or RFC 23 strings; inf means none', () => {
    expect(jobspec(['a'], { duration: '10m' }).attributes.system.duration).toBe(600);
    expect(jobspec(['a'], { duration: 90 }).attributes.system.duration).toBe(90);
    expect(jobspec(['a'], { duration: 'inf' }).attributes.system.duration).toBe(0);
    expect(() => jobspec(['a'], { duration: 'soon' })).toThrow(/^duration: invalid duration "soon"/);
    expect(() => jobspec(['a'], { duration: -1 })).toThrow(/^duration: must be a duration/);
  });

  it('copies nothing from the caller: env and cwd are only what is given', () => {
    const bare = jobspec(['a']);
    expect(bare.attributes.system).toEqual({ duration: 0 });
    const js = jobspec(['a'], { env: { A: '1' }, cwd: '/w', name: 'nm', queue: 'q', requires: 'efa', dependency: 'afterok:ƒ2' });
    expect(js.attributes.system).toMatchObject({ environment: { A: '1' }, cwd: '/w', job: { name: 'nm' }, queue: 'q', dependencies: [{ scheme: 'afterok', value: 'ƒ2' }] });
  });

  it('names the option at fault', () => {
    expect(() => jobspec(['a'], { nodes: 3, ntasks: 2 })).toThrow(/^--nodes: must not be greater/);
    expect(() => jobspec('hostname' as unknown as string[])).toThrow(/^command: must be an array/);
  });

  it('isJobRequest tells requests from jobspecs', () => {
    expect(isJobRequest({ command: ['a'] })).toBe(true);
    expect(isJobRequest(jobspec(['a']))).toBe(false);
    expect(isJobRequest('version: 1')).toBe(false);
  });
});

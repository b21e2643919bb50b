// describe.test.ts - JobShape from a V1 jobspec, and flux-shell's task layout over the allocated nodes.
import { describe, expect, it } from 'vitest';
import { describeJobspec, distributeTasks, type JobShape } from './describe.ts';
import { jobspecFromShape } from './from-shape.ts';
import { validateJobspecV1 } from './v1.ts';

describe('describeJobspec', () => {
  it('reduces node > slot > (core, gpu) to a ResourceRequest', () => {
    const shape = describeJobspec(jobspecFromShape(['/usr/bin/app', '-v'], { nodes: 2, ntasks: 8, coresPerTask: 2, gpusPerTask: 1 }));
    expect(shape.request).toEqual({ nodes: 2, slots: 4, coresPerSlot: 2, gpusPerSlot: 1, exclusive: false });
    expect(shape.ntasks).toBe(8);
    expect(shape.tasks).toEqual({ perSlot: 1 });
    expect(shape.name).toBe('app');
    expect(shape.command).toEqual(['/usr/bin/app', '-v']);
    expect(shape.duration).toBe(0);
    expect(shape.environment).toEqual({});
    expect(shape.dependencies).toEqual([]);
    expect(shape.queue).toBeUndefined();
    expect(shape.constraint).toBeUndefined();
  });

  it('carries a slot-only request, totals, attributes and the constraint', () => {
    const shape = describeJobspec(
      validateJobspecV1({
        version: 1,
        resources: [{ type: 'slot', count: 3, label: 's', with: [{ type: 'core', count: 1 }] }],
        tasks: [{ command: ['hostname'], slot: 's', count: { total: 5 } }],
        attributes: {
          system: {
            duration: 3600,
            queue: 'debug',
            cwd: '/home/u',
            environment: { HOME: '/home/u' },
            job: { name: 'named' },
            constraints: { properties: ['efa'] },
            dependencies: [{ scheme: 'afterok', value: 'ƒ2', extra: 'x' }],
          },
        },
      }),
    );
    expect(shape.request).toEqual({ slots: 3, coresPerSlot: 1, gpusPerSlot: 0, exclusive: false, constraint: { properties: ['efa'] } });
    expect(shape).toMatchObject({
      ntasks: 5,
      tasks: { total: 5 },
      duration: 3600,
      queue: 'debug',
      cwd: '/home/u',
      name: 'named',
      environment: { HOME: '/home/u' },
      dependencies: [{ scheme: 'afterok', value: 'ƒ2' }],
      constraint: { properties: ['efa'] },
    });
  });

  it('marks -N alone as exclusive whole nodes', () => {
    expect(describeJobspec(jobspecFromShape(['a'], { nodes: 3 })).request).toMatchObject({ nodes: 3, slots: 1, exclusive: true });
  });
});

describe('distributeTasks', () => {
  const perSlot = { tasks: { perSlot: 1 } } as JobShape;
  const total = (n: number) => ({ tasks: { total: n } }) as JobShape;

  it('per_slot: one task per slot on each node', () => {
    expect(distributeTasks(perSlot, [2, 1, 3])).toEqual([2, 1, 3]);
  });
  it('total: -N4 -n5 runs two tasks on the first node', () => {
    expect(distributeTasks(total(5), [2, 2, 2, 2])).toEqual([2, 1, 1, 1]);
  });
  it('total: nodes with more slots are served first, ties in allocation order', () => {
    expect(distributeTasks(total(4), [1, 3, 1])).toEqual([1, 2, 1]);
    expect(distributeTasks(total(2), [1, 3, 3])).toEqual([0, 1, 1]);
  });
  it('total: full nodes drop out, then oversubscription starts a new pass', () => {
    expect(distributeTasks(total(5), [1, 1, 1, 1])).toEqual([2, 1, 1, 1]);
    expect(distributeTasks(total(7), [1, 3])).toEqual([2, 5]);
  });
  it('total: nodes without slots get no tasks', () => {
    expect(distributeTasks(total(3), [0, 2])).toEqual([0, 3]);
    expect(() => distributeTasks(total(3), [0, 0])).toThrow(/no slots/);
    expect(() => distributeTasks(total(3), [-1])).toThrow(/non-negative/);
  });
});

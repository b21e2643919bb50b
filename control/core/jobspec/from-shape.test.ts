// from-shape.test.ts - Flux's -N/-n/-c/-g/--cores/--tasks-per-node/--gpus-per-node rules, and a property test that
// whatever jobspecFromShape returns validates and runs exactly the tasks that were asked for.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidInputError } from '../errors.ts';
import { jobspecFromShape, parseDependencies, type ShapeOptions } from './from-shape.ts';
import { describeJobspec, distributeTasks } from './describe.ts';
import { validateJobspecV1 } from './v1.ts';

const cmd = ['app'];

function resources(opts: ShapeOptions) {
  const js = jobspecFromShape(cmd, opts);
  return { res: js.resources[0], count: js.tasks[0]!.count };
}

function errorOf(opts: ShapeOptions, command = cmd): string {
  try {
    jobspecFromShape(command, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

const core = (n: number) => ({ type: 'core', count: n });
const slot = (n: number, ...w: object[]) => ({ type: 'slot', count: n, label: 'task', with: w });

describe('jobspecFromShape: per-task options', () => {
  it('defaults to one task on one core, unlimited time', () => {
    const js = jobspecFromShape(cmd, {});
    expect(js.resources).toEqual([slot(1, core(1))]);
    expect(js.tasks).toEqual([{ command: ['app'], slot: 'task', count: { per_slot: 1 } }]);
    expect(js.attributes.system.duration).toBe(0);
  });
  it('-n4 -c2 -g1: four slots of two cores and a gpu', () => {
    expect(resources({ ntasks: 4, coresPerTask: 2, gpusPerTask: 1 }).res).toEqual(slot(4, core(2), { type: 'gpu', count: 1 }));
  });
  it('-g0 adds no gpu vertex', () => {
    expect(resources({ gpusPerTask: 0 }).res).toEqual(slot(1, core(1)));
  });
  it('-N2 alone: one task per node on whole nodes', () => {
    expect(resources({ nodes: 2 })).toEqual({ res: { type: 'node', count: 2, exclusive: true, with: [slot(1, core(1))] }, count: { per_slot: 1 } });
  });
  it('-N2 -n4: two slots per node, shared nodes', () => {
    expect(resources({ nodes: 2, ntasks: 4 })).toEqual({ res: { type: 'node', count: 2, with: [slot(2, core(1))] }, count: { per_slot: 1 } });
  });
  it('-N4 -n5: ceil(5/4) slots per node and a total', () => {
    expect(resources({ nodes: 4, ntasks: 5 })).toEqual({ res: { type: 'node', count: 4, with: [slot(2, core(1))] }, count: { total: 5 } });
  });
  it('-N2 -n2 -x: exclusive on request', () => {
    expect(resources({ nodes: 2, ntasks: 2, exclusive: true }).res).toMatchObject({ exclusive: true });
  });
});

describe('jobspecFromShape: per-resource options', () => {
  it('--cores=8: eight one-core slots, one task each', () => {
    expect(resources({ cores: 8 })).toEqual({ res: slot(8, core(1)), count: { per_slot: 1 } });
  });
  it('-N2 --cores=8: four cores per node, one task per node', () => {
    expect(resources({ nodes: 2, cores: 8 })).toEqual({ res: { type: 'node', count: 2, with: [slot(1, core(4))] }, count: { per_slot: 1 } });
  });
  it('-N2 --tasks-per-node=4: whole nodes, eight tasks', () => {
    expect(resources({ nodes: 2, tasksPerNode: 4 })).toEqual({
      res: { type: 'node', count: 2, exclusive: true, with: [slot(1, core(1))] },
      count: { total: 8 },
    });
  });
  it('-N2 --gpus-per-node=4', () => {
    expect(resources({ nodes: 2, gpusPerNode: 4 }).res).toEqual({
      type: 'node', count: 2, exclusive: true, with: [slot(1, core(1), { type: 'gpu', count: 4 })],
    });
  });
});

describe('jobspecFromShape: errors name the option', () => {
  const cases: Array<[string, ShapeOptions, string]> = [
    ['-N greater than -n', { nodes: 3, ntasks: 2 }, '--nodes: must not be greater than the number of tasks (-n 2)'],
    ['-x without -N', { exclusive: true }, '--exclusive: requires --nodes'],
    ['zero nodes', { nodes: 0 }, '--nodes: must be an integer ≥ 1'],
    ['fractional tasks', { ntasks: 1.5 }, '--ntasks: must be an integer ≥ 1'],
    ['negative gpus', { gpusPerTask: -1 }, '--gpus-per-task: must be an integer ≥ 0'],
    ['-n with --cores', { ntasks: 2, cores: 4 }, '--ntasks: cannot be combined with --cores'],
    ['-c with --tasks-per-node', { coresPerTask: 2, nodes: 1, tasksPerNode: 2 }, '--cores-per-task: cannot be combined'],
    ['--gpus-per-node without -N', { gpusPerNode: 1 }, '--gpus-per-node: requires --nodes'],
    ['--tasks-per-node without -N', { cores: 4, tasksPerNode: 2 }, '--tasks-per-node: requires --nodes'],
    ['fewer cores than nodes', { nodes: 4, cores: 2 }, '--cores: must be at least the node count (4)'],
    ['cores not a multiple of nodes', { nodes: 2, cores: 7 }, '--cores: must be a multiple of the node count (2)'],
    ['a negative time limit', { timeLimit: -1 }, '--time-limit: must be a duration ≥ 0'],
    ['a relative cwd', { cwd: 'here' }, '--cwd: must be an absolute path'],
    ['an empty queue', { queue: '' }, '--queue: must not be empty'],
    ['a bad constraint', { requires: ['host:n[1-'] }, '--requires: invalid hostlist'],
    ['a bad dependency', { dependency: ['afterok'] }, '--dependency: "afterok" must be scheme:value'],
  ];
  it.each(cases)('%s', (_name, opts, message) => {
    expect(errorOf(opts)).toContain(message);
  });
  it('an empty command', () => {
    expect(errorOf({}, [])).toBe('command: a command to run is required');
  });
});

describe('jobspecFromShape: attributes', () => {
  it('sets duration, environment, cwd, queue, name, constraints and dependencies', () => {
    const js = jobspecFromShape(['sleep', '1'], {
      timeLimit: 90,
      env: { A: '1' },
      cwd: '/work',
      queue: 'debug',
      jobName: 'nap',
      requires: ['efa', '-host:n3'],
      dependency: ['afterok:ƒ2MU1GM7V', 'string:foo?type=out&scope=user'],
    });
    expect(js.attributes.system).toEqual({
      duration: 90,
      environment: { A: '1' },
      cwd: '/work',
      queue: 'debug',
      job: { name: 'nap' },
      constraints: { and: [{ properties: ['efa'] }, { not: [{ hostlist: ['n3'] }] }] },
      dependencies: [
        { scheme: 'afterok', value: 'ƒ2MU1GM7V' },
        { scheme: 'string', value: 'foo', type: 'out', scope: 'user' },
      ],
    });
  });
  it('parseDependencies rejects options without a value', () => {
    expect(() => parseDependencies(['string:foo?type'])).toThrow('--dependency: "type" in "string:foo?type" must be key=value');
  });
});

describe('jobspecFromShape: properties', () => {
  const small = (max: number) => fc.option(fc.integer({ min: 0, max }), { nil: undefined });
  const options = fc.record({
    nodes: small(6),
    ntasks: small(12),
    coresPerTask: small(3),
    gpusPerTask: small(2),
    tasksPerNode: small(4),
    cores: small(12),
    gpusPerNode: small(2),
    exclusive: fc.option(fc.boolean(), { nil: undefined }),
  });

  it('every jobspec it returns validates and lays out exactly the tasks asked for', () => {
    fc.assert(
      fc.property(options, (raw) => {
        const opts = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined)) as ShapeOptions;
        let js;
        try {
          js = jobspecFromShape(cmd, opts);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidInputError);
          expect((e as InvalidInputError).field).toMatch(/^--/);
          return;
        }
        expect(validateJobspecV1(JSON.parse(JSON.stringify(js)))).toEqual(js);
        const shape = describeJobspec(js);
        const nodes = shape.request.nodes ?? 1;
        const layout = distributeTasks(shape, Array.from({ length: nodes }, () => shape.request.slots));
        expect(layout.reduce((a, b) => a + b, 0)).toBe(shape.ntasks);
        const perResource = opts.cores !== undefined || opts.tasksPerNode !== undefined || opts.gpusPerNode !== undefined;
        const expected = perResource
          ? opts.tasksPerNode !== undefined ? nodes * opts.tasksPerNode : opts.nodes ?? opts.cores
          : opts.ntasks ?? opts.nodes ?? 1;
        expect(shape.ntasks).toBe(expected);
        if (opts.nodes !== undefined) expect(layout.every((n) => n > 0)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

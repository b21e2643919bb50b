// shape-options.test.ts - the shared shape flags: number checks naming the flag, time limits, urgency, --cc,
// and Flux's env rules.
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { InvalidInputError } from '../../control/core/errors.ts';
import { addShapeOptions, applyEnvRules, intOption, shapeFromOptions, type ShapeCliOptions } from './shape-options.ts';

const env = { HOME: '/home/u', PATH: '/bin:/usr/bin', OMP_NUM_THREADS: '4', OMP_PLACES: 'cores', SECRET: 'x' };

function errorOf(opts: ShapeCliOptions): string {
  try {
    shapeFromOptions(opts, ['app'], env, '/work');
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('shapeFromOptions', () => {
  it('defaults: one task, urgency 16, the caller environment and directory', () => {
    const { jobspec, urgency, cc } = shapeFromOptions({}, ['app'], env, '/work');
    expect(urgency).toBe(16);
    expect(cc).toBeUndefined();
    expect(jobspec.attributes.system).toEqual({ duration: 0, environment: env, cwd: '/work' });
  });

  it('reads the numbers, time limit, queue, name, requires and dependencies', () => {
    const { jobspec } = shapeFromOptions(
      { nodes: '2', ntasks: '4', coresPerTask: '2', timeLimit: '1.5h', queue: 'debug', jobName: 'x', requires: ['efa'], dependency: ['afterok:ƒ2'] },
      ['app'],
      {},
      '/work',
    );
    expect(jobspec.resources[0]).toMatchObject({ type: 'node', count: 2, with: [{ count: 2, with: [{ type: 'core', count: 2 }] }] });
    expect(jobspec.attributes.system).toMatchObject({
      duration: 5400,
      queue: 'debug',
      job: { name: 'x' },
      constraints: { properties: ['efa'] },
      dependencies: [{ scheme: 'afterok', value: 'ƒ2' }],
    });
  });

  it('takes a bare time limit in minutes, and 0 or inf as unlimited', () => {
    expect(shapeFromOptions({ timeLimit: '30' }, ['a'], {}, '/').jobspec.attributes.system.duration).toBe(1800);
    expect(shapeFromOptions({ timeLimit: 'inf' }, ['a'], {}, '/').jobspec.attributes.system.duration).toBe(0);
  });

  it('resolves --cwd against the current directory', () => {
    expect(shapeFromOptions({ cwd: 'sub' }, ['a'], {}, '/work').jobspec.attributes.system.cwd).toBe('/work/sub');
    expect(shapeFromOptions({ cwd: '/abs' }, ['a'], {}, '/work').jobspec.attributes.system.cwd).toBe('/abs');
  });

  it('reads urgency by number or name, and --cc as an idset', () => {
    expect(shapeFromOptions({ urgency: '0' }, ['a'], {}, '/').urgency).toBe(0);
    expect(shapeFromOptions({ urgency: 'expedite' }, ['a'], {}, '/').urgency).toBe(31);
    expect(shapeFromOptions({ cc: '1-3,7' }, ['a'], {}, '/').cc).toEqual([1, 2, 3, 7]);
  });

  const bad: Array<[string, ShapeCliOptions, string]> = [
    ['a word for -N', { nodes: 'two' }, '--nodes: must be an integer ≥ 1, not "two"'],
    ['a fraction for -n', { ntasks: '2.5' }, '--ntasks: must be an integer ≥ 1, not "2.5"'],
    ['zero cores per task', { coresPerTask: '0' }, '--cores-per-task: must be an integer ≥ 1'],
    ['negative gpus', { gpusPerTask: '-1' }, '--gpus-per-task: must be an integer ≥ 0'],
    ['-N above -n', { nodes: '4', ntasks: '2' }, '--nodes: must not be greater than the number of tasks (-n 2)'],
    ['a bad time limit', { timeLimit: '5x' }, '--time-limit: invalid time limit "5x"'],
    ['urgency 32', { urgency: '32' }, '--urgency: must be an integer from 0 to 31, not "32"'],
    ['a bad --cc', { cc: 'a-b' }, '--cc: '],
    ['a bad constraint', { requires: ['(efa'] }, '--requires: missing ")"'],
  ];
  it.each(bad)('rejects %s', (_name, opts, message) => {
    expect(errorOf(opts)).toContain(message);
  });

  it('intOption leaves absent flags undefined', () => {
    expect(intOption(undefined, '--nodes')).toBeUndefined();
    expect(intOption(' 3 ', '--nodes')).toBe(3);
  });
});

describe('applyEnvRules', () => {
  it('starts from a copy of the environment', () => {
    expect(applyEnvRules([], env)).toEqual(env);
  });
  it('removes by glob or regex, copies by name or glob, in order', () => {
    expect(applyEnvRules(['-*', 'PATH', 'OMP*'], env)).toEqual({ PATH: env.PATH, OMP_NUM_THREADS: '4', OMP_PLACES: 'cores' });
    expect(applyEnvRules(['-/^OMP_/', '-SECRET'], env)).toEqual({ HOME: '/home/u', PATH: env.PATH });
    expect(applyEnvRules(['-*', 'NOPE*'], env)).toEqual({});
  });
  it('sets NAME=VALUE with $-expansion from the job environment, then the caller environment', () => {
    expect(applyEnvRules(['-*', 'PATH=/opt', 'P=$PATH:${HOME}/bin', 'COST=$$5'], env)).toEqual({ PATH: '/opt', P: '/opt:/home/u/bin', COST: '$5' });
    expect(applyEnvRules(['-*', 'H=$HOME'], env)).toEqual({ H: '/home/u' });
  });
  it('rejects unset variables and advanced substitution', () => {
    expect(() => applyEnvRules(['A=$UNSET'], env)).toThrow('--env: $UNSET is not set');
    expect(() => applyEnvRules(['A=${HOME:-x}'], env)).toThrow('--env: cannot expand');
  });
  it('reads rules from files (~ is HOME), skipping blanks and comments', () => {
    const files: Record<string, string> = { '/home/u/envfile': '-*\n\n# keep threads\nOMP*\nFOO=bar\nBAR=${FOO}/baz\n' };
    const read = (p: string) => {
      const t = files[p];
      if (t === undefined) throw new Error('ENOENT');
      return t;
    };
    expect(applyEnvRules(['^~/envfile'], env, read)).toEqual({ OMP_NUM_THREADS: '4', OMP_PLACES: 'cores', FOO: 'bar', BAR: 'bar/baz' });
    expect(() => applyEnvRules(['^/missing'], env, read)).toThrow('--env-file: cannot read /missing');
  });
});

describe('addShapeOptions', () => {
  it('keeps --env, --env-remove and --env-file in command-line order', () => {
    const cmd = addShapeOptions(new Command('t').exitOverride()).argument('[cmd...]').action(() => {});
    cmd.parse(['--env-remove=*', '--env=PATH', '--env-file', 'f', '--env', 'A=1', '-N', '2', '--requires', 'a', '--requires', 'b'], { from: 'user' });
    const opts = cmd.opts<ShapeCliOptions>();
    expect(opts.env).toEqual(['-*', 'PATH', '^f', 'A=1']);
    expect(opts.nodes).toBe('2');
    expect(opts.requires).toEqual(['a', 'b']);
  });
});

// canonical.test.ts - RFC 14 canonical jobspec rules: count ranges and strings, any resource types, several tasks.
import { describe, expect, it } from 'vitest';
import { countStringProblem, rangeProblems, validateCanonicalJobspec } from './canonical.ts';

function spec(edit: (js: any) => void = () => {}): any {
  const js = {
    version: 999,
    resources: [{ type: 'slot', count: 4, label: 'default', with: [{ type: 'node', count: 1 }] }],
    tasks: [{ command: ['flux', 'start'], slot: 'default', count: { per_slot: 1 } }],
    attributes: {},
  };
  edit(js);
  return js;
}

function errorOf(obj: unknown): string {
  try {
    validateCanonicalJobspec(obj);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the jobspec to be rejected');
}

describe('validateCanonicalJobspec accepts', () => {
  const cases: Array<[string, (j: any) => void]> = [
    ['the base jobspec', () => {}],
    ['a min-only range', (j) => (j.resources[0].count = { min: 3 })],
    ['a full range', (j) => (j.resources[0].count = { min: 3, max: 30, operator: '+', operand: 1 })],
    ['a power range from 2', (j) => (j.resources[0].count = { min: 2, max: 64, operator: '^', operand: 2 })],
    ['an idset count string', (j) => (j.resources[0].count = '4,9,16,25')],
    ['RFC 45 range strings', (j) => (j.resources[0].count = '2-32:2:*')],
    ['an open range string', (j) => (j.resources[0].count = '[2+]')],
    ['any resource type, zero of a non-core type', (j) => j.resources[0].with.push({ type: 'ssd', count: 0, unit: 'GB', id: 'x' })],
    ['several resources and tasks', (j) => {
      j.resources.push({ type: 'switch', count: 1, with: [{ type: 'slot', label: 'b', count: 2, with: [{ type: 'core', count: 2 }] }] });
      j.tasks.push({ command: ['db'], slot: 'b', count: { per_resource: { type: 'core', count: 1 } }, distribution: 'block', attributes: { environment: { A: null } } });
    }],
    ['free-form system attributes', (j) => (j.attributes.system = { a: null, b: [1], duration: 5, environment: { FOO: null } })],
  ];
  it.each(cases)('%s', (_name, edit) => {
    expect(() => validateCanonicalJobspec(spec(edit))).not.toThrow();
  });
});

describe('validateCanonicalJobspec rejects', () => {
  const cases: Array<[string, (j: any) => void, string]> = [
    ['version 0', (j) => (j.version = 0), 'version: must be an integer ≥ 1'],
    ['null attributes', (j) => (j.attributes = null), 'attributes: must be a mapping'],
    ['a range without min', (j) => (j.resources[0].count = { max: 2, operator: '+', operand: 1 }), 'resources[0].count.min: is required'],
    ['max below min', (j) => (j.resources[0].count = { min: 3, max: 2 }), 'resources[0].count.max: must be ≥ min (3)'],
    ['operator without operand', (j) => (j.resources[0].count = { min: 1, max: 3, operator: '+' }), 'resources[0].count.operand: is required'],
    ['a bad operator', (j) => (j.resources[0].count = { min: 1, max: 3, operator: '-', operand: 1 }), 'resources[0].count.operator: must be "+", "*" or "^"'],
    ['multiply by 1', (j) => (j.resources[0].count = { min: 1, max: 3, operator: '*', operand: 1 }), 'resources[0].count.operand: must be ≥ 2 with operator "*"'],
    ['power from 1', (j) => (j.resources[0].count = { min: 1, max: 3, operator: '^', operand: 2 }), 'resources[0].count.min: must be ≥ 2 with operator "^"'],
    ['a word count', (j) => (j.resources[0].count = 'many'), 'resources[0].count: must be an integer, an idset'],
    ['a zero core count', (j) => (j.resources[0].with[0] = { type: 'core', count: 0 }), 'resources[0].with[0].count: must be an integer ≥ 1'],
    ['a negative count', (j) => (j.resources[0].with[0].count = -1), 'resources[0].with[0].count: must be an integer ≥ 1'],
    ['a list count', (j) => (j.resources[0].count = [1, 2]), 'resources[0].count: must be an integer, a range mapping'],
    ['an unlabelled slot', (j) => delete j.resources[0].label, 'resources[0].label: is required for a slot'],
    ['an empty slot', (j) => delete j.resources[0].with, 'resources[0].with: is required for a slot'],
    ['duplicate labels', (j) => (j.resources[0].with[0] = { type: 'slot', label: 'default', count: 1, with: [{ type: 'core', count: 1 }] }), 'resources[0].with[0].label: duplicate label "default"'],
    ['a count with two keys', (j) => (j.tasks[0].count = { per_slot: 1, total: 2 }), 'tasks[0].count: must hold exactly one of per_slot, per_resource or total'],
    ['a bad per_resource', (j) => (j.tasks[0].count = { per_resource: { type: 'core' } }), 'tasks[0].count.per_resource.count: is required'],
    ['an unknown task key', (j) => (j.tasks[0].nodes = 2), 'tasks[0].nodes: unknown key'],
    ['a bad dependency', (j) => (j.attributes.system = { dependencies: [{ scheme: 'x', value: 1 }] }), 'attributes.system.dependencies[0].value: must be a string'],
  ];
  it.each(cases)('%s', (_name, edit, message) => {
    expect(errorOf(spec(edit))).toContain(message);
  });
});

describe('count helpers', () => {
  it('rangeProblems defaults operator and operand together', () => {
    expect(rangeProblems({ min: 1, max: 4 })).toEqual([]);
    expect(rangeProblems({ min: 1, operand: 2 })[0]?.path).toEqual(['operator']);
    expect(rangeProblems({ min: 1, step: 2 })[0]?.path).toEqual(['step']);
  });
  it('countStringProblem reads idsets and RFC 45 ranges', () => {
    expect(countStringProblem('1-4', 1)).toBeUndefined();
    expect(countStringProblem('2+:2:*', 1)).toBeUndefined();
    expect(countStringProblem('0,1', 1)).toMatch(/below 1/);
    expect(countStringProblem('[2+', 1)).toMatch(/must be an integer/);
    expect(countStringProblem('1-4:1:*', 1)).toMatch(/operand/);
  });
});

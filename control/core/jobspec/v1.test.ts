// v1.test.ts - RFC 25 rules for jobspec version 1, checked without the conformance corpus.
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../errors.ts';
import { jobspecV1Schema, validateJobspecV1 } from './v1.ts';
import { parseJobspecText } from './parse.ts';
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';

/** A valid V1 jobspec: node[2] > slot[1] > core[2]; `edit` mutates a fresh copy. */
function spec(edit: (js: any) => void = () => {}): any {
  const js = {
    version: 1,
    resources: [{ type: 'node', count: 2, with: [{ type: 'slot', count: 1, label: 'task', with: [{ type: 'core', count: 2 }] }] }],
    tasks: [{ command: ['app', '--flag'], slot: 'task', count: { per_slot: 1 } }],
    attributes: { system: { duration: 60 } },
  };
  edit(js);
  return js;
}

function errorOf(obj: unknown): string {
  try {
    validateJobspecV1(obj);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidInputError);
    return (e as Error).message;
  }
  throw new Error('expected the jobspec to be rejected');
}

describe('validateJobspecV1 accepts', () => {
  it('node > slot > core', () => {
    expect(validateJobspecV1(spec()).resources[0]!.type).toBe('node');
  });
  it('slot > core at the top, with a gpu, and total task counts (oversubscribed too)', () => {
    const js = spec((j) => {
      j.resources = [{ type: 'slot', count: 3, label: 'task', with: [{ type: 'core', count: 1 }, { type: 'gpu', count: 1 }] }];
      j.tasks[0].count = { total: 7 };
    });
    expect(validateJobspecV1(js).tasks[0]!.count).toEqual({ total: 7 });
  });
  it('gpu count 0, exclusive nodes, units', () => {
    const js = spec((j) => {
      j.resources[0].exclusive = true;
      j.resources[0].with[0].with.push({ type: 'gpu', count: 0, unit: 'device' });
    });
    expect(() => validateJobspecV1(js)).not.toThrow();
  });
  it('the system attributes Flurry uses, unknown system attributes, and user attributes', () => {
    const js = spec((j) => {
      j.attributes.system = {
        duration: 0,
        environment: { HOME: '/home/u' },
        cwd: '/home/u',
        queue: 'batch',
        shell: { options: { verbose: 1 } },
        constraints: { and: [{ properties: ['efa'] }, { not: [{ hostlist: ['n[1-2]'] }] }] },
        dependencies: [{ scheme: 'afterok', value: 'ƒ2MU1GM7V' }, { scheme: 'string', value: 'foo', type: 'in' }],
        job: { name: 'mine' },
        'preemptible-after': 30,
        bank: 'physics',
        somethingNew: [1, 2],
      };
      j.attributes.user = { anything: { goes: true } };
    });
    expect(validateJobspecV1(js).attributes.system.job?.name).toBe('mine');
  });
  it('YAML with a float duration', () => {
    const text = 'version: 1\nresources:\n  - type: slot\n    count: 1\n    label: s\n    with: [{type: core, count: 1}]\ntasks:\n  - command: [hostname]\n    slot: s\n    count: {per_slot: 1}\nattributes:\n  system:\n    duration: 3600.\n';
    expect(validateJobspecV1(parseJobspecText(text)).attributes.system.duration).toBe(3600);
  });
});

describe('validateJobspecV1 rejects, naming the field', () => {
  const cases: Array<[string, (j: any) => void, string]> = [
    ['non-integer count', (j) => (j.resources[0].with[0].with[0].count = 1.5), 'resources[0].with[0].with[0].count: must be an integer ≥ 1'],
    ['zero node count', (j) => (j.resources[0].count = 0), 'resources[0].count: must be an integer ≥ 1'],
    ['count ranges', (j) => (j.resources[0].count = { min: 1 }), 'resources[0].count: must be an integer ≥ 1'],
    ['negative gpu count', (j) => j.resources[0].with[0].with.push({ type: 'gpu', count: -1 }), 'resources[0].with[0].with[1].count: must be an integer ≥ 0'],
    ['an unknown top resource', (j) => (j.resources[0].type = 'rack'), 'resources[0].type: must be "node" or "slot"'],
    ['a node under a slot', (j) => (j.resources = [{ type: 'slot', count: 1, label: 'task', with: [{ type: 'node', count: 1 }] }]), 'resources[0].with[0].type: must be "core" or "gpu"'],
    ['two resources', (j) => j.resources.push(j.resources[0]), 'resources: must hold exactly one resource: a node or a slot'],
    ['a slot without a core', (j) => (j.resources[0].with[0].with = [{ type: 'gpu', count: 1 }]), 'resources[0].with[0].with: must hold a core'],
    ['two cores', (j) => j.resources[0].with[0].with.push({ type: 'core', count: 1 }), 'resources[0].with[0].with: must not hold two core vertices'],
    ['three vertices in a slot', (j) => j.resources[0].with[0].with.push({ type: 'gpu', count: 1 }, { type: 'gpu', count: 1 }), 'resources[0].with[0].with: must hold a core and at most one gpu'],
    ['a node with two slots', (j) => j.resources[0].with.push(j.resources[0].with[0]), 'resources[0].with: must hold exactly one slot'],
    ['a slot without a label', (j) => delete j.resources[0].with[0].label, 'resources[0].with[0].label: is required'],
    ['an unknown resource key', (j) => (j.resources[0].id = 'x'), 'resources[0].id: unknown key'],
    ['exclusive that is not a boolean', (j) => (j.resources[0].exclusive = 'yes'), 'resources[0].exclusive: must be true or false'],
    ['version 2', (j) => (j.version = 2), 'version: must be 1'],
    ['no tasks', (j) => (j.tasks = []), 'tasks: must hold exactly one task'],
    ['two tasks', (j) => j.tasks.push(j.tasks[0]), 'tasks: must hold exactly one task'],
    ['an empty command', (j) => (j.tasks[0].command = []), 'tasks[0].command: must not be empty'],
    ['a command string', (j) => (j.tasks[0].command = 'app'), 'tasks[0].command: must be a list of strings'],
    ['a non-string argument', (j) => (j.tasks[0].command = ['app', 3]), 'tasks[0].command[1]: must be a string'],
    ['a task slot naming no slot', (j) => (j.tasks[0].slot = 'other'), 'tasks[0].slot: must name the slot label "task"'],
    ['per_slot other than 1', (j) => (j.tasks[0].count = { per_slot: 2 }), 'tasks[0].count.per_slot: must be 1 in a version 1 jobspec'],
    ['per_resource', (j) => (j.tasks[0].count = { per_resource: { type: 'core', count: 1 } }), 'tasks[0].count: must hold exactly one of per_slot or total'],
    ['both per_slot and total', (j) => (j.tasks[0].count = { per_slot: 1, total: 2 }), 'tasks[0].count: must hold exactly one of per_slot or total'],
    ['a total below the node count', (j) => (j.tasks[0].count = { total: 1 }), 'tasks[0].count.total: must be at least the node count (2)'],
    ['a missing duration', (j) => (j.attributes.system = {}), 'attributes.system.duration: is required'],
    ['a negative duration', (j) => (j.attributes.system.duration = -1), 'attributes.system.duration: must be a number of seconds ≥ 0'],
    ['a duration string', (j) => (j.attributes.system.duration = '1h'), 'attributes.system.duration: must be a number of seconds ≥ 0'],
    ['a relative cwd', (j) => (j.attributes.system.cwd = 'tmp'), 'attributes.system.cwd: must be an absolute path'],
    ['a non-string environment value', (j) => (j.attributes.system.environment = { A: 1 }), 'attributes.system.environment.A: must be a string'],
    ['dependencies that are not a list', (j) => (j.attributes.system.dependencies = { scheme: 'afterok' }), 'attributes.system.dependencies: must be a list'],
    ['a dependency without a value', (j) => (j.attributes.system.dependencies = [{ scheme: 'afterok' }]), 'attributes.system.dependencies[0].value: is required'],
    ['constraints that are a list', (j) => (j.attributes.system.constraints = ['efa']), 'attributes.system.constraints: must be a mapping'],
    ['an unknown constraint operator', (j) => (j.attributes.system.constraints = { or: [{ color: ['red'] }] }), 'attributes.system.constraints.or[0].color: unknown constraint operator'],
    ['a job name that is not a string', (j) => (j.attributes.system.job = { name: 5 }), 'attributes.system.job.name: must be a string'],
    ['urgency in the jobspec', (j) => (j.attributes.system.urgency = 20), 'attributes.system.urgency: is not a jobspec attribute'],
    ['an unknown attributes section', (j) => (j.attributes.foo = {}), 'attributes.foo: unknown key'],
    ['a missing system section', (j) => (j.attributes = { user: {} }), 'attributes.system: is required'],
    ['an unknown top-level key', (j) => (j.extra = 1), 'extra: unknown key'],
    ['a missing resources key', (j) => delete j.resources, 'resources: is required'],
  ];
  it.each(cases)('%s', (_name, edit, message) => {
    expect(errorOf(spec(edit))).toContain(message);
  });

  it('non-mappings', () => {
    expect(errorOf(null)).toMatch(/must be a mapping/);
    expect(errorOf([1])).toMatch(/must be a mapping/);
  });

  it('reports the shallowest problem first', () => {
    const js = spec((j) => {
      j.tasks = 'x';
      j.resources[0].with[0].with[0].count = 0;
    });
    expect(errorOf(js)).toBe('tasks: must be a list');
  });
});

describe('jobspecV1Schema', () => {
  it('is a zod schema the API can reuse', () => {
    expect(jobspecV1Schema.safeParse(spec()).success).toBe(true);
    expect(jobspecV1Schema.safeParse({}).success).toBe(false);
  });
  it('generates an OpenAPI document (the recursive constraint becomes a $ref)', () => {
    const app = new OpenAPIHono();
    const route = createRoute({
      method: 'post',
      path: '/v1/jobs',
      request: { body: { content: { 'application/json': { schema: jobspecV1Schema } } } },
      responses: { 200: { description: 'ok' } },
    });
    app.openapi(route, (c) => c.json({}));
    const doc = app.getOpenAPIDocument({ openapi: '3.0.0', info: { title: 'flurry', version: '1' } });
    expect(Object.keys(doc.components?.schemas ?? {})).toContain('Constraint');
  });
});

// v1.ts - the jobspec version 1 schema (RFC 25) as a zod object, shared with the HTTP API, plus the V1 rules
// a schema cannot state. Invariant: a value returned by validateJobspecV1 is node?>slot>(core,gpu?) with one task
// whose `slot` names the slot label and whose count is per_slot: 1 or total ≥ the node count.
import * as z from 'zod';
import { InvalidInputError } from '../errors.ts';
import { constraintSchema } from '../constraint.ts';
import { invalidFrom, jobspecErrorMap, says } from './issues.ts';

const POSITIVE = 'must be an integer ≥ 1';
/** An integer ≥ 1 with one message for every way of getting it wrong. */
export const positiveInt = () => z.int(says(POSITIVE)).min(1, POSITIVE);

const coreVertex = z.strictObject({
  type: z.literal('core'),
  count: positiveInt(),
  unit: z.string().optional(),
});

const gpuVertex = z.strictObject({
  type: z.literal('gpu'),
  count: z.int(says('must be an integer ≥ 0')).min(0, 'must be an integer ≥ 0'),
  unit: z.string().optional(),
});

const slotVertex = z
  .strictObject({
    type: z.literal('slot'),
    count: positiveInt(),
    label: z.string().min(1),
    unit: z.string().optional(),
    exclusive: z.boolean().optional(),
    with: z
      .array(z.discriminatedUnion('type', [coreVertex, gpuVertex]))
      .min(1, 'must hold a core (and optionally a gpu)')
      .max(2, 'must hold a core and at most one gpu'),
  })
  .superRefine((slot, ctx) => {
    const types = slot.with.map((v) => v.type);
    if (!types.includes('core')) ctx.addIssue({ code: 'custom', path: ['with'], message: 'must hold a core' });
    else if (types[0] === types[1]) ctx.addIssue({ code: 'custom', path: ['with'], message: `must not hold two ${types[0]} vertices` });
  });

const nodeVertex = z.strictObject({
  type: z.literal('node'),
  count: positiveInt(),
  unit: z.string().optional(),
  exclusive: z.boolean().optional(),
  with: z.array(slotVertex).length(1, 'must hold exactly one slot'),
});

const taskCount = z
  .strictObject({
    per_slot: z.literal(1, says('must be 1 in a version 1 jobspec')).optional(),
    total: positiveInt().optional(),
  })
  .superRefine((c, ctx) => {
    const n = Number(c.per_slot !== undefined) + Number(c.total !== undefined);
    if (n !== 1) ctx.addIssue({ code: 'custom', path: [], message: 'must hold exactly one of per_slot or total' });
  });

const task = z.strictObject({
  command: z.array(z.string(), says('must be a list of strings')).min(1, 'must not be empty'),
  slot: z.string().min(1),
  count: taskCount,
});

const dependency = z.looseObject({ scheme: z.string().min(1), value: z.string() });

/** `attributes.system`: the attributes Flurry acts on are typed; others are accepted untouched (RFC 14: warn only). */
const systemAttributes = z
  .looseObject({
    duration: z.number(says('must be a number of seconds ≥ 0')).min(0, 'must be a number of seconds ≥ 0'),
    'preemptible-after': z.number().min(0).optional(),
    environment: z.record(z.string(), z.string()).optional(),
    cwd: z.string().startsWith('/', 'must be an absolute path').optional(),
    shell: z.looseObject({ options: z.record(z.string(), z.unknown()).optional() }).optional(),
    queue: z.string().min(1).optional(),
    bank: z.string().optional(),
    project: z.string().optional(),
    constraints: constraintSchema.optional(),
    dependencies: z.array(dependency).optional(),
    job: z.record(z.string(), z.string()).optional(),
    files: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((sys, ctx) => {
    if ('urgency' in sys) {
      ctx.addIssue({ code: 'custom', path: ['urgency'], message: 'is not a jobspec attribute: give the urgency when submitting (--urgency)' });
    }
  });

/**
 * Jobspec version 1 (RFC 25). Parse with `{ error: jobspecErrorMap }` for messages in the project's style, or call
 * validateJobspecV1, which also applies the cross-field rules.
 */
export const jobspecV1Schema = z.strictObject({
  version: z.literal(1, says('must be 1')),
  resources: z
    .array(z.discriminatedUnion('type', [nodeVertex, slotVertex]))
    .length(1, 'must hold exactly one resource: a node or a slot'),
  tasks: z.array(task).length(1, 'must hold exactly one task'),
  attributes: z.strictObject({
    system: systemAttributes,
    user: z.record(z.string(), z.unknown()).optional(),
  }),
});

export type JobspecV1 = z.infer<typeof jobspecV1Schema>;
export type SlotVertexV1 = z.infer<typeof slotVertex>;

/**
 * The slot vertex of a valid V1 jobspec, the node count above it (undefined when there is no node), and whether
 * the nodes are exclusive.
 * @example slotOf(jobspecFromShape(['a'], { nodes: 2 })) // { slot: { type: 'slot', count: 1, ... }, nodes: 2, exclusive: true }
 */
export function slotOf(js: JobspecV1): { slot: SlotVertexV1; nodes: number | undefined; exclusive: boolean } {
  const top = js.resources[0]!;
  if (top.type === 'node') return { slot: top.with[0]!, nodes: top.count, exclusive: top.exclusive ?? false };
  return { slot: top, nodes: undefined, exclusive: false };
}

/**
 * Validate a parsed jobspec as version 1. Throws InvalidInputError whose message names the field:
 * `resources[0].with[0].count: must be an integer ≥ 1`.
 * @example const js = validateJobspecV1(parseJobspecText(text));
 */
export function validateJobspecV1(obj: unknown): JobspecV1 {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new InvalidInputError('a jobspec must be a mapping with version, resources, tasks and attributes');
  }
  const r = jobspecV1Schema.safeParse(obj, { error: jobspecErrorMap });
  if (!r.success) throw invalidFrom(r.error.issues);
  const js = r.data;
  const { slot, nodes } = slotOf(js);
  const t = js.tasks[0]!;
  if (t.slot !== slot.label) {
    throw new InvalidInputError(`must name the slot label "${slot.label}"`, 'tasks[0].slot');
  }
  if (t.count.total !== undefined && nodes !== undefined && t.count.total < nodes) {
    throw new InvalidInputError(`must be at least the node count (${nodes})`, 'tasks[0].count.total');
  }
  return js;
}

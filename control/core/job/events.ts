// events.ts - one job eventlog entry (RFC 18) and the RFC 21 events' contexts, as zod schemas.
// Invariant: an entry has a timestamp > 0, a non-empty name and an optional object context; a known event's
// context has the keys RFC 21 requires (extra keys are allowed, except on start, free and clean, whose context SHALL be empty).
import * as z from 'zod';

/** One eventlog entry (RFC 18). `timestamp` is seconds since the epoch, with sub-second precision. */
export interface JobEvent {
  timestamp: number;
  name: string;
  context?: Record<string, unknown>;
}

/** Every event RFC 21 defines (`debug.*` events are a family, matched by prefix). */
export const EVENT_NAMES = [
  'submit', 'jobspec-update', 'validate', 'invalidate', 'set-flags', 'dependency-add', 'dependency-remove',
  'depend', 'priority', 'flux-restart', 'urgency', 'alloc', 'prolog-start', 'prolog-finish', 'epilog-start',
  'epilog-finish', 'free', 'start', 'release', 'finish', 'clean', 'exception', 'memo',
] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** Exception severity that ends a job (RFC 21: severity 0 moves it to CLEANUP). */
export const FATAL = 0;
/** Urgency given when a submission names none (RFC 30). */
export const DEFAULT_URGENCY = 16;

const int = (min: number, max: number, what: string) =>
  z.number({ error: `must be ${what}` }).int({ error: `must be ${what}` }).min(min, { error: `must be ${what}` }).max(max, { error: `must be ${what}` });
const text = z.string({ error: 'must be a string' });
const userid = z.union([z.string().min(1), z.number().int().nonnegative()], {
  error: 'must be an owner name or a numeric user id',
});
const description = z.looseObject({ description: text });
const perilogFinish = z.looseObject({ description: text, status: int(-2147483648, 2147483647, 'an integer') });
const empty = z.strictObject({}, { error: 'must be empty' });

/** Context schemas of the RFC 21 events that define one; unlisted events take any object. */
export const eventContextSchemas = {
  submit: z.looseObject({
    userid,
    urgency: int(0, 31, 'an integer 0-31'),
    flags: z.union([z.number().int().nonnegative(), z.array(text)], { error: 'must be a bit mask or a list of flag names' }).optional(),
    version: z.literal(1, { error: 'must be 1 (the eventlog version this reducer reads)' }),
  }),
  'jobspec-update': z.record(z.string(), z.unknown())
    .refine((o) => Object.keys(o).length > 0, { error: 'must contain at least one key' })
    .refine((o) => Object.keys(o).every((k) => k.startsWith('attributes.')), { error: 'keys must begin with "attributes."' }),
  'set-flags': z.looseObject({ flags: z.array(text, { error: 'must be a list of flag names' }) }),
  'dependency-add': description,
  'dependency-remove': description,
  priority: z.looseObject({ priority: int(0, 4294967295, 'an integer 0-4294967295') }),
  urgency: z.looseObject({ urgency: int(0, 31, 'an integer 0-31'), userid }),
  alloc: z.looseObject({ annotations: z.record(z.string(), z.unknown(), { error: 'must be an object' }).optional() }),
  'prolog-start': description,
  'prolog-finish': perilogFinish,
  'epilog-start': description,
  'epilog-finish': perilogFinish,
  start: empty,
  free: empty,
  clean: empty,
  release: z.looseObject({ ranks: text, final: z.boolean({ error: 'must be true or false' }) }),
  finish: z.looseObject({ status: int(0, 0xffff, 'a wait status (an integer 0-65535)') }),
  exception: z.looseObject({
    type: text.min(1, { error: 'must not be empty' }),
    severity: int(0, 7, 'an integer 0-7'),
    note: text,
    userid: userid.optional(),
  }),
} satisfies Partial<Record<EventName, z.ZodType>>;

export type SubmitContext = z.infer<(typeof eventContextSchemas)['submit']>;
export type ExceptionContext = z.infer<(typeof eventContextSchemas)['exception']>;
export type ReleaseContext = z.infer<(typeof eventContextSchemas)['release']>;
export type FinishContext = z.infer<(typeof eventContextSchemas)['finish']>;

/** Events whose context RFC 21 requires: a missing context is an error, not an empty one. */
const CONTEXT_REQUIRED = new Set<string>(['submit', 'jobspec-update', 'set-flags', 'dependency-add', 'dependency-remove',
  'priority', 'urgency', 'prolog-start', 'prolog-finish', 'epilog-start', 'epilog-finish', 'release', 'finish', 'exception']);

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      const path = ['context', ...i.path.map(String)].join('.');
      return i.code === 'unrecognized_keys' ? `${path}: must be empty` : `${path}: ${i.message}`;
    })
    .join('; ');
}

/**
 * Check a known event's context against RFC 21; null when it is fine (or the event defines no context).
 * @example checkContext({ timestamp: 1, name: 'priority', context: {} }) // 'context.priority: must be an integer 0-4294967295'
 */
export function checkContext(ev: JobEvent): string | null {
  const schema = (eventContextSchemas as Record<string, z.ZodType>)[ev.name];
  if (!schema) return null;
  if (ev.context === undefined) return CONTEXT_REQUIRED.has(ev.name) ? 'context: required' : null;
  const r = schema.safeParse(ev.context);
  return r.success ? null : describeIssues(r.error.issues);
}

/**
 * One eventlog entry: RFC 18's shape, plus RFC 21's context rules for the events it defines.
 * @example jobEventSchema.parse({ timestamp: 1552593348.07, name: 'finish', context: { status: 0 } })
 */
export const jobEventSchema = z
  .object({
    timestamp: z.number({ error: 'must be a number' }).finite().gt(0, { error: 'must be greater than zero' }),
    name: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).max(128, { error: 'must be at most 128 characters' }),
    context: z.record(z.string(), z.unknown(), { error: 'must be an object' }).optional(),
  })
  .superRefine((ev, ctx) => {
    const problem = checkContext(ev);
    if (problem) ctx.addIssue({ code: 'custom', message: `event "${ev.name}": ${problem}`, path: ['context'] });
  });

/**
 * The first event of every job.
 * @example submitEvent(1700000000.5, { userid: 'alice' }) // { name: 'submit', context: { userid: 'alice', urgency: 16, flags: 0, version: 1 }, … }
 */
export function submitEvent(timestamp: number, opts: { userid: string; urgency?: number; flags?: number | string[] }): JobEvent {
  return { timestamp, name: 'submit', context: { userid: opts.userid, urgency: opts.urgency ?? DEFAULT_URGENCY, flags: opts.flags ?? 0, version: 1 } };
}

// schemas.ts - the zod schemas shared by several routes (errors, JobSummary, JobInfo, R) and the functions that
// turn service results into their JSON form. Invariants: these schemas are what the OpenAPI document says the
// answers are; every `id` leaves as an f58 string (never a bigint or number); unknown service fields are not copied.
import { z } from '@hono/zod-openapi';
import { RESULTS, STATES } from '../core/job/index.ts';
import type { Rv1 } from '../core/resource/types.ts';
import type { JobInfo, JobSummary } from '../services.ts';
import { encodeId, JobIdSchema } from './ids.ts';
import { JOBSPEC_REF } from './jobspec-doc.ts';

/** `{error: {code, message, field?}}`: the body of every 4xx/5xx answer. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z
        .string()
        .openapi({ example: 'invalid', description: 'invalid, unauthorized, forbidden, not_found, conflict, too_large, unsupported_media_type, unavailable or internal' }),
      message: z.string().openapi({ example: 'body.urgency: must be ≤ 31' }),
      field: z.string().optional().openapi({ description: 'For `invalid`: the offending field path', example: 'body.urgency' }),
    }),
  })
  .openapi('Error');

const ERROR_DESCRIPTIONS = {
  400: 'Invalid input; `error.field` names the offending field (`body.urgency`, `query.limit`, `path.id`)',
  401: 'Missing, malformed or unknown bearer token',
  403: 'The caller may not do this',
  404: 'No such job, node or route',
  409: 'The request conflicts with the current state',
  413: 'The request body is over the size limit',
  415: 'The request body is not application/json',
  500: 'Internal error (logged by the server)',
  503: 'Temporarily unavailable; retry',
} as const;
type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;
type ErrorResponse = { description: string; content: { 'application/json': { schema: typeof ErrorSchema } } };

/**
 * OpenAPI `responses` entries for the given error statuses, all with the Error body.
 * @example responses: { 200: {...}, ...errorResponses(400, 401, 404) }
 */
export function errorResponses<const S extends ErrorStatus>(...statuses: S[]): { [K in S]: ErrorResponse } {
  const out = {} as { [K in S]: ErrorResponse };
  for (const s of [...statuses, 500 as S]) out[s] = { description: ERROR_DESCRIPTIONS[s], content: { 'application/json': { schema: ErrorSchema } } };
  return out;
}

/** A JSON response entry for `responses`. */
export function jsonResponse<T extends z.ZodType>(description: string, schema: T) {
  return { description, content: { 'application/json': { schema } } };
}

/**
 * An integer schema that says "must be an integer" for any non-integer, strings included (zod says "number").
 * @example int().min(0).max(31)
 */
export const int = () => z.int({ error: (iss) => (iss.input === undefined ? 'is required' : 'must be an integer') });

/** The same for a query parameter, which arrives as text. */
export const queryInt = () => z.coerce.number({ error: () => 'must be an integer' }).int();

/** The security requirement of every route behind the bearer middleware. */
export const BEARER = [{ bearerAuth: [] }];

const ExceptionSchema = z.object({ type: z.string(), severity: z.int().min(0).max(7), note: z.string() });

/** A job as `flurry jobs` lists it. */
export const JobSummarySchema = z
  .object({
    id: JobIdSchema,
    owner: z.string(),
    name: z.string(),
    state: z.enum(STATES),
    stateCode: z.string().openapi({ description: "Flux's ST column: D P S R C, or CD F CA TO once inactive" }),
    result: z.enum(RESULTS).optional(),
    exitCode: z.int().optional(),
    signal: z.int().optional(),
    waitstatus: z.int().optional(),
    urgency: z.int().min(0).max(31),
    priority: z.number().optional(),
    ntasks: z.int().optional(),
    nnodes: z.int().optional(),
    nodelist: z.string().optional(),
    t_submit: z.number().openapi({ description: 'Seconds since the Unix epoch' }),
    t_run: z.number().optional(),
    t_inactive: z.number().optional(),
    runtime: z.number().openapi({ description: 'Seconds run so far' }),
    duration: z.number().openapi({ description: 'Time limit in seconds, 0 = unlimited' }),
    exception: ExceptionSchema.optional(),
  })
  .openapi('JobSummary');
export type JobSummaryJson = z.infer<typeof JobSummarySchema>;

/** RFC 20 resource set R, version 1. */
export const RSchema = z
  .object({
    version: z.literal(1),
    execution: z.object({
      R_lite: z.array(z.object({ rank: z.string(), children: z.object({ core: z.string().optional(), gpu: z.string().optional() }) })),
      nodelist: z.array(z.string()),
      starttime: z.number(),
      expiration: z.number(),
      properties: z.record(z.string(), z.string()).optional(),
    }),
  })
  .openapi('R', { description: 'RFC 20 resource set (R version 1)' });

/** A JobSummary plus the jobspec and, once allocated, R. */
export const JobInfoSchema = JobSummarySchema.extend({
  jobspec: z.unknown().openapi({ $ref: JOBSPEC_REF } as Record<string, unknown>),
  R: RSchema.optional(),
}).openapi('JobInfo');
export type JobInfoJson = z.infer<typeof JobInfoSchema>;

/**
 * The JSON form of a JobSummary: the id in f58, only the documented fields.
 * @example toSummaryJson(summary).id // 'ƒ2MU1GM7V'
 */
export function toSummaryJson(s: JobSummary): JobSummaryJson {
  return prune({
    id: encodeId(s.id),
    owner: s.owner,
    name: s.name,
    state: s.state,
    stateCode: s.stateCode,
    result: s.result,
    exitCode: s.exitCode,
    signal: s.signal,
    waitstatus: s.waitstatus,
    urgency: s.urgency,
    priority: s.priority,
    ntasks: s.ntasks,
    nnodes: s.nnodes,
    nodelist: s.nodelist,
    t_submit: s.t_submit,
    t_run: s.t_run,
    t_inactive: s.t_inactive,
    runtime: s.runtime,
    duration: s.duration,
    exception: s.exception && { type: s.exception.type, severity: s.exception.severity, note: s.exception.note },
  });
}

/** The JSON form of a JobInfo. */
export function toInfoJson(info: JobInfo): JobInfoJson {
  const R: Rv1 | undefined = info.R;
  return prune({ ...toSummaryJson(info), jobspec: info.jobspec, R });
}

/** Drops keys whose value is undefined, so answers hold only what is known. */
function prune<T extends object>(obj: T): T {
  for (const k of Object.keys(obj) as Array<keyof T>) if (obj[k] === undefined) delete obj[k];
  return obj;
}

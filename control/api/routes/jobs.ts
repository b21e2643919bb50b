// jobs.ts - the /v1/jobs routes: submit, list, info, eventlog and output (long polling), cancel, urgency.
// Invariants: thin maps onto JobService (all job rules live there); ids arrive in any RFC 19 encoding and leave
// as f58; field paths in errors are those of the request body (`body.jobspec…`, `body.jobspecs[3]…`).
import { createRoute, z } from '@hono/zod-openapi';
import { InvalidInputError } from '../../core/errors.ts';
import { parseIdset } from '../../core/idset.ts';
import { parseJobspecText } from '../../core/jobspec/index.ts';
import type { SubmitInput } from '../../services.ts';
import { encodeId, JobIdParams, JobIdSchema, jsonSafe } from '../ids.ts';
import { JobspecInput, registerJobspecSchemas } from '../jobspec-doc.ts';
import { BEARER, errorResponses, int, queryInt, JobInfoSchema, JobSummarySchema, jsonResponse, toInfoJson, toSummaryJson } from '../schemas.ts';
import { subApp, waitMs, type RouteKit } from './kit.ts';

/** At most this many jobspecs in one submission, and this many ids in `cc`. */
export const MAX_JOBSPECS = 1000;
export const MAX_CC_IDS = 100_000;

const SubmitRequest = z
  .strictObject({
    jobspec: JobspecInput.optional(),
    jobspecs: z.array(JobspecInput).min(1).max(MAX_JOBSPECS).optional(),
    cc: z.string().optional().openapi({ description: `RFC 22 idset: submit one copy of \`jobspec\` per id (≤ ${MAX_CC_IDS} ids)`, example: '1-100' }),
    urgency: int().min(0).max(31).optional().openapi({ description: 'RFC 30 urgency, default 16; 31 (expedite) is for the instance owner' }),
    clientToken: z.string().min(1).max(128).optional().openapi({ description: 'Idempotency token: a retry with the same token gets the same ids and creates nothing' }),
  })
  .superRefine((b, ctx) => {
    if ((b.jobspec === undefined) === (b.jobspecs === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'must hold exactly one of jobspec or jobspecs' });
    } else if (b.cc !== undefined && b.jobspec === undefined) {
      ctx.addIssue({ code: 'custom', path: ['cc'], message: 'is only allowed with a single jobspec' });
    }
  })
  .openapi('SubmitRequest');

const WaitQuery = z.coerce
  .number()
  .optional()
  .openapi({ description: 'Seconds to wait for something new when there is nothing yet (clamped to 0–60; default 0)', example: 30 });

const ListQuery = z.object({
  filter: z.string().max(256).optional().openapi({ description: 'States/results, comma-separated (pending,running,inactive,completed…); default active' }),
  user: z.string().max(256).optional().openapi({ description: 'Whose jobs: default the caller; `*` = everyone (instance owner only)' }),
  name: z.string().max(256).optional().openapi({ description: 'Only jobs with exactly this name' }),
  limit: queryInt().min(1).max(1000).optional().openapi({ description: 'Page size, default 100' }),
  cursor: z.string().max(4096).optional().openapi({ description: 'From the previous page' }),
});

const EventSchema = z
  .object({ timestamp: z.number(), name: z.string(), context: z.record(z.string(), z.unknown()).optional() })
  .openapi('JobEvent', { description: 'One RFC 18/21 eventlog entry' });

const EventlogPage = z
  .object({
    events: z.array(EventSchema),
    next: z.int().openapi({ description: 'Pass as `from` to get only newer events' }),
    done: z.boolean().openapi({ description: 'The job is inactive: no event will follow' }),
  })
  .openapi('EventlogPage');

const OutputPage = z
  .object({
    entries: z.array(z.object({ stream: z.enum(['stdout', 'stderr']), task: z.int(), data: z.string() })),
    cursor: z.string().openapi({ description: 'Opaque; pass back to continue after these entries' }),
    done: z.boolean().openapi({ description: 'The job is inactive and all its output has been read' }),
    truncated: z.boolean().openapi({ description: 'Some output was dropped at the per-job cap' }),
  })
  .openapi('OutputPage');

const CancelRequest = z.strictObject({ note: z.string().max(1024).optional() }).openapi('CancelRequest');
const UrgencyRequest = z.strictObject({ urgency: int().min(0).max(31) }).openapi('UrgencyRequest');

/**
 * The /jobs routes, relative to /v1.
 * @example app.route('/v1', jobsRoutes(kit))
 */
export function jobsRoutes(kit: RouteKit) {
  const { services, auth, body } = kit;
  const app = subApp();
  registerJobspecSchemas(app.openAPIRegistry);
  const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });

  return app
    .openapi(
      createRoute({
        method: 'post', path: '/jobs', tags: ['jobs'], summary: 'Submit jobs', security: BEARER, middleware: [auth, body] as const,
        request: { body: { ...json(SubmitRequest), required: true } },
        responses: {
          201: jsonResponse('The jobs are durable; ids in submission order', z.object({ ids: z.array(JobIdSchema) })),
          ...errorResponses(400, 401, 403, 409, 413, 415, 503),
        },
      }),
      async (c) => {
        const req = c.req.valid('json');
        const single = req.jobspec !== undefined;
        const given = single ? [req.jobspec] : (req.jobspecs ?? []);
        const input: SubmitInput = {
          jobspecs: given.map((js, i) => (typeof js === 'string' ? parseText(js, single ? 'body.jobspec' : `body.jobspecs[${i}]`) : js)),
        };
        if (req.cc !== undefined) input.cc = parseCc(req.cc);
        if (req.urgency !== undefined) input.urgency = req.urgency;
        if (req.clientToken !== undefined) input.clientToken = req.clientToken;
        const { ids } = await services.jobs.submit(c.get('caller'), input).catch((err: unknown) => {
          throw inBody(err, single);
        });
        return c.json({ ids: ids.map(encodeId) }, 201);
      },
    )
    .openapi(
      createRoute({
        method: 'get', path: '/jobs', tags: ['jobs'], summary: 'List jobs, newest first', security: BEARER, middleware: [auth] as const,
        request: { query: ListQuery },
        responses: {
          200: jsonResponse('A page of jobs', z.object({ jobs: z.array(JobSummarySchema), cursor: z.string().optional() })),
          ...errorResponses(400, 401, 403, 503),
        },
      }),
      async (c) => {
        const q = c.req.valid('query');
        const page = await services.jobs.list(c.get('caller'), defined({ filter: q.filter, user: q.user, name: q.name, limit: q.limit, cursor: q.cursor }));
        const out: { jobs: ReturnType<typeof toSummaryJson>[]; cursor?: string } = { jobs: page.jobs.map(toSummaryJson) };
        if (page.cursor !== undefined) out.cursor = page.cursor;
        return c.json(out, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get', path: '/jobs/{id}', tags: ['jobs'], summary: 'One job, with its jobspec and R', security: BEARER, middleware: [auth] as const,
        request: { params: JobIdParams },
        responses: { 200: jsonResponse('The job', JobInfoSchema), ...errorResponses(400, 401, 403, 404, 503) },
      }),
      async (c) => c.json(toInfoJson(await services.jobs.info(c.get('caller'), c.req.valid('param').id)), 200),
    )
    .openapi(
      createRoute({
        method: 'get', path: '/jobs/{id}/eventlog', tags: ['jobs'], summary: 'Eventlog entries from an index (long polling)', security: BEARER, middleware: [auth] as const,
        request: {
          params: JobIdParams,
          query: z.object({ from: queryInt().min(0).optional().openapi({ description: 'First event index, default 0' }), wait: WaitQuery }),
        },
        responses: { 200: jsonResponse('Events from `from` on', EventlogPage), ...errorResponses(400, 401, 403, 404, 503) },
      }),
      async (c) => {
        const q = c.req.valid('query');
        const wait = waitMs(q.wait, kit.maxWaitSeconds);
        const page = await services.jobs.eventlog(c.get('caller'), c.req.valid('param').id, q.from ?? 0, wait, c.req.raw.signal);
        const events = page.events.map((e) => (e.context === undefined ? { timestamp: e.timestamp, name: e.name } : { timestamp: e.timestamp, name: e.name, context: jsonSafe(e.context) as Record<string, unknown> }));
        return c.json({ events, next: page.next, done: page.done }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'get', path: '/jobs/{id}/output', tags: ['jobs'], summary: 'Standard output and error (long polling)', security: BEARER, middleware: [auth] as const,
        request: { params: JobIdParams, query: z.object({ cursor: z.string().max(4096).optional(), wait: WaitQuery }) },
        responses: { 200: jsonResponse('Output after `cursor`', OutputPage), ...errorResponses(400, 401, 403, 404, 503) },
      }),
      async (c) => {
        const q = c.req.valid('query');
        const wait = waitMs(q.wait, kit.maxWaitSeconds);
        const page = await services.jobs.output(c.get('caller'), c.req.valid('param').id, q.cursor, wait, c.req.raw.signal);
        const entries = page.entries.map((e) => ({ stream: e.stream, task: e.task, data: e.data }));
        return c.json({ entries, cursor: page.cursor, done: page.done, truncated: page.truncated }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post', path: '/jobs/{id}/cancel', tags: ['jobs'], summary: 'Cancel a job', security: BEARER, middleware: [auth, body] as const,
        request: { params: JobIdParams, body: { ...json(CancelRequest), required: false } },
        responses: { 200: jsonResponse('The job after the cancel exception', JobSummarySchema), ...errorResponses(400, 401, 403, 404, 409, 413, 415, 503) },
      }),
      async (c) => {
        const { note } = c.req.valid('json');
        return c.json(toSummaryJson(await services.jobs.cancel(c.get('caller'), c.req.valid('param').id, note)), 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post', path: '/jobs/{id}/urgency', tags: ['jobs'], summary: "Change a pending job's urgency", security: BEARER, middleware: [auth, body] as const,
        request: { params: JobIdParams, body: { ...json(UrgencyRequest), required: true } },
        responses: { 200: jsonResponse('The job with its new urgency', JobSummarySchema), ...errorResponses(400, 401, 403, 404, 409, 413, 415, 503) },
      }),
      async (c) => {
        const { urgency } = c.req.valid('json');
        return c.json(toSummaryJson(await services.jobs.setUrgency(c.get('caller'), c.req.valid('param').id, urgency)), 200);
      },
    );
}

/** YAML/JSON text → data; a syntax error names the body field that held the text. */
function parseText(text: string, field: string): unknown {
  try {
    return parseJobspecText(text);
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    const where = err.field && err.field !== 'jobspec' ? ` (${err.field})` : '';
    throw new InvalidInputError(`${err.detail}${where}`, field, { cause: err });
  }
}

function parseCc(cc: string): number[] {
  try {
    const ids = parseIdset(cc, { max: MAX_CC_IDS });
    if (ids.length === 0) throw new InvalidInputError('must hold at least one id', 'body.cc');
    return ids;
  } catch (err) {
    if (err instanceof InvalidInputError && err.field === undefined) throw new InvalidInputError(err.detail, 'body.cc', { cause: err });
    throw err;
  }
}

/**
 * Rewrites the service's field paths to the request's: `jobspecs[0]…` → `body.jobspec…` when one jobspec was
 * sent, `jobspecs[3]…` → `body.jobspecs[3]…`, and the other submit fields under `body.`.
 */
function inBody(err: unknown, single: boolean): unknown {
  if (!(err instanceof InvalidInputError) || err.field === undefined) return err;
  let field = err.field;
  if (single && /^jobspecs\[0\](?=$|[.[])/.test(field)) field = `body.jobspec${field.slice('jobspecs[0]'.length)}`;
  else if (/^jobspecs\[\d+\]/.test(field) || /^(cc|urgency|clientToken)(?=$|[.[])/.test(field)) field = `body.${field}`;
  else return err;
  return new InvalidInputError(err.detail, field, { cause: err });
}

/** The object without its undefined-valued keys (the services treat absent and undefined alike, tests need not). */
function defined<T extends object>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}

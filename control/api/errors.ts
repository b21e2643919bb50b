// errors.ts - the one place where errors become HTTP answers: `{error: {code, message, field?}}`.
// Invariants: a response never carries a stack or an internal message (5xx says only "internal error" and the
// error is logged); zod validation failures become the same `invalid` error as InvalidInputError, naming the field.
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import {
  ConflictError,
  FlurryError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  UnauthorizedError,
} from '../core/errors.ts';

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/** Codes the edge itself produces besides the core's kinds; FlurryError with these codes keep their status. */
const EDGE_CODES: Record<string, ContentfulStatusCode> = {
  too_large: 413,
  unsupported_media_type: 415,
  unavailable: 503,
};

/** Status → code for HTTPExceptions thrown by Hono or its middleware. */
const STATUS_CODES: Record<number, string> = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'too_large',
  415: 'unsupported_media_type',
  503: 'unavailable',
};

const NOT_JSON = 'body is not valid JSON';

/** The error for a body that does not parse as JSON (field `body`). */
export function notJsonError(cause?: unknown): InvalidInputError {
  const err = new InvalidInputError('is not valid JSON', 'body', { cause });
  err.message = NOT_JSON;
  return err;
}

/** Where a validated value came from, as the `field` prefix names it (OpenAPI's parameter locations). */
const TARGET_PREFIX: Record<string, string> = { json: 'body', query: 'query', param: 'path', header: 'header', cookie: 'cookie' };

/**
 * Build the `onError` handler. Known kinds keep their message; anything else is logged and answered 500.
 * @example app.onError(errorHandler((line) => console.error(line)))
 */
export function errorHandler(log: (line: string) => void): ErrorHandler {
  return (err, c) => {
    const known = describe(err);
    if (known) {
      if (known.status === 401) c.header('WWW-Authenticate', 'Bearer realm="flurry"');
      return errorResponse(c, known.status, known.body);
    }
    log(`${c.req.method} ${c.req.path}: 500 ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return errorResponse(c, 500, { error: { code: 'internal', message: 'internal error' } });
  };
}

/** The `notFound` handler: unknown routes get the same JSON error shape. */
export const notFoundHandler: NotFoundHandler = (c) =>
  errorResponse(c, 404, { error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } });

/**
 * `defaultHook` for `@hono/zod-openapi`: a failed validation throws an InvalidInputError naming the first
 * offending field (`body.urgency`, `query.limit`, `path.id`); the message lists every problem found.
 */
export function validationHook(result: { target: string; success: boolean; error?: ZodError }): void {
  if (result.success || !result.error) return;
  throw invalidFromZod(result.error, TARGET_PREFIX[result.target] ?? result.target);
}

/**
 * Turn a ZodError into one InvalidInputError with paths under `prefix`.
 * @example invalidFromZod(err, 'body').message // 'body.urgency: must be ≤ 31'
 */
export function invalidFromZod(error: ZodError, prefix: string): InvalidInputError {
  const problems = error.issues.flatMap((iss) => {
    if (iss.code === 'unrecognized_keys') {
      return iss.keys.map((k) => ({ field: joinPath(prefix, [...iss.path, k]), detail: 'is not a known field' }));
    }
    return [{ field: joinPath(prefix, iss.path), detail: detailOf(iss) }];
  });
  const first = problems[0] ?? { field: prefix, detail: 'is invalid' };
  const rest = problems.slice(1, 5).map((p) => `; ${p.field}: ${p.detail}`).join('');
  return new InvalidInputError(first.detail + rest, first.field, { cause: error });
}

/**
 * `prefix` + a zod path in the project's notation.
 * @example joinPath('body', ['jobspecs', 3, 'tasks']) // 'body.jobspecs[3].tasks'
 */
export function joinPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  let out = prefix;
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

type Issue = ZodError['issues'][number];

/** A person-readable description of one zod issue, in the style of the core's messages ("must be ≤ 31"). */
function detailOf(iss: Issue): string {
  switch (iss.code) {
    case 'invalid_type':
      if (!iss.message.startsWith('Invalid input')) return iss.message; // a schema's own message
      if (/received undefined$/.test(iss.message)) return 'is required';
      return `must be ${article(iss.expected === 'int' ? 'integer' : iss.expected)}`;
    case 'too_big':
      return bound(iss.origin, 'most', iss.inclusive ? '≤' : '<', Number(iss.maximum));
    case 'too_small':
      return bound(iss.origin, 'least', iss.inclusive ? '≥' : '>', Number(iss.minimum));
    case 'invalid_value':
      return `must be one of ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return `must be a valid ${iss.format}`;
    default:
      return iss.message;
  }
}

/** "must be ≤ 31", "must not be empty", "must be at most 128 characters", "must hold at most 1000 items". */
function bound(origin: string, word: 'least' | 'most', op: string, n: number): string {
  const sized = origin === 'string' || origin === 'array' || origin === 'set';
  if (!sized) return `must be ${op} ${n}`;
  if (word === 'least' && n === 1 && op === '≥') return 'must not be empty';
  return origin === 'string' ? `must be at ${word} ${n} characters` : `must hold at ${word} ${n} items`;
}

function article(noun: string): string {
  return /^[aeiou]/.test(noun) ? `an ${noun}` : `a ${noun}`;
}

function describe(err: unknown): { status: ContentfulStatusCode; body: ErrorBody } | undefined {
  const body = (code: string, message: string, field?: string): ErrorBody => ({
    error: field === undefined ? { code, message } : { code, message, field },
  });
  if (err instanceof InvalidInputError) return { status: 400, body: body('invalid', err.message, err.field) };
  if (err instanceof UnauthorizedError) return { status: 401, body: body('unauthorized', err.message) };
  if (err instanceof ForbiddenError) return { status: 403, body: body('forbidden', err.message) };
  if (err instanceof NotFoundError) return { status: 404, body: body('not_found', err.message) };
  if (err instanceof ConflictError) return { status: 409, body: body('conflict', err.message) };
  if (err instanceof FlurryError) {
    const status = EDGE_CODES[err.code];
    return status ? { status, body: body(err.code, err.message) } : undefined;
  }
  if (err instanceof HTTPException && err.status < 500) {
    const code = STATUS_CODES[err.status] ?? 'invalid';
    if (err.status === 400 && /malformed json/i.test(err.message)) return { status: 400, body: body(code, NOT_JSON, 'body') };
    return { status: err.status as ContentfulStatusCode, body: body(code, err.message || code) };
  }
  return undefined;
}

/** A JSON error response; also used by middleware that answers before any route runs. */
export function errorResponse(c: Context, status: ContentfulStatusCode, body: ErrorBody): Response {
  return c.json(body, status);
}

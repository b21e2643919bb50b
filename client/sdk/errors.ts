// errors.ts - the one error type the SDK throws for a failed call: the server's {error: {code, message, field}}, or
// status 0 / code "unreachable" when no answer came. Invariant: `message` is one line a person can read.

/** Why a Flurry API call failed. */
export class FlurryApiError extends Error {
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number;
  /** `invalid`, `unauthorized`, `forbidden`, `not_found`, `conflict`, `too_large`, `unavailable`, `internal`, or `unreachable`. */
  readonly code: string;
  /** For `invalid`: the offending field path (`body.urgency`, `query.limit`). */
  readonly field: string | undefined;

  constructor(status: number, code: string, message: string, field?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FlurryApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/**
 * Whether `err` is a FlurryApiError, optionally with this code.
 * @example if (isFlurryApiError(err, 'not_found')) console.log('no such job')
 */
export function isFlurryApiError(err: unknown, code?: string): err is FlurryApiError {
  return err instanceof FlurryApiError && (code === undefined || err.code === code);
}

const CODE_OF_STATUS: Record<number, string> = {
  400: 'invalid', 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 413: 'too_large',
  415: 'unsupported_media_type', 429: 'unavailable', 500: 'internal', 502: 'unavailable', 503: 'unavailable', 504: 'unavailable',
};

/**
 * The error for a non-2xx answer: the server's JSON error when it sent one, else one made from the status and body.
 * @example errorFromResponse(404, '{"error":{"code":"not_found","message":"no job ƒ2"}}').code // 'not_found'
 */
export function errorFromResponse(status: number, text: string, statusText = ''): FlurryApiError {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; field?: unknown } };
    const e = body?.error;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') {
      return new FlurryApiError(status, e.code, e.message, typeof e.field === 'string' ? e.field : undefined);
    }
  } catch {
    // Not JSON (a proxy's error page, say): described below.
  }
  const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
  const what = snippet || statusText || 'no details';
  return new FlurryApiError(status, CODE_OF_STATUS[status] ?? (status >= 500 ? 'internal' : 'invalid'), `HTTP ${status}: ${what}`);
}

// errors.ts - the error kinds the whole project throws; the HTTP edge and the CLI map them in one place each.
// Invariant: a message is written for a person ("resources[0].count: must be an integer ≥ 1"), never a stack.

/** Base class: anything we throw on purpose. `code` is stable and machine-readable. */
export class FlurryError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * Input that cannot be accepted. `field` is the path of the offending field
 * (`resources[0].with[1].count`, `body.urgency`), when there is one.
 * @example throw new InvalidInputError('must be an integer ≥ 1', 'resources[0].count')
 */
export class InvalidInputError extends FlurryError {
  readonly field: string | undefined;
  readonly detail: string;
  constructor(detail: string, field?: string, options?: { cause?: unknown }) {
    super('invalid', field ? `${field}: ${detail}` : detail, options);
    this.field = field;
    this.detail = detail;
  }
}

/** The thing asked for does not exist (`job ƒ2MU1GM7V not found`). */
export class NotFoundError extends FlurryError {
  constructor(message: string) {
    super('not_found', message);
  }
}

/** The request is valid but conflicts with current state (`job ƒ2MU1GM7V is inactive`). */
export class ConflictError extends FlurryError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/** The caller is not allowed to do this. */
export class ForbiddenError extends FlurryError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

/** Missing or wrong credentials. */
export class UnauthorizedError extends FlurryError {
  constructor(message = 'missing or invalid token') {
    super('unauthorized', message);
  }
}

/** Prefix an error's message with what we were doing, keeping its kind: "allocating ƒ2MU1GM7V: node n3 is down". */
export function withContext(context: string, err: unknown): Error {
  if (err instanceof FlurryError) {
    err.message = `${context}: ${err.message}`;
    return err;
  }
  const message = err instanceof Error ? err.message : String(err);
  return new FlurryError('internal', `${context}: ${message}`, { cause: err });
}

// auth.ts - bearer-token middleware: resolves `Authorization: Bearer <token>` to a Caller via AuthService.
// Invariants: a route behind it always sees `c.get('caller')`; a missing, malformed or unknown token is a 401
// before any body is read or any service is called; the token itself is never logged or echoed.
import type { MiddlewareHandler } from 'hono';
import { UnauthorizedError } from '../core/errors.ts';
import type { AuthService, Caller } from '../services.ts';

/** The Hono environment of authenticated routes. */
export interface AuthEnv {
  Variables: { caller: Caller };
}

/** Longer tokens are refused without asking the service (they cannot be ours). */
const MAX_TOKEN_LENGTH = 1024;

/**
 * Middleware that authenticates the caller and stores it as `caller` in the context.
 * @example createRoute({ ..., middleware: [requireAuth(services.auth)] })
 */
export function requireAuth(auth: AuthService): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const token = bearerToken(c.req.header('authorization'));
    if (token === undefined) throw new UnauthorizedError('missing bearer token (Authorization: Bearer <token>)');
    const caller = token.length <= MAX_TOKEN_LENGTH ? await auth.authenticate(token) : undefined;
    if (!caller) throw new UnauthorizedError('invalid or unknown token');
    c.set('caller', caller);
    await next();
  };
}

/**
 * The token of an `Authorization: Bearer …` header (scheme case-insensitive), or undefined.
 * @example bearerToken('Bearer abc') // 'abc'; bearerToken('Basic abc') // undefined
 */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(header ?? '');
  return m?.[1];
}

// meta.ts - /v1/health (public), /v1/whoami, and the route that serves the OpenAPI document (public).
// Invariant: health answers without touching any service, so a load balancer's probe cannot fail for a slow store.
import { createRoute, z } from '@hono/zod-openapi';
import { BEARER, errorResponses, jsonResponse } from '../schemas.ts';
import { subApp, type RouteKit } from './kit.ts';

const Health = z.object({ ok: z.literal(true), version: z.string() }).openapi('Health');
const Whoami = z.object({ user: z.string(), role: z.enum(['owner', 'user']) }).openapi('Whoami');

/**
 * GET /openapi.json. Registered by createApp on the root app, whose registry holds every route.
 * The document is not described in itself beyond being an object (it is the OpenAPI 3.1 schema's business).
 */
export const openApiRoute = createRoute({
  method: 'get', path: '/v1/openapi.json', tags: ['meta'], summary: 'This OpenAPI 3.1 document', security: [],
  responses: { 200: jsonResponse('The OpenAPI 3.1 document', z.looseObject({ openapi: z.string() })), ...errorResponses() },
});

/**
 * /health and /whoami, relative to /v1.
 * @example app.route('/v1', metaRoutes(kit))
 */
export function metaRoutes(kit: RouteKit) {
  return subApp()
    .openapi(
      createRoute({
        method: 'get', path: '/health', tags: ['meta'], summary: 'Liveness and version', security: [],
        responses: { 200: jsonResponse('The server is up', Health), ...errorResponses() },
      }),
      (c) => c.json({ ok: true as const, version: kit.version }, 200),
    )
    .openapi(
      createRoute({
        method: 'get', path: '/whoami', tags: ['meta'], summary: 'The caller behind the token', security: BEARER, middleware: [kit.auth] as const,
        responses: { 200: jsonResponse('The caller', Whoami), ...errorResponses(401) },
      }),
      (c) => {
        const { user, role } = c.get('caller');
        return c.json({ user, role }, 200);
      },
    );
}

// app.ts - the Flurry HTTP API (/v1) as one Hono app on Web Request/Response; Lambda and Node entry points wrap it.
// Invariants: edge-hostable (no node:* import here or below); every answer is JSON with `cache-control: no-store`;
// the OpenAPI 3.1 document at /v1/openapi.json is generated from the zod schemas that validate the requests.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { Services } from '../services.ts';
import { requireAuth, type AuthEnv } from './auth.ts';
import { DEFAULT_MAX_BODY_BYTES, jsonBody } from './body.ts';
import { errorHandler, notFoundHandler, validationHook } from './errors.ts';
import { elasticRoutes } from './routes/elastic.ts';
import { jobsRoutes } from './routes/jobs.ts';
import { kvsRoutes } from './routes/kvs.ts';
import type { RouteKit } from './routes/kit.ts';
import { metaRoutes, openApiRoute } from './routes/meta.ts';
import { resourcesRoutes } from './routes/resources.ts';

/** Long polls never hold a request longer than this many seconds. */
export const MAX_WAIT_SECONDS = 60;

export interface AppOptions {
  /** Reported by /v1/health and as the document's `info.version`. Default 'unknown'. */
  version?: string;
  /** Larger request bodies are refused with 413 before they are parsed. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Where unexpected (500) errors are logged, one line each with the stack. Default console.error. */
  log?: (line: string) => void;
  /** Origins allowed by CORS. Default none: no CORS headers at all. */
  cors?: string[];
  /**
   * Cap on `wait` of the long-polling routes, 0–60 s (default 60). On AWS pass less than API Gateway's 30 s
   * integration timeout, or long polls end in a gateway 503 instead of an empty page.
   */
  maxWaitSeconds?: number;
}

/**
 * Build the HTTP app over the services.
 * @example const app = createApp(services, { version: '0.1.0' }); await app.request('/v1/health')
 */
export function createApp(services: Services, options: AppOptions = {}) {
  const kit: RouteKit = {
    services,
    auth: requireAuth(services.auth),
    body: jsonBody(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES),
    maxWaitSeconds: Math.min(Math.max(options.maxWaitSeconds ?? MAX_WAIT_SECONDS, 0), MAX_WAIT_SECONDS),
    version: options.version ?? 'unknown',
  };
  const root = new OpenAPIHono<AuthEnv>({ defaultHook: validationHook });
  root.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'A user token (`flurry token create`; local mode writes one to the state directory)',
  });
  root.onError(errorHandler(options.log ?? ((line) => console.error(`flurry api: ${line}`))));
  root.notFound(notFoundHandler);
  if (options.cors?.length) {
    root.use('*', cors({ origin: options.cors, allowMethods: ['GET', 'POST'], allowHeaders: ['Authorization', 'Content-Type'], maxAge: 600 }));
  }
  root.use('*', securityHeaders);

  let document: ReturnType<typeof root.getOpenAPI31Document> | undefined;
  return root
    .route('/v1', metaRoutes(kit))
    .route('/v1', jobsRoutes(kit))
    .route('/v1', resourcesRoutes(kit))
    .route('/v1', elasticRoutes(kit))
    .route('/v1', kvsRoutes(kit))
    .openapi(openApiRoute, (c) => {
      // Routes are fixed once built, so the document is generated on first use and kept.
      document ??= root.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'Flurry REST API',
          version: kit.version,
          description: 'Submit and follow jobs, inspect and drain resources. Job ids are FLUIDs in f58 (RFC 19).',
        },
        tags: [
          { name: 'jobs', description: 'Submit, list, follow and control jobs' },
          { name: 'resources', description: 'Nodes and their state' },
          { name: 'meta', description: 'Health, identity and this document' },
        ],
      });
      return c.json({ ...document }, 200);
    });
}

/** The app's type, for `hc<AppType>` clients. */
export type AppType = ReturnType<typeof createApp>;

/** No caching of answers (they hold job state and may be per user), no MIME sniffing. */
const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.header('Cache-Control', 'no-store');
  c.header('X-Content-Type-Options', 'nosniff');
};

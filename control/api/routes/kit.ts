// kit.ts - what every route group is built from: the services, the guards, the limits, and a fresh sub-app.
// Invariant: every sub-app shares the one validation hook, so a bad field reads the same on every route.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AuthEnv } from '../auth.ts';
import { validationHook } from '../errors.ts';
import type { Services } from '../../services.ts';

/** Built once by createApp and handed to each route group. */
export interface RouteKit {
  services: Services;
  /** Bearer authentication; sets `caller`. */
  auth: MiddlewareHandler<AuthEnv>;
  /** JSON body guard (size, media type, syntax): for routes that take a body, after `auth`. */
  body: MiddlewareHandler;
  /** Upper bound for the `wait` of long-polling routes, in seconds. */
  maxWaitSeconds: number;
  /** Version reported by /v1/health. */
  version: string;
}

/**
 * A sub-app for one route group, validating with the shared hook.
 * @example const app = subApp().openapi(route, handler)
 */
export function subApp(): OpenAPIHono<AuthEnv> {
  return new OpenAPIHono<AuthEnv>({ defaultHook: validationHook });
}

/**
 * Seconds from a `wait` query value to the `waitMs` the services take, clamped to 0..maxWaitSeconds.
 * @example waitMs(2.5, 60) // 2500; waitMs(600, 60) // 60000; waitMs(undefined, 60) // 0
 */
export function waitMs(wait: number | undefined, maxWaitSeconds: number): number {
  if (wait === undefined || !(wait > 0)) return 0;
  return Math.round(Math.min(wait, maxWaitSeconds) * 1000);
}

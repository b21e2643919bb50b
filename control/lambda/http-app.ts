// http-app.ts - the HTTP API as it runs on AWS, as a plain fetch handler: the Hono app over this container's
// control plane, with long polls capped below API Gateway's 30 s integration timeout.
// Invariants: edge-hostable (no node:* import here or below: test/aws/edge.test.ts bundles this file for a
// neutral platform and fails on any Node built-in); the app is built once per context; a request's fire-and-forget
// effects (tick requests, job.kill) are drained before its response is handed back.
import { createApp } from '../api/app.ts';
import { LAMBDA_MAX_WAIT_SECONDS } from './config.ts';
import { lambdaContext, type LambdaContext } from './context.ts';

/** The version /v1/health reports (the stack sets it from package.json). */
const VERSION = typeof process !== 'undefined' ? (process.env.FLURRY_VERSION ?? 'unknown') : 'unknown';

export type HttpApp = ReturnType<typeof createApp>;

const apps = new WeakMap<LambdaContext, HttpApp>();

/** The app for a context (built on first use). */
export function appFor(ctx: LambdaContext): HttpApp {
  let app = apps.get(ctx);
  if (!app) {
    app = createApp(ctx.plane.services, { version: VERSION, maxWaitSeconds: LAMBDA_MAX_WAIT_SECONDS, log: ctx.log });
    apps.set(ctx, app);
  }
  return app;
}

/**
 * A Web fetch handler over the control plane (for hosts that speak Request/Response).
 * @example export default { fetch: createFetchHandler() }
 */
export function createFetchHandler(getContext: () => Promise<LambdaContext> = lambdaContext): (req: Request) => Promise<Response> {
  return async (req) => {
    const ctx = await getContext();
    try {
      return await appFor(ctx).fetch(req);
    } finally {
      // Sends this request started (a cancel's job.kill) finish before the answer: Lambda may freeze right after.
      await ctx.plane.dispatcher.settle();
      await ctx.pending.drain();
    }
  };
}

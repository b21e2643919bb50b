// http.ts - Lambda entry point of the HTTP API: API Gateway HTTP API (payload v2) events through hono/aws-lambda
// into the Hono app over this container's control plane.
// Invariant: the handler resolves only after the request's fire-and-forget effects are done (Lambda freezes after):
// its sends to agents (`dispatcher.settle()`, e.g. the job.kill of a cancel), then its tick requests (`pending`).
import type { Context } from 'aws-lambda';
import { handle, type APIGatewayProxyResult, type ApiGatewayRequestContextV2, type LambdaEvent } from 'hono/aws-lambda';
import { lambdaContext, type LambdaContext } from './context.ts';
import { appFor } from './http-app.ts';

/** An API Gateway HTTP API event, payload format 2.0. */
export type HttpEvent = Extract<LambdaEvent, { requestContext: ApiGatewayRequestContextV2 }>;

export type HttpHandler = (event: HttpEvent, context?: Context) => Promise<APIGatewayProxyResult>;

/**
 * An HTTP handler over the context `getContext` gives (tests build one per simulated container).
 * @example const handler = createHttpHandler(() => createLambdaContext(config, clients))
 */
export function createHttpHandler(getContext: () => Promise<LambdaContext> = lambdaContext): HttpHandler {
  const handlers = new WeakMap<LambdaContext, ReturnType<typeof handle>>();
  return async (event, context) => {
    const ctx = await getContext();
    let h = handlers.get(ctx);
    if (!h) handlers.set(ctx, (h = handle(appFor(ctx))));
    try {
      return await h(event, context);
    } finally {
      await ctx.plane.dispatcher.settle();
      await ctx.pending.drain();
    }
  };
}

export const handler: HttpHandler = createHttpHandler();

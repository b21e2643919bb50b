// ws.ts - Lambda entry point of the agent link: API Gateway WebSocket events into the shared AgentHandler.
// $connect accepts (the agent authenticates in `hello`, protocol 3.1: tokens never travel in URLs, which end up in
// access logs); $default hands the frame to `agents.frame`; $disconnect to `agents.closed`.
// Invariants: replies go out through the Management API (never as the integration's response); the handler returns
// only after every effect of the frame is durable and every reply was posted (`dispatcher.settle()`, then pending
// work drained).
import type { APIGatewayProxyWebsocketEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { lambdaContext, type LambdaContext } from './context.ts';

/** A WebSocket event as API Gateway sends it (query parameters only on $connect). */
export type WsEvent = APIGatewayProxyWebsocketEventV2 & { queryStringParameters?: Record<string, string | undefined> };

export type WsHandler = (event: WsEvent, context?: Context) => Promise<APIGatewayProxyResultV2>;

const textDecoder = new TextDecoder();

/** The frame's text: binary frames (base64-encoded by API Gateway) are not UTF-8 JSON, so the handler refuses them. */
function frameText(event: WsEvent): string {
  if (!event.body) return '';
  if (!event.isBase64Encoded) return event.body;
  const bytes = Uint8Array.from(atob(event.body), (c) => c.charCodeAt(0));
  return textDecoder.decode(bytes);
}

/**
 * A WebSocket handler over the context `getContext` gives.
 * @example const handler = createWsHandler(() => createLambdaContext(config, clients))
 */
export function createWsHandler(getContext: () => Promise<LambdaContext> = lambdaContext): WsHandler {
  return async (event) => {
    const { routeKey, connectionId } = event.requestContext;
    // Build the context on $connect too, so a cold start is paid before the agent's hello rather than after it.
    const ctx = await getContext();
    try {
      if (routeKey === '$connect') return { statusCode: 200 };
      if (routeKey === '$disconnect') await ctx.plane.agents.closed(connectionId);
      else await ctx.plane.agents.frame(connectionId, frameText(event));
      return { statusCode: 200 };
    } catch (err) {
      ctx.log(`agent link: ${routeKey} on ${connectionId}: ${(err as Error).stack ?? (err as Error).message}`);
      return { statusCode: 500 };
    } finally {
      await ctx.plane.dispatcher.settle();
      await ctx.pending.drain();
    }
  };
}

export const handler: WsHandler = createWsHandler();

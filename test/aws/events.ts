// events.ts - synthetic API Gateway events as the Lambda functions receive them: HTTP API payload v2 for the REST
// API, WebSocket events ($connect, $default, $disconnect) for the agent link. Test support.
import type { HttpEvent } from '../../control/lambda/http.ts';
import type { WsEvent } from '../../control/lambda/ws.ts';

let counter = 0;
const API_ID = 'abc123';
const DOMAIN = `${API_ID}.execute-api.us-east-1.amazonaws.com`;

/** An HTTP API (payload format 2.0) event for `method path?query`, with a bearer token and a JSON body. */
export function httpEvent(method: string, pathAndQuery: string, o: { token?: string; body?: unknown } = {}): HttpEvent {
  const [rawPath = '/', rawQueryString = ''] = pathAndQuery.split('?');
  const now = Date.now();
  const headers: Record<string, string> = { host: DOMAIN, 'user-agent': 'flurry-test' };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    headers,
    body: o.body === undefined ? null : JSON.stringify(o.body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: API_ID,
      authentication: null,
      authorizer: {},
      domainName: DOMAIN,
      domainPrefix: API_ID,
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'flurry-test' },
      requestId: `req-${++counter}`,
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
  };
}

/** A WebSocket API event for `routeKey` on connection `conn` (a frame's text as body for $default). */
export function wsEvent(routeKey: '$connect' | '$disconnect' | '$default', conn: string, body?: string): WsEvent {
  const now = Date.now();
  const eventType = routeKey === '$connect' ? 'CONNECT' : routeKey === '$disconnect' ? 'DISCONNECT' : 'MESSAGE';
  return {
    requestContext: {
      routeKey,
      messageId: `m-${++counter}`,
      eventType,
      extendedRequestId: `x-${counter}`,
      requestTime: new Date(now).toUTCString(),
      messageDirection: 'IN',
      stage: 'agents',
      connectedAt: now,
      requestTimeEpoch: now,
      requestId: `r-${counter}`,
      domainName: DOMAIN,
      connectionId: conn,
      apiId: API_ID,
    },
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: false,
  };
}

/** The JSON body of an HTTP handler result. */
export function jsonOf<T = Record<string, unknown>>(result: { body?: string }): T {
  return JSON.parse(result.body ?? 'null') as T;
}

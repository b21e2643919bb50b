// dispatch-settle.test.ts - a Lambda handler returns only after the sends it started without awaiting them
// (the tick's job.start, a cancel's job.kill) were posted: Lambda may freeze the container as soon as it returns.
// The Management API here is slow (each PostToConnection takes 80 ms) and records when each post completed.
import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobspecFromShape } from '../../control/core/jobspec/index.ts';
import { createLambdaContext, type LambdaContext } from '../../control/lambda/context.ts';
import { createHttpHandler, type HttpHandler } from '../../control/lambda/http.ts';
import { createTickHandler, type TickHandler } from '../../control/lambda/tick.ts';
import { createWsHandler, type WsHandler } from '../../control/lambda/ws.ts';
import { httpEvent, jsonOf, wsEvent } from './events.ts';
import { deployInstance, installFakeAws, TICK_FUNCTION, type AwsInstance, type FakeAws } from './fake-aws.ts';

const POST_MS = 80;
const CONN = 'SettleConn=';
const decoder = new TextDecoder();

let fake: FakeAws;
let inst: AwsInstance;
let http: HttpHandler;
let ws: WsHandler;
let tick: TickHandler;
/** Message types of every post that completed, in completion order. */
const completed: string[] = [];

/** A container whose Management API client takes POST_MS per PostToConnection and records completed posts. */
async function slowContainer(functionName: string): Promise<LambdaContext> {
  const clients = inst.clients();
  const management = clients.management;
  const send = management.send.bind(management) as (command: unknown) => Promise<unknown>;
  management.send = (async (command: unknown) => {
    if (!(command instanceof PostToConnectionCommand)) return send(command);
    await new Promise((resolve) => setTimeout(resolve, POST_MS));
    const result = await send(command);
    const messages = JSON.parse(decoder.decode(command.input.Data as Uint8Array)) as Array<{ type: string }>;
    completed.push(...messages.map((m) => m.type));
    return result;
  }) as typeof management.send;
  return createLambdaContext(inst.config(functionName, functionName !== TICK_FUNCTION), clients, () => undefined);
}

beforeAll(async () => {
  fake = installFakeAws();
  inst = await deployInstance(fake);
  const once = (name: string) => {
    let ctx: Promise<LambdaContext> | undefined;
    return () => (ctx ??= slowContainer(name));
  };
  http = createHttpHandler(once('flurry-http'));
  ws = createWsHandler(once('flurry-ws'));
  tick = createTickHandler(once(TICK_FUNCTION), { settleMs: 0 });
}, 60_000);
afterAll(() => fake?.restore());

const api = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
  const res = await http(httpEvent(method, path, { token: inst.ownerToken, body }));
  return { status: res.statusCode, body: jsonOf<T>(res) };
};

describe('Lambda handlers settle the dispatcher before returning', () => {
  let jobid = '';

  it('the tick returns after its job.start was posted, not merely started', async () => {
    await ws(wsEvent('$connect', CONN));
    const hello = {
      v: 1,
      id: 'a1',
      type: 'hello',
      token: inst.joinToken,
      node: { hostname: 'settle-n1', cores: 1, gpus: 0, memoryMB: 512, properties: [] },
      agent: { version: '0.1.0', pid: 7, startedAt: Date.now() / 1000 },
      running: [],
      exited: [],
    };
    await ws(wsEvent('$default', CONN, JSON.stringify([hello])));
    expect(completed).toEqual(['welcome', 'ack']);
    await tick({ source: 'aws.events', 'detail-type': 'Scheduled Event' }); // the node joins the scheduler's graph
    const sub = await api<{ ids: string[] }>('POST', '/v1/jobs', { jobspec: jobspecFromShape(['sleep', '300'], { ntasks: 1, cwd: '/tmp' }) });
    expect(sub.status).toBe(201);
    jobid = sub.body.ids[0]!;

    await tick({ source: 'aws.events', 'detail-type': 'Scheduled Event' });
    expect(completed.filter((t) => t === 'job.start')).toHaveLength(1);
  });

  it('a cancel returns after its job.kill was posted', async () => {
    const cancel = await api('POST', `/v1/jobs/${encodeURIComponent(jobid)}/cancel`, {});
    expect(cancel.status).toBe(200);
    expect(completed.at(-1)).toBe('job.kill');
  });
});

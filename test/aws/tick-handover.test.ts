// tick-handover.test.ts - the tick function's containers take turns (a new container after an old one, then the old
// one again): they share one lease holder name, so each takes the scheduler lease over (the fence grows, a stale
// container's commit fails and it re-acquires) and schedules at once, without waiting for the lease to expire.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobspecFromShape } from '../../control/core/jobspec/index.ts';
import { createHttpHandler } from '../../control/lambda/http.ts';
import type { LambdaContext } from '../../control/lambda/context.ts';
import { createTickHandler } from '../../control/lambda/tick.ts';
import { createWsHandler } from '../../control/lambda/ws.ts';
import { httpEvent, jsonOf, wsEvent } from './events.ts';
import { deployInstance, installFakeAws, messagesTo, TICK_FUNCTION, type AwsInstance, type FakeAws } from './fake-aws.ts';

let fake: FakeAws;
let inst: AwsInstance;
let a: LambdaContext;
let b: LambdaContext;

beforeAll(async () => {
  fake = installFakeAws();
  inst = await deployInstance(fake);
  [a, b] = await Promise.all([inst.container(TICK_FUNCTION), inst.container(TICK_FUNCTION)]);
}, 60_000);
afterAll(() => fake?.restore());

describe('tick containers taking turns', () => {
  it('each one schedules the jobs waiting when it runs', async () => {
    let httpCtx: LambdaContext | undefined;
    let wsCtx: LambdaContext | undefined;
    const http = createHttpHandler(async () => (httpCtx ??= await inst.container('flurry-http')));
    const ws = createWsHandler(async () => (wsCtx ??= await inst.container('flurry-ws')));
    const tickA = createTickHandler(async () => a, { settleMs: 0 });
    const tickB = createTickHandler(async () => b, { settleMs: 0 });
    await ws(wsEvent('$connect', 'H1'));
    await ws(wsEvent('$default', 'H1', JSON.stringify({ v: 1, id: 'a1', type: 'hello', token: inst.joinToken, node: { hostname: 'h1', cores: 8, gpus: 0, memoryMB: 1024, properties: [] }, agent: { version: '0', pid: 1, startedAt: 1 }, running: [], exited: [] })));
    const submit = async () => jsonOf<{ ids: string[] }>(await http(httpEvent('POST', '/v1/jobs', { token: inst.ownerToken, body: { jobspec: jobspecFromShape(['sleep', '100'], { ntasks: 1, cwd: '/tmp' }) } }))).ids[0]!;
    const started = () => messagesTo(fake, 'H1', 'job.start').map((m) => (m.job as { jobid: string }).jobid);
    for (const [i, tick] of [tickA, tickB, tickA, tickB, tickA].entries()) {
      const id = await submit();
      const result = await tick({});
      expect(started(), `turn ${i}`).toContain(id);
      expect(result.passes, `turn ${i}`).toBeLessThanOrEqual(2);
    }
  }, 60_000);
});

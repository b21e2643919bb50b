// tick-request.test.ts - requested ticks coalesce within a container and across containers (META flag on
// DynamoDB Local; Lambda Invoke mocked).
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestTable } from '../../test/support/dynamo.ts';
import type { StoreContext } from '../store/context.ts';
import { InstanceMeta, STALE_REQUEST_SECONDS } from './instance-meta.ts';
import { TickRequester } from './tick-request.ts';

const lambdaMock = mockClient(LambdaClient);
lambdaMock.on(InvokeCommand).resolves({ StatusCode: 202 });
afterAll(() => lambdaMock.restore());

let store: StoreContext;
let iid: string;
let now = 1_000_000;

beforeEach(async () => {
  if (!store) {
    const t = await createTestTable('tickreq');
    store = { doc: t.doc, table: t.tableName };
  }
  iid = `i${Math.random().toString(36).slice(2, 8)}`;
  lambdaMock.resetHistory();
});

const container = () => {
  const meta = new InstanceMeta(store, iid);
  return { meta, requester: new TickRequester({ meta, lambda: new LambdaClient({ region: 'us-east-1' }), tickFunction: 'tick', iid, clock: () => now }) };
};

describe('TickRequester', () => {
  it('a burst from three containers invokes the tick once, asynchronously', async () => {
    const cs = [container(), container(), container()];
    await Promise.all(Array.from({ length: 60 }, (_, i) => cs[i % 3]!.requester.request()));
    const calls = lambdaMock.commandCalls(InvokeCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ FunctionName: 'tick', InvocationType: 'Event' });
    expect(JSON.parse(new TextDecoder().decode(calls[0]!.Payload as Uint8Array))).toEqual({ source: 'flurry.request-pass', iid, requestedAt: now });
  });

  it('once the tick has taken the request, the next request invokes again', async () => {
    const { meta, requester } = container();
    await requester.request();
    expect(await meta.takeTickRequest()).toBe(now);
    expect(await meta.takeTickRequest()).toBeUndefined();
    await requester.request();
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(2);
  });

  it('a flag whose invoke was lost is set again once stale', async () => {
    const { requester } = container();
    await requester.request();
    now += STALE_REQUEST_SECONDS - 1;
    await requester.request();
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(1);
    now += 2;
    await requester.request();
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(2);
  });

  it('a request made while a write is in flight causes one more write, not none and not one each', async () => {
    const { meta, requester } = container();
    const flag = vi.spyOn(meta, 'flagTickRequest');
    const first = requester.request();
    for (let i = 0; i < 10; i++) void requester.request(); // arrive while the first write is in flight
    await first;
    expect(flag).toHaveBeenCalledTimes(2);
  });

  it('gives every container a distinct generator id and the same FLUID epoch', async () => {
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => new InstanceMeta(store, iid).claimGenerator(5000 + i)));
    expect(new Set(claims.map((c) => c.generatorId)).size).toBe(8);
    expect(new Set(claims.map((c) => c.fluidEpochMs)).size).toBe(1);
  });
});

// handlers.test.ts - the exported `handler`s as Lambda loads them: configured from the environment only, one
// context per container (built on the first invocation, reused after), against DynamoDB Local through
// FLURRY_DYNAMODB_ENDPOINT; Secrets Manager is mocked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpEvent, jsonOf, wsEvent } from '../../test/aws/events.ts';
import { installFakeAws, messagesTo, type FakeAws } from '../../test/aws/fake-aws.ts';
import { createTestTable } from '../../test/support/dynamo.ts';
import { generateSecrets } from '../security/secrets.ts';
import { ENV, readConfig } from './config.ts';
import { lambdaContext, resetLambdaContext } from './context.ts';

let fake: FakeAws;
const saved = { ...process.env };

beforeAll(async () => {
  fake = installFakeAws();
  const t = await createTestTable('handlers');
  fake.secretValues.set('arn:env:instance', JSON.stringify(await generateSecrets()));
  Object.assign(process.env, {
    [ENV.table]: t.tableName,
    [ENV.iid]: 'envtest',
    [ENV.secretArn]: 'arn:env:instance',
    [ENV.callbackUrl]: 'https://abc.execute-api.us-east-1.amazonaws.com/agents',
    [ENV.publicUri]: 'https://http.execute-api.us-east-1.amazonaws.com/',
    [ENV.tickFunction]: 'flurry-tick',
    [ENV.dynamoEndpoint]: t.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_LAMBDA_FUNCTION_NAME: 'flurry-http',
    FLURRY_VERSION: '9.9.9',
  });
  resetLambdaContext();
});
afterAll(() => {
  process.env = saved;
  resetLambdaContext();
  fake?.restore();
});

describe('handlers configured from the environment', () => {
  it('the http handler answers /v1/health and keeps its context for the next invocation', async () => {
    const { handler } = await import('./http.ts');
    const res = await handler(httpEvent('GET', '/v1/health'));
    expect(res.statusCode).toBe(200);
    expect(jsonOf(res)).toEqual({ ok: true, version: '9.9.9' });
    const first = await lambdaContext();
    await handler(httpEvent('GET', '/v1/health'));
    expect(await lambdaContext()).toBe(first);
    expect(first.config).toMatchObject({ iid: 'envtest', publicUri: 'https://http.execute-api.us-east-1.amazonaws.com', heartbeatSeconds: 30, functionName: 'flurry-http' });
  });

  it('the ws handler accepts $connect and refuses a frame before hello (closing the connection)', async () => {
    const { handler } = await import('./ws.ts');
    expect(await handler(wsEvent('$connect', 'E1'))).toEqual({ statusCode: 200 });
    expect(await handler(wsEvent('$default', 'E1', JSON.stringify({ v: 1, id: 'a1', type: 'heartbeat', running: [] })))).toEqual({ statusCode: 200 });
    expect(messagesTo(fake, 'E1')).toEqual([expect.objectContaining({ type: 'close', code: 4002, reason: 'expected hello before heartbeat' })]); // 7.1
    expect(fake.deletes).toEqual(['E1']);
  });
});

describe('readConfig', () => {
  it('names every missing variable at once', () => {
    expect(() => readConfig({})).toThrow(/FLURRY_TABLE, FLURRY_IID, FLURRY_SECRET_ARN, FLURRY_WS_CALLBACK_URL, FLURRY_PUBLIC_URI/);
  });

  it('checks the heartbeat interval', () => {
    const env = { [ENV.table]: 't', [ENV.iid]: 'i', [ENV.secretArn]: 's', [ENV.callbackUrl]: 'c', [ENV.publicUri]: 'p' };
    expect(readConfig({ ...env, [ENV.heartbeatSeconds]: '10' }).heartbeatSeconds).toBe(10);
    expect(() => readConfig({ ...env, [ENV.heartbeatSeconds]: '0' })).toThrow(/expected 1–300/);
    expect(readConfig(env).tickFunction).toBeUndefined();
  });
});

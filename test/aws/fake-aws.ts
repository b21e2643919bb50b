// fake-aws.ts - the AWS services a Flurry Lambda talks to, other than DynamoDB (DynamoDB Local is real), mocked
// with aws-sdk-client-mock: Secrets Manager (an in-memory secret store), Lambda Invoke (recorded; a hook may run the
// tick), and the API Gateway Management API (recorded; a hook may deliver to a socket; `gone` connections answer
// 410). Plus the wiring of one simulated container per function over a test table. Test support.
import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, PutSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import type { LambdaConfig } from '../../control/lambda/config.ts';
import { createLambdaContext, type LambdaClients, type LambdaContext } from '../../control/lambda/context.ts';
import { ensureInstance, type SetupDeps } from '../../control/lambda/setup-actions.ts';
import { parseSecrets, type Secrets } from '../../control/security/secrets.ts';
import type { StoreContext } from '../../control/store/context.ts';
import { createTestTable } from '../support/dynamo.ts';

const decoder = new TextDecoder();
export const REGION = 'us-east-1';
export const CALLBACK_URL = 'https://abc123.execute-api.us-east-1.amazonaws.com/agents';
export const TICK_FUNCTION = 'flurry-tick';

export interface FakeAws {
  secretValues: Map<string, string>;
  /** Every PostToConnection, in order: connection id and the frame's text. */
  posts: Array<{ conn: string; text: string }>;
  deletes: string[];
  invokes: Array<{ FunctionName: string; InvocationType: string; payload: unknown }>;
  /** Connections that answer 410 Gone. */
  gone: Set<string>;
  onPost?: (conn: string, text: string) => void;
  onDelete?: (conn: string) => void;
  onInvoke?: (payload: unknown) => void;
  restore(): void;
}

/** Installs the mocks (for every client instance of these classes in this test file). */
export function installFakeAws(): FakeAws {
  const fake: FakeAws = { secretValues: new Map(), posts: [], deletes: [], invokes: [], gone: new Set(), restore: () => undefined };
  const sm = mockClient(SecretsManagerClient);
  sm.on(GetSecretValueCommand).callsFake((input: { SecretId: string }) => {
    const value = fake.secretValues.get(input.SecretId);
    if (value === undefined) throw new ResourceNotFoundException({ message: 'Secrets Manager can’t find the specified secret.', $metadata: {} });
    return { ARN: input.SecretId, SecretString: value };
  });
  sm.on(PutSecretValueCommand).callsFake((input: { SecretId: string; SecretString: string }) => {
    fake.secretValues.set(input.SecretId, input.SecretString);
    return { ARN: input.SecretId };
  });
  const lambda = mockClient(LambdaClient);
  lambda.on(InvokeCommand).callsFake((input: { FunctionName: string; InvocationType: string; Payload: Uint8Array }) => {
    const payload = JSON.parse(decoder.decode(input.Payload)) as unknown;
    fake.invokes.push({ FunctionName: input.FunctionName, InvocationType: input.InvocationType, payload });
    fake.onInvoke?.(payload);
    return { StatusCode: 202 };
  });
  const mgmt = mockClient(ApiGatewayManagementApiClient);
  mgmt.on(PostToConnectionCommand).callsFake((input: { ConnectionId: string; Data: Uint8Array }) => {
    if (fake.gone.has(input.ConnectionId)) throw new GoneException({ message: 'Gone', $metadata: { httpStatusCode: 410 } });
    const text = decoder.decode(input.Data);
    fake.posts.push({ conn: input.ConnectionId, text });
    fake.onPost?.(input.ConnectionId, text);
    return {};
  });
  mgmt.on(DeleteConnectionCommand).callsFake((input: { ConnectionId: string }) => {
    if (fake.gone.has(input.ConnectionId)) throw new GoneException({ message: 'Gone', $metadata: { httpStatusCode: 410 } });
    fake.deletes.push(input.ConnectionId);
    fake.onDelete?.(input.ConnectionId);
    return {};
  });
  fake.restore = () => {
    sm.restore();
    lambda.restore();
    mgmt.restore();
  };
  return fake;
}

/** Every message posted to `conn` so far (frames unpacked), optionally only of one type. */
export function messagesTo(fake: FakeAws, conn: string, type?: string): Array<Record<string, unknown>> {
  const all = fake.posts.filter((p) => p.conn === conn).flatMap((p) => JSON.parse(p.text) as Array<Record<string, unknown>>);
  return type ? all.filter((m) => m.type === type) : all;
}

export interface AwsInstance {
  iid: string;
  store: StoreContext;
  tableName: string;
  secrets: Secrets;
  ownerToken: string;
  joinToken: string;
  arns: { instance: string; owner: string; join: string };
  config(functionName: string, withTick: boolean): LambdaConfig;
  clients(): LambdaClients;
  /** A simulated container of function `functionName` (its own cold start). */
  container(functionName: string, withTick?: boolean): Promise<LambdaContext>;
}

/** A deployed instance as the setup custom resource leaves it: table, secrets, first owner token, join token. */
export async function deployInstance(fake: FakeAws, o: { heartbeatSeconds?: number; quiet?: boolean } = {}): Promise<AwsInstance> {
  const t = await createTestTable('aws');
  const iid = `aws${Date.now().toString(36)}`;
  const arns = {
    instance: `arn:aws:secretsmanager:${REGION}:123456789012:secret:flurry-instance-${iid}`,
    owner: `arn:aws:secretsmanager:${REGION}:123456789012:secret:flurry-owner-${iid}`,
    join: `arn:aws:secretsmanager:${REGION}:123456789012:secret:flurry-join-${iid}`,
  };
  // CloudFormation creates the secrets with a random placeholder; the setup resource replaces it.
  for (const arn of Object.values(arns)) fake.secretValues.set(arn, 'placeholder-from-cloudformation');
  const store: StoreContext = { doc: t.doc, table: t.tableName };
  const sm = new SecretsManagerClient({ region: REGION });
  const deps: SetupDeps = { iid, store, secrets: sm, secretArn: arns.instance, ownerTokenSecretArn: arns.owner, joinTokenSecretArn: arns.join };
  await ensureInstance(deps, 'alice');
  const log = o.quiet === false ? (l: string) => console.log(`[lambda] ${l}`) : () => undefined;
  const inst: AwsInstance = {
    iid,
    store,
    tableName: t.tableName,
    secrets: parseSecrets(JSON.parse(fake.secretValues.get(arns.instance)!)),
    ownerToken: fake.secretValues.get(arns.owner)!,
    joinToken: fake.secretValues.get(arns.join)!,
    arns,
    config: (functionName, withTick) => ({
      table: t.tableName,
      iid,
      secretArn: arns.instance,
      callbackUrl: CALLBACK_URL,
      publicUri: 'https://http123.execute-api.us-east-1.amazonaws.com',
      heartbeatSeconds: o.heartbeatSeconds ?? 30,
      region: REGION,
      functionName,
      ...(withTick ? { tickFunction: TICK_FUNCTION } : { joinTokenSecretArn: arns.join }),
    }),
    clients: () => ({
      store,
      secrets: new SecretsManagerClient({ region: REGION }),
      lambda: new LambdaClient({ region: REGION }),
      management: new ApiGatewayManagementApiClient({ region: REGION, endpoint: CALLBACK_URL }),
    }),
    container: (functionName, withTick = functionName !== TICK_FUNCTION) => createLambdaContext(inst.config(functionName, withTick), inst.clients(), log),
  };
  return inst;
}

// setup.test.ts - the stack's setup function: the CloudFormation custom resource protocol (answers on a local
// stand-in for the pre-signed S3 URL), idempotent secrets and tokens, the admin actions, and no token in any log
// or answer. Secrets Manager is mocked; the table is DynamoDB Local.
import { createServer, type Server } from 'node:http';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployInstance, installFakeAws, type AwsInstance, type FakeAws } from '../../test/aws/fake-aws.ts';
import { Auth } from '../resources/auth-service.ts';
import { parseSecrets } from '../security/secrets.ts';
import { verifyClaims } from '../security/tokens.ts';
import { UserTable } from '../store/users.ts';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createSetupHandler } from './setup.ts';
import type { SetupDeps } from './setup-actions.ts';

let fake: FakeAws;
let inst: AwsInstance;
let server: Server;
let url = '';
const answers: Array<Record<string, unknown>> = [];
const logs: string[] = [];
let handler: ReturnType<typeof createSetupHandler>;
let deps: SetupDeps;

beforeAll(async () => {
  fake = installFakeAws();
  inst = await deployInstance(fake); // one instance, already set up once; a second "stack" below starts blank
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      answers.push({ method: req.method, contentType: req.headers['content-type'], ...(JSON.parse(body) as object) });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/presigned`;
  const arns = { secretArn: 'arn:new:instance', ownerTokenSecretArn: 'arn:new:owner', joinTokenSecretArn: 'arn:new:join' };
  for (const arn of Object.values(arns)) fake.secretValues.set(arn, 'placeholder');
  deps = { iid: 'fresh', store: inst.store, secrets: new SecretsManagerClient({ region: 'us-east-1' }), ...arns };
  handler = createSetupHandler(() => deps, (l) => logs.push(l));
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  fake?.restore();
});

const cfn = (RequestType: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent =>
  ({
    RequestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:setup',
    ResponseURL: url,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Flurry/1',
    RequestId: `req-${answers.length}`,
    LogicalResourceId: 'SetupResource',
    ResourceType: 'Custom::FlurrySetup',
    ResourceProperties: { ServiceToken: 'x', Iid: 'fresh', OwnerUser: 'olivia' },
    ...(RequestType === 'Create' ? {} : { PhysicalResourceId: 'flurry-setup-fresh', OldResourceProperties: {} }),
  }) as CloudFormationCustomResourceEvent;

const secretTexts = () => [...fake.secretValues.values()].filter((v) => v !== 'placeholder');

describe('the setup custom resource', () => {
  it('Create writes the instance secrets, the first owner token and the agents’ join token, and answers SUCCESS', async () => {
    await handler(cfn('Create'));
    expect(answers.at(-1)).toMatchObject({ method: 'PUT', contentType: '', Status: 'SUCCESS', PhysicalResourceId: 'flurry-setup-fresh', NoEcho: true, Data: {} });
    expect(answers.at(-1)!.Reason).toBe('created: instance secrets, owner token, agent join token');
    const secrets = parseSecrets(JSON.parse(fake.secretValues.get(deps.secretArn)!));
    const owner = fake.secretValues.get(deps.ownerTokenSecretArn)!;
    expect(await new Auth(new UserTable(inst.store), secrets.tokenPepper, () => Date.now() / 1000).authenticate(owner)).toEqual({ user: 'olivia', role: 'owner' });
    const join = await verifyClaims(fake.secretValues.get(deps.joinTokenSecretArn)!, secrets.joinKey, Date.now() / 1000);
    expect(join).toMatchObject({ ok: true, claims: { kind: 'join', iid: 'fresh' } });
  });

  it('Update keeps everything (re-keying would invalidate every token)', async () => {
    const before = new Map(fake.secretValues);
    await handler(cfn('Update'));
    expect(answers.at(-1)).toMatchObject({ Status: 'SUCCESS', Reason: 'everything was in place', PhysicalResourceId: 'flurry-setup-fresh' });
    expect(fake.secretValues).toEqual(before);
  });

  it('Delete leaves the secrets to their removal policy', async () => {
    const before = new Map(fake.secretValues);
    await handler(cfn('Delete'));
    expect(answers.at(-1)).toMatchObject({ Status: 'SUCCESS', Reason: 'nothing to do' });
    expect(fake.secretValues).toEqual(before);
  });

  it('a failure is answered FAILED with the reason (CloudFormation never waits an hour)', async () => {
    const broken = createSetupHandler(() => ({ ...deps, secretArn: 'arn:missing' }), (l) => logs.push(l));
    await broken(cfn('Update'));
    expect(answers.at(-1)).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('can’t find the specified secret') });
  });

  it('never puts a token or key in an answer or a log line', () => {
    const said = JSON.stringify(answers) + logs.join('\n');
    for (const text of secretTexts()) expect(said).not.toContain(text);
    expect(said).not.toMatch(/flt_|fjt1\.|privateJwk/);
  });
});

describe('admin actions (aws lambda invoke)', () => {
  it('mints a join token for a pool, valid for the days asked', async () => {
    const out = await handler({ action: 'join-token', pool: 'onprem', days: 7 });
    const secrets = parseSecrets(JSON.parse(fake.secretValues.get(deps.secretArn)!));
    const verdict = await verifyClaims(String(out!.token), secrets.joinKey, Date.now() / 1000);
    expect(verdict).toMatchObject({ ok: true, claims: { kind: 'join', iid: 'fresh', pool: 'onprem' } });
    if (verdict.ok) expect(verdict.claims.exp - Date.now() / 1000).toBeGreaterThan(6.9 * 86400);
  });

  it('mints a user token that the API accepts', async () => {
    const out = await handler({ action: 'user-token', user: 'bob' });
    const secrets = parseSecrets(JSON.parse(fake.secretValues.get(deps.secretArn)!));
    expect(out).toMatchObject({ user: 'bob', role: 'user' });
    expect(await new Auth(new UserTable(inst.store), secrets.tokenPepper, () => Date.now() / 1000).authenticate(String(out!.token))).toEqual({ user: 'bob', role: 'user' });
  });

  it('rotates the agents’ join token', async () => {
    const old = fake.secretValues.get(deps.joinTokenSecretArn);
    expect(await handler({ action: 'rotate-agent-join-token' })).toMatchObject({ rotated: true });
    expect(fake.secretValues.get(deps.joinTokenSecretArn)).not.toBe(old);
  });

  it('refuses bad requests with a sentence', async () => {
    await expect(handler({ action: 'join-token', days: 0 })).rejects.toThrow(/days must be/);
    await expect(handler({ action: 'user-token', user: 'no spaces' })).rejects.toThrow(/user must be/);
    await expect(handler({ action: 'user-token', user: 'eve', role: 'root' })).rejects.toThrow(/role must be/);
    await expect(handler({ action: 'drop-table' })).rejects.toThrow(/unknown action/);
  });
});

// stack.test.ts - `cdk synth` of the Flurry stack, offline and without bundling (fast), checked resource by
// resource: the table matches control/store/table.ts, least-privilege IAM, the tick's concurrency and schedule,
// the agents' network and boot script, and cdk-nag's AwsSolutions pack passing with every acknowledgement reasoned.
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { tableDefinition } from '../../control/store/table.ts';
import { settingsFrom } from '../../infra/config.ts';
import { FlurryStack } from '../../infra/stack.ts';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

function synth(context: Record<string, unknown> = {}, env?: { account: string; region: string }) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new FlurryStack(app, 'Flurry', { settings: settingsFrom((k) => context[k]), ...(env ? { env } : {}) });
  return { app, stack, template: Template.fromStack(stack) };
}

const asList = <T,>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

let stack: FlurryStack;
let template: Template;
let resources: Record<string, Resource>;
let statements: Array<Statement & { policy: string }>;

beforeAll(() => {
  ({ stack, template } = synth({ vpcId: 'vpc-0123456789abcdef0', subnetIds: 'subnet-0123456789abcdef0', instanceTypes: 'c7g.large,c7g.xlarge' }));
  resources = template.toJSON().Resources as Record<string, Resource>;
  statements = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Policy')
    .flatMap(([id, r]) => ((r.Properties.PolicyDocument as { Statement: Statement[] }).Statement ?? []).map((s) => ({ ...s, policy: id })));
}, 60_000);

const logicalId = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
const roleOf = (fn: { role: { node: { defaultChild?: unknown } } }) => logicalId(fn.role);
const policiesOfRole = (roleId: string) =>
  Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .map(([id]) => id);

describe('the table', () => {
  it('is on-demand, point-in-time recoverable, KMS-encrypted, with TTL, kept on delete', () => {
    const [id, table] = Object.entries(resources).find(([, r]) => r.Type === 'AWS::DynamoDB::Table')!;
    expect(table.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      DeletionProtectionEnabled: true,
    });
    expect(table.DeletionPolicy).toBe('Retain');
    expect(id).toBeTruthy();
  });

  it('has exactly the keys and indexes of control/store/table.ts', () => {
    const table = Object.values(resources).find((r) => r.Type === 'AWS::DynamoDB::Table')!;
    const def = tableDefinition('x');
    expect(table.Properties.KeySchema).toEqual(def.KeySchema);
    expect(new Set(table.Properties.AttributeDefinitions as unknown[])).toEqual(new Set(def.AttributeDefinitions));
    const byName = (xs: Array<{ IndexName?: string }>) => [...xs].sort((a, b) => String(a.IndexName).localeCompare(String(b.IndexName)));
    expect(byName(table.Properties.GlobalSecondaryIndexes as Array<{ IndexName: string }>)).toEqual(byName(def.GlobalSecondaryIndexes!));
  });

  it('can be deleted with the stack when retainData=false', () => {
    const { template: t } = synth({ retainData: 'false' });
    t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ DeletionProtectionEnabled: false }) });
    t.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
  });
});

describe('the functions', () => {
  it('run nodejs22.x on arm64 with a log group kept for a month', () => {
    const fns = Object.values(resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(fns).toHaveLength(4); // http, ws, tick, setup
    for (const fn of fns) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], LoggingConfig: { LogGroup: { Ref: expect.any(String) } } });
      const group = resources[(fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref]!;
      expect(group.Properties.RetentionInDays).toBe(30);
    }
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('the tick runs one at a time, every minute and on request', () => {
    const tickId = logicalId(stack.tick.fn);
    expect(resources[tickId]!.Properties.ReservedConcurrentExecutions).toBe(1);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [tickId, 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: tickId }, MaximumRetryAttempts: 0 });
    for (const f of [stack.http, stack.ws]) expect(resources[logicalId(f.fn)]!.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('get their configuration from the environment, and no secret', () => {
    for (const f of [stack.http, stack.ws, stack.tick]) {
      const env = (resources[logicalId(f.fn)]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(env)).toEqual(expect.arrayContaining(['FLURRY_TABLE', 'FLURRY_IID', 'FLURRY_SECRET_ARN', 'FLURRY_WS_CALLBACK_URL', 'FLURRY_PUBLIC_URI']));
      expect(env.FLURRY_SECRET_ARN).toEqual({ Ref: logicalId(stack.setup.instanceSecrets) });
      expect(JSON.stringify(env)).not.toMatch(/flt_|fjt1\.|privateJwk|tokenPepper/);
    }
    const tickEnv = (resources[logicalId(stack.tick.fn)]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(tickEnv.FLURRY_TICK_FUNCTION).toBeUndefined();
    const httpEnv = (resources[logicalId(stack.http.fn)]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(httpEnv.FLURRY_TICK_FUNCTION).toEqual({ Ref: logicalId(stack.tick.fn) });
  });
});

describe('IAM least privilege', () => {
  it('never grants * on anything', () => {
    for (const s of statements) {
      expect(asList(s.Action)).not.toContain('*');
      expect(asList(s.Resource as unknown)).not.toContain('*');
    }
  });

  it('limits DynamoDB to the table and its indexes by name', () => {
    const tableId = logicalId(stack.table.table);
    const arn = { 'Fn::GetAtt': [tableId, 'Arn'] };
    const index = (name: string) => ({ 'Fn::Join': ['', [arn, `/index/${name}`]] });
    const dynamo = statements.filter((s) => asList(s.Action).some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.length).toBeGreaterThanOrEqual(4);
    for (const s of dynamo) {
      for (const r of asList(s.Resource)) expect([arn, index('active'), index('owner'), index('all')]).toContainEqual(r);
      expect(asList(s.Action).every((a) => /^dynamodb:(GetItem|BatchGetItem|PutItem|UpdateItem|DeleteItem|BatchWriteItem|ConditionCheckItem|Query)$/.test(a))).toBe(true);
    }
  });

  it('scopes execute-api:ManageConnections to this WebSocket API’s agent stage', () => {
    const manage = statements.filter((s) => asList(s.Action).includes('execute-api:ManageConnections'));
    expect(manage).toHaveLength(3);
    const wsId = logicalId(stack.apis.ws);
    for (const s of manage) {
      const text = JSON.stringify(s.Resource);
      expect(text).toContain(`{"Ref":"${wsId}"}`);
      expect(text).toContain('/agents/*/@connections/*');
    }
  });

  it('lets http and ws invoke the tick function, and nothing else', () => {
    const invoke = statements.filter((s) => asList(s.Action).includes('lambda:InvokeFunction'));
    expect(invoke.map((s) => s.policy).sort()).toEqual([...policiesOfRole(roleOf(stack.http)), ...policiesOfRole(roleOf(stack.ws))].sort());
    for (const s of invoke) expect(s.Resource).toEqual({ 'Fn::GetAtt': [logicalId(stack.tick.fn), 'Arn'] });
  });

  it('gives each principal only the secret it needs', () => {
    const reads = statements.filter((s) => asList(s.Action).includes('secretsmanager:GetSecretValue'));
    const ref = (sec: { node: { defaultChild?: unknown } }) => ({ Ref: logicalId(sec) });
    const readBy = (roleId: string) => reads.filter((s) => policiesOfRole(roleId).includes(s.policy)).flatMap((s) => asList(s.Resource));
    for (const f of [stack.http, stack.ws]) expect(readBy(roleOf(f))).toEqual([ref(stack.setup.instanceSecrets)]);
    // The tick also renews the EC2 agents' join token.
    expect(readBy(roleOf(stack.tick))).toEqual([ref(stack.setup.instanceSecrets), ref(stack.setup.agentJoinToken)]);
    expect(readBy(logicalId(stack.agents.role))).toEqual([ref(stack.setup.agentJoinToken)]);
    const writes = statements.filter((s) => asList(s.Action).includes('secretsmanager:PutSecretValue'));
    expect(writes.filter((s) => policiesOfRole(roleOf(stack.tick)).includes(s.policy)).flatMap((s) => asList(s.Resource))).toEqual([ref(stack.setup.agentJoinToken)]);
    expect(new Set(writes.map((s) => s.policy))).toEqual(new Set([...policiesOfRole(roleOf(stack.setup.setup)), ...policiesOfRole(roleOf(stack.tick))]));
  });

  it('attaches no managed policies', () => {
    for (const r of Object.values(resources).filter((x) => x.Type === 'AWS::IAM::Role')) expect(r.Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('the APIs', () => {
  it('routes $default of the HTTP API and the three WebSocket routes to their functions', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default', ApiId: { Ref: logicalId(stack.apis.http) } });
    for (const key of ['$connect', '$disconnect', '$default']) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: key, ApiId: { Ref: logicalId(stack.apis.ws) } });
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: 'agents', AutoDeploy: true });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: '$default', AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }) });
  });

  it('outputs the URIs and how to read the first owner token', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['HttpUri', 'AgentUri', 'OwnerTokenCommand', 'SetupFunction']));
    expect(JSON.stringify(outputs.OwnerTokenCommand!.Value)).toContain('aws secretsmanager get-secret-value');
    expect(JSON.stringify(outputs.AgentUri!.Value)).toContain('wss://');
  });
});

describe('the EC2 agents', () => {
  it('get a security group with no inbound rules', () => {
    const groups = Object.values(resources).filter((r) => r.Type === 'AWS::EC2::SecurityGroup');
    expect(groups).toHaveLength(1);
    expect(groups[0]!.Properties.SecurityGroupIngress).toBeUndefined();
    expect(groups[0]!.Properties.VpcId).toBe('vpc-0123456789abcdef0');
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress')).toEqual([]);
  });

  it('boot Amazon Linux 2023 with IMDSv2, an encrypted disk and the agent under systemd', () => {
    const lt = Object.values(resources).find((r) => r.Type === 'AWS::EC2::LaunchTemplate')!;
    const data = lt.Properties.LaunchTemplateData as Record<string, unknown>;
    expect(data).toMatchObject({
      InstanceType: 'c7g.large',
      MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3' } }],
      SecurityGroupIds: [{ 'Fn::GetAtt': [expect.any(String), 'GroupId'] }],
    });
    const params = template.toJSON().Parameters as Record<string, { Default?: string }>;
    expect(Object.values(params).some((p) => p.Default === '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64' || /al2023-ami-.*arm64/.test(p.Default ?? ''))).toBe(true);
    const script = JSON.stringify(data.UserData);
    for (const part of ['dnf install -y nodejs22', 'aws s3 cp', 'aws secretsmanager get-secret-value', '--token-file /etc/flurry/join-token', 'Restart=always', 'systemctl enable --now flurry-agent.service']) {
      expect(script).toContain(part);
    }
  });

  it('has no network settings without a VPC, and picks the x86 AMI for x86 types', () => {
    const { template: t } = synth({ instanceTypes: 'hpc6a.48xlarge' });
    expect(t.findResources('AWS::EC2::SecurityGroup')).toEqual({});
    const params = t.toJSON().Parameters as Record<string, { Default?: string }>;
    expect(Object.values(params).some((p) => /al2023-ami-.*x86_64/.test(p.Default ?? ''))).toBe(true);
  });

  it('refuses settings that cannot work', () => {
    expect(() => settingsFrom((k) => ({ instanceTypes: 'c7g.large,c6i.large' })[k])).toThrow(/mixes arm64 and x86_64/);
    expect(() => settingsFrom((k) => ({ subnetIds: 'subnet-0123456789abcdef0' })[k])).toThrow(/needs vpcId/);
    expect(() => settingsFrom((k) => ({ instanceName: 'Bad_Name' })[k])).toThrow(/instanceName/);
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('passes, with a reason for every acknowledged finding', () => {
    const report = new AwsSolutionsChecks(stack, { verbose: true }).validateScope(stack);
    expect(report.violations).toEqual([]);
    const acks = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ id, reason })));
    expect(acks.length).toBeGreaterThanOrEqual(10);
    for (const a of acks) expect(a.reason.length).toBeGreaterThan(60);
    expect(new Set(acks.map((a) => a.id.replace(/^(Annotation|AwsSolutions)::/, '').replace(/\[.*$/, '')))).toEqual(new Set(['AwsSolutions-SMG4', 'AwsSolutions-L1', 'AwsSolutions-APIG4', 'AwsSolutions-APIG1', 'AwsSolutions-IAM5']));
  });

  it('passes for an environment-specific stack too (the IAM5 finding names account and region)', () => {
    const { stack: s, app } = synth({}, { account: '123456789012', region: 'eu-west-1' });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(new AwsSolutionsChecks(s).validateScope(s).violations).toEqual([]);
    expect(() => app.synth()).not.toThrow();
  });
});

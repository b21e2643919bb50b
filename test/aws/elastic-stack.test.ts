// elastic-stack.test.ts - `cdk synth` with `-c elasticConfig=pools.yaml`, offline and without bundling: the pools file
// reaches the tick and http functions (and only the tick gets the EC2 rights), the tick role's EC2 and PassRole
// statements exactly, cdk-nag passing with an acknowledgement only for each wildcard resource that has to be one, and
// pools files the stack cannot launch refused at synth.
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeElasticConfig } from '../../elastic/aws.ts';
import { settingsFrom } from '../../infra/config.ts';
import { FlurryStack } from '../../infra/stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'flurry-elastic-stack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function poolsFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const POOLS = [
  'pools:',
  '  - {name: onprem, provider: static}',
  '  - {name: laptop, provider: local, max: 2, local: {cores: 2, memoryMB: 1024}}',
  '  - {name: cloud, provider: ec2, instanceTypes: [c7g.xlarge, c7g.2xlarge], capacityType: spot-then-on-demand, max: 8, idleTimeout: inf}',
  '',
].join('\n');

function synth(context: Record<string, unknown>, env?: { account: string; region: string }) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new FlurryStack(app, 'Flurry', { settings: settingsFrom((k) => context[k]), ...(env ? { env } : {}) });
  return { app, stack, template: Template.fromStack(stack) };
}

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
let stack: FlurryStack;
let resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
let statements: Statement[];
const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
const envOf = (fn: { node: { defaultChild?: unknown } }) => (resources[id(fn)]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
/** An ARN as CloudFormation builds it from the pseudo parameters. */
const arn = (resource: string, account = true) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, ...(account ? [':', { Ref: 'AWS::AccountId' }, `:${resource}`] : [`::${resource}`])]],
});

beforeAll(() => {
  const ctx = { vpcId: 'vpc-0123456789abcdef0', subnetIds: 'subnet-0123456789abcdef0', instanceTypes: 'c7g.large', instanceName: 'hpc', elasticConfig: poolsFile('pools.yaml', POOLS) };
  ({ stack } = synth(ctx));
  resources = Template.fromStack(stack).toJSON().Resources as typeof resources;
  statements = (resources[id(stack.elastic!.policy)]!.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
}, 60_000);

describe('the pools file on AWS', () => {
  it('reaches the tick and the http function (status), with the tick’s launch settings', () => {
    const tick = envOf(stack.tick.fn);
    expect(decodeElasticConfig(String(tick.FLURRY_ELASTIC_CONFIG)).pools.map((p) => p.name)).toEqual(['onprem', 'laptop', 'cloud']);
    expect(envOf(stack.http.fn).FLURRY_ELASTIC_CONFIG).toBe(tick.FLURRY_ELASTIC_CONFIG);
    expect(envOf(stack.ws.fn).FLURRY_ELASTIC_CONFIG).toBeUndefined();
    expect(tick).toMatchObject({
      FLURRY_LAUNCH_TEMPLATE_ID: { Ref: id(stack.agents.launchTemplate) },
      FLURRY_SUBNET_IDS: 'subnet-0123456789abcdef0',
      FLURRY_AGENT_SECURITY_GROUP: { 'Fn::GetAtt': [stack.getLogicalId(stack.agents.securityGroup!), 'GroupId'] },
      FLURRY_AGENT_BUNDLE: expect.objectContaining({ 'Fn::Join': expect.anything() }),
    });
    expect(JSON.stringify(tick.FLURRY_AGENT_BUNDLE)).toContain('s3://');
  });

  it('is absent, and so is every EC2 right, without elasticConfig', () => {
    const { stack: plain, template } = synth({});
    expect(plain.elastic).toBeUndefined();
    expect(JSON.stringify(template.toJSON())).not.toMatch(/ec2:RunInstances|iam:PassRole|FLURRY_ELASTIC_CONFIG/);
  });
});

describe('the tick role’s EC2 rights', () => {
  it('is one inline policy of the tick role', () => {
    expect(resources[id(stack.elastic!.policy)]!.Properties.Roles).toEqual([{ Ref: stack.getLogicalId(stack.tick.role.node.defaultChild as never) }]);
  });

  it('are exactly these statements', () => {
    const lt = arn('launch-template/');
    (lt['Fn::Join'][1] as unknown[]).push({ Ref: id(stack.agents.launchTemplate) });
    const fromTemplate = { ArnEquals: { 'ec2:LaunchTemplate': [lt] } };
    const created = [arn('instance/*'), arn('volume/*'), arn('network-interface/*')];
    const groups = arn('placement-group/flurry-*');
    const mine = { 'aws:RequestTag/flurry:cluster': 'hpc' };
    const owned = { StringEquals: { 'aws:ResourceTag/flurry:cluster': 'hpc' } };
    expect(statements).toEqual([
      { Sid: 'RunFromTemplate', Effect: 'Allow', Action: 'ec2:RunInstances', Resource: [lt, arn('image/*', false), arn('subnet/*'), arn('security-group/*'), groups, arn('spot-instances-request/*')], Condition: fromTemplate },
      { Sid: 'RunTagged', Effect: 'Allow', Action: 'ec2:RunInstances', Resource: created, Condition: { ...fromTemplate, StringEquals: mine } },
      { Sid: 'TagOnCreate', Effect: 'Allow', Action: 'ec2:CreateTags', Resource: [...created, groups], Condition: { StringEquals: { 'ec2:CreateAction': ['RunInstances', 'CreatePlacementGroup'], ...mine } } },
      { Sid: 'CreateGroups', Effect: 'Allow', Action: 'ec2:CreatePlacementGroup', Resource: groups, Condition: { StringEquals: mine } },
      { Sid: 'DeleteGroups', Effect: 'Allow', Action: 'ec2:DeletePlacementGroup', Resource: groups, Condition: owned },
      { Sid: 'Terminate', Effect: 'Allow', Action: 'ec2:TerminateInstances', Resource: arn('instance/*'), Condition: owned },
      { Sid: 'Describe', Effect: 'Allow', Action: ['ec2:DescribeInstances', 'ec2:DescribePlacementGroups'], Resource: '*' },
      {
        Sid: 'PassAgentRole', Effect: 'Allow', Action: 'iam:PassRole', Resource: { 'Fn::GetAtt': [stack.getLogicalId(stack.agents.role.node.defaultChild as never), 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      },
    ]);
  });

  it('are granted to no other role', () => {
    const others = Object.entries(resources).filter(([k, r]) => r.Type === 'AWS::IAM::Policy' && k !== id(stack.elastic!.policy));
    expect(JSON.stringify(others)).not.toMatch(/"ec2:|iam:PassRole/);
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('passes, acknowledging exactly the wildcard resources the statements need, each with a reason', () => {
    expect(new AwsSolutionsChecks(stack, { verbose: true }).validateScope(stack).violations).toEqual([]);
    const acks = stack.elastic!.policy.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([rule, reason]) => ({ rule: rule.replace(/^Annotation::/, ''), reason })));
    for (const a of acks) expect(a.reason.length).toBeGreaterThan(80);
    // The same statements, unacknowledged, in a bare stack: what cdk-nag finds is what was acknowledged.
    const bare = new Stack(new App(), 'Bare');
    const role = new iam.Role(bare, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    new iam.Policy(bare, 'Policy', { roles: [role], statements: stack.elastic!.policy.document.toJSON().Statement.map((s: unknown) => iam.PolicyStatement.fromJson(s)) });
    const findings = new AwsSolutionsChecks(bare).validateScope(bare).violations.map((v) => v.ruleName);
    expect(new Set(acks.map((a) => a.rule))).toEqual(new Set(findings));
    expect(findings).toHaveLength(9); // instance, volume, network-interface, image, subnet, security-group, flurry-*, spot-instances-request, *
  });

  it('passes for an environment-specific stack too', () => {
    const { stack: s, app } = synth({ elasticConfig: poolsFile('pools-env.yaml', POOLS) }, { account: '123456789012', region: 'eu-west-1' });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(new AwsSolutionsChecks(s).validateScope(s).violations).toEqual([]);
    expect(() => app.synth()).not.toThrow();
  });
});

describe('pools files the stack cannot launch', () => {
  it('fail the synth, naming the file and the pool', () => {
    const x86 = poolsFile('x86.yaml', 'pools:\n  - {name: intel, provider: ec2, instanceTypes: [c6i.2xlarge], max: 2}\n');
    expect(() => synth({ elasticConfig: x86 })).toThrow(/elasticConfig=.*x86\.yaml:\n {2}pools\[0\] \(intel\): c6i\.2xlarge is x86_64, but the stack's launch template boots the arm64 AMI/);
    expect(() => synth({ elasticConfig: join(dir, 'missing.yaml') })).toThrow(/missing\.yaml: no such file/);
    const typo = poolsFile('typo.yaml', 'pools:\n  - {name: cloud, provider: ec2, instanceTypes: [c7g.large], max: 2, idelTimeout: 5m}\n');
    expect(() => synth({ elasticConfig: typo })).toThrow(/typo\.yaml: pools\[0\]\.idelTimeout: unknown key/);
  });
});

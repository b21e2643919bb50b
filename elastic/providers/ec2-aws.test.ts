// ec2-aws.test.ts - the ec2 provider as the AWS deployment uses it, against a mocked EC2 (aws-sdk-client-mock): launches
// from the stack's launch template with the agent installed from S3 and running as an unprivileged user, a join token
// scoped to the pool that expires, and the per-launch placement groups deleted by reconciliation once unused.
import {
  DeletePlacementGroupCommand,
  DescribeInstancesCommand,
  DescribePlacementGroupsCommand,
  EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyClaims } from '../../control/security/tokens.ts';
import { catalogFor } from '../catalog.ts';
import { type CloudPoolConfig, parseElasticConfig } from '../config.ts';
import { ElasticExecutor } from '../executor/executor.ts';
import { poolJoinToken } from '../executor/providers.ts';
import { FakeSource, MemoryNodes } from '../executor/testing.ts';
import { MemoryElasticStore } from '../store.ts';
import { Ec2Provider } from './ec2.ts';
import { s3AgentBoot } from './ec2-boot.ts';

const ec2 = mockClient(EC2Client);
const NOW = 1_760_000_000;
const KEY = 'test-join-key-0123456789abcdef0123456789';

beforeEach(() => {
  ec2.reset();
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
  ec2.on(DescribePlacementGroupsCommand).resolves({ PlacementGroups: [] });
});
afterEach(() => ec2.reset());

const config = parseElasticConfig({
  pools: [
    { name: 'cloud', provider: 'ec2', instanceTypes: ['c7g.xlarge'], max: 4, joinTimeout: '10m' },
    { name: 'hpc', provider: 'ec2', instanceTypes: ['hpc7g.16xlarge'], efa: true, max: 4, ec2: { imageId: 'ami-0own' } },
  ],
});
const [cloud, hpc] = config.pools as CloudPoolConfig[];

function provider(): Ec2Provider {
  return new Ec2Provider({
    client: new EC2Client({ region: 'us-east-1' }), cluster: 'inst1', joinToken: poolJoinToken('inst1', KEY, () => NOW), defaultJoinUrl: 'wss://abc.execute-api.us-east-1.amazonaws.com/agents',
    catalog: catalogFor(config), clock: () => NOW, launchTemplate: { id: 'lt-0agents' }, boot: s3AgentBoot({ region: 'us-east-1', bucket: 'assets', key: 'agent.mjs' }),
  });
}

describe('launching from the stack’s launch template', () => {
  it('installs the agent from S3, runs it unprivileged, and gives it a join token scoped to the pool that expires', async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-01', InstanceType: 'c7g.xlarge', State: { Name: 'pending' } }] });
    await provider().create({ launchId: 'l-1', pool: cloud!, instanceType: 'c7g.xlarge', count: 1, capacityType: 'on-demand', subnet: 'subnet-0a' });
    const input = ec2.commandCalls(RunInstancesCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ LaunchTemplate: { LaunchTemplateId: 'lt-0agents', Version: '$Default' }, InstanceType: 'c7g.xlarge', SubnetId: 'subnet-0a', MinCount: 1, MaxCount: 1 });
    expect(input.ImageId).toBeUndefined();
    expect(input.IamInstanceProfile).toBeUndefined(); // the template's
    const lines = Buffer.from(input.UserData!, 'base64').toString('utf8').split('\n');
    const at = (l: string) => lines.indexOf(l);
    expect(at('dnf install -y nodejs22')).toBeGreaterThan(at('set -euo pipefail'));
    expect(at('aws s3 cp --only-show-errors --region us-east-1 s3://assets/agent.mjs /opt/flurry/flurry.mjs')).toBeLessThan(at('umask 077'));
    expect(lines).toContain('chown -R flurry:flurry /var/lib/flurry-agent');
    expect(lines.slice(at('[Service]') + 1, at('[Service]') + 3)).toEqual(['User=flurry', 'Group=flurry']);
    expect(lines.find((l) => l.startsWith('ExecStart='))).toMatch(/^ExecStart=\/usr\/bin\/env flurry agent --uri wss:\/\/abc\.execute-api\.us-east-1\.amazonaws\.com\/agents --token-file /);
    const token = lines[at("cat > /var/lib/flurry-agent/join-token <<'FLURRY_JOIN_TOKEN'") + 1]!;
    const verdict = await verifyClaims(token, KEY, NOW);
    expect(verdict).toMatchObject({ ok: true, claims: { kind: 'join', iid: 'inst1', pool: 'cloud', exp: NOW + 600 + 3600 } });
    expect((await verifyClaims(token, KEY, NOW + 600 + 3601)).ok).toBe(false);
  });

  it('does not install anything on a pool that brings its own image', async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-02', InstanceType: 'hpc7g.16xlarge', State: { Name: 'pending' } }] });
    await provider().create({ launchId: 'l-2', pool: hpc!, instanceType: 'hpc7g.16xlarge', count: 1, capacityType: 'on-demand' });
    const input = ec2.commandCalls(RunInstancesCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ ImageId: 'ami-0own', LaunchTemplate: { LaunchTemplateId: 'lt-0agents' } });
    const script = Buffer.from(input.UserData!, 'base64').toString('utf8');
    expect(script).not.toContain('dnf install');
    expect(script).not.toContain('User=flurry');
  });
});

describe('placement groups', () => {
  const group = (name: string) => ({ GroupName: name, State: 'available' as const, Strategy: 'cluster' as const, Tags: [{ Key: 'flurry:cluster', Value: 'inst1' }] });

  it('are deleted once no launch record and no instance uses them', async () => {
    ec2.on(DescribePlacementGroupsCommand).resolves({ PlacementGroups: [group('flurry-l-gone'), group('flurry-l-used'), group('flurry-l-recorded'), { ...group('flurry-l-other'), Tags: [{ Key: 'flurry:cluster', Value: 'other' }] }] });
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ InstanceId: 'i-0used', InstanceType: 'hpc7g.16xlarge', State: { Name: 'running' }, Placement: { GroupName: 'flurry-l-used' }, Tags: [{ Key: 'flurry:cluster', Value: 'inst1' }, { Key: 'flurry:pool', Value: 'hpc' }, { Key: 'flurry:launch', Value: 'l-used' }] }] }],
    });
    ec2.on(DeletePlacementGroupCommand).resolves({});
    const store = new MemoryElasticStore();
    await store.putLaunch('inst1', { launchId: 'l-recorded', pool: 'hpc', instanceType: 'hpc7g.16xlarge', count: 2, capacityType: 'on-demand', forJobs: [], reason: 'test', pricePerHour: 1, since: NOW, state: 'launching', attempts: 0, placementGroup: 'flurry-l-recorded' });
    const p = provider();
    const ex = new ElasticExecutor({ iid: 'inst1', config, store, nodes: new MemoryNodes(), source: new FakeSource(), providers: new Map([['cloud', p], ['hpc', p]]), clock: () => NOW });
    ec2.on(RunInstancesCommand).rejects(Object.assign(new Error('stop'), { name: 'InvalidParameterValue' })); // the replay of l-recorded
    await ex.pass();
    expect(ec2.commandCalls(DescribePlacementGroupsCommand)[0]!.args[0].input).toEqual({ Filters: [{ Name: 'tag:flurry:cluster', Values: ['inst1'] }] });
    expect(ec2.commandCalls(DeletePlacementGroupCommand).map((c) => c.args[0].input)).toEqual([{ GroupName: 'flurry-l-gone' }]);
    expect(store.state.decisions.map((d) => d.text)).toContain('placement group flurry-l-gone deleted: its instances are gone');
  });

  it('stay for a later pass while EC2 still holds them, and are not looked for without an EFA pool', async () => {
    ec2.on(DescribePlacementGroupsCommand).resolves({ PlacementGroups: [group('flurry-l-busy')] });
    ec2.on(DeletePlacementGroupCommand).rejects(Object.assign(new Error('in use'), { name: 'InvalidPlacementGroup.InUse' }));
    const p = provider();
    const ex = new ElasticExecutor({ iid: 'inst1', config, store: new MemoryElasticStore(), nodes: new MemoryNodes(), source: new FakeSource(), providers: new Map([['cloud', p], ['hpc', p]]), clock: () => NOW });
    await expect(ex.pass()).resolves.toMatchObject({ launched: [] });
    expect(ec2.commandCalls(DeletePlacementGroupCommand)).toHaveLength(1);
    ec2.resetHistory();
    const cloudOnly = new ElasticExecutor({ iid: 'inst1', config, store: new MemoryElasticStore(), nodes: new MemoryNodes(), source: new FakeSource(), providers: new Map([['cloud', p]]), clock: () => NOW });
    await cloudOnly.pass();
    expect(ec2.commandCalls(DescribePlacementGroupsCommand)).toHaveLength(0);
  });
});

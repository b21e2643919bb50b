// ec2.test.ts - the ec2 provider against a mocked EC2 (aws-sdk-client-mock), driven by real policy decisions through
// the executor: the exact RunInstances request of a 4-node hpc6a EFA job (placement group, EFA interface, subnet,
// tags, user data, client token), spot → on-demand fallback, and EC2 errors mapped to the typed errors.
import {
  CreatePlacementGroupCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type Instance as Ec2Instance,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalogFor, type CloudPoolConfig, parseElasticConfig, type ElasticConfig } from '../config.ts';
import { ElasticExecutor } from '../executor/executor.ts';
import { FakeSource, MemoryNodes } from '../executor/testing.ts';
import { InstanceNotFoundError, InsufficientCapacityError, LimitExceededError, isInstanceNotFound } from '../provider.ts';
import { stableHash } from '../policy/format.ts';
import { MemoryElasticStore } from '../store.ts';
import { Ec2Provider } from './ec2.ts';

const ec2 = mockClient(EC2Client);
const TOKEN = 'fjt1.test-join-token.mac';
const NOW = 1_760_000_000;

function ec2Error(name: string, message = name): Error {
  return Object.assign(new Error(message), { name });
}

function provider(config: ElasticConfig): Ec2Provider {
  return new Ec2Provider({ client: new EC2Client({ region: 'us-east-2' }), cluster: 'inst1', joinToken: async () => TOKEN, defaultJoinUrl: 'wss://cp.example.org', catalog: catalogFor(config), clock: () => NOW });
}

function fakeInstances(n: number, type: string, lifecycle?: 'spot'): Ec2Instance[] {
  return Array.from({ length: n }, (_, i) => ({
    InstanceId: `i-0000000000000000${i}`,
    InstanceType: type as Ec2Instance['InstanceType'],
    State: { Name: 'pending', Code: 0 },
    LaunchTime: new Date(NOW * 1000),
    ...(lifecycle ? { InstanceLifecycle: lifecycle } : {}),
  }));
}

function executor(config: ElasticConfig, source: FakeSource, store: MemoryElasticStore, now: () => number) {
  const p = provider(config);
  const pools = config.pools.filter((x) => x.provider === 'ec2').map((x) => [x.name, p] as const);
  return new ElasticExecutor({ iid: 'inst1', config, store, nodes: new MemoryNodes(), source, providers: new Map(pools), clock: now });
}

beforeEach(() => {
  ec2.reset();
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
  ec2.on(CreatePlacementGroupCommand).resolves({});
});
afterEach(() => ec2.reset());

const hpc = parseElasticConfig({
  batch: { idle: 0, max: 0 },
  pools: [
    { name: 'onprem', provider: 'static' },
    {
      name: 'hpc', provider: 'ec2', instanceTypes: ['hpc6a.48xlarge'], efa: true, max: 8, maxWaitBeforeBurst: 0,
      subnets: [{ id: 'subnet-0aaa', zone: 'us-east-2b' }], joinUrl: 'wss://head.example.org:8443',
      ec2: { imageId: 'ami-0flurry', securityGroupIds: ['sg-0efa'], instanceProfile: 'flurry-node', tags: { team: 'cfd' } },
    },
  ],
});

describe('a 4-node hpc6a EFA job', () => {
  it('sends one RunInstances: placement group, EFA interface, subnet, tags, user data, client token', async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: fakeInstances(4, 'hpc6a.48xlarge') });
    const source = new FakeSource();
    source.pending = [{ id: 'ƒmpi', request: { nodes: 4, slots: 1, coresPerSlot: 96, gpusPerSlot: 0, exclusive: true }, duration: 3600, priority: 16, waitingSince: NOW }];
    const store = new MemoryElasticStore();
    const report = await executor(hpc, source, store, () => NOW).pass();
    expect(report.launched).toHaveLength(1);
    const launchId = report.launched[0]!.launchId;
    const pg = `flurry-${launchId}`;

    const groups = ec2.commandCalls(CreatePlacementGroupCommand).map((c) => c.args[0].input);
    expect(groups).toEqual([
      {
        GroupName: pg, Strategy: 'cluster',
        TagSpecifications: [{ ResourceType: 'placement-group', Tags: [{ Key: 'flurry:cluster', Value: 'inst1' }, { Key: 'flurry:pool', Value: 'hpc' }, { Key: 'flurry:launch', Value: launchId }] }],
      },
    ]);
    const runs = ec2.commandCalls(RunInstancesCommand).map((c) => c.args[0].input);
    expect(runs).toHaveLength(1);
    const { UserData, ...rest } = runs[0]!;
    const tags = [
      { Key: 'team', Value: 'cfd' }, { Key: 'Name', Value: 'flurry-hpc' }, { Key: 'flurry:cluster', Value: 'inst1' },
      { Key: 'flurry:pool', Value: 'hpc' }, { Key: 'flurry:launch', Value: launchId },
    ];
    expect(rest).toEqual({
      InstanceType: 'hpc6a.48xlarge',
      MinCount: 4,
      MaxCount: 4,
      ClientToken: `${launchId}.${stableHash('inst1')}`,
      ImageId: 'ami-0flurry',
      IamInstanceProfile: { Name: 'flurry-node' },
      NetworkInterfaces: [{ DeviceIndex: 0, NetworkCardIndex: 0, InterfaceType: 'efa', DeleteOnTermination: true, SubnetId: 'subnet-0aaa', Groups: ['sg-0efa'] }],
      Placement: { GroupName: pg },
      TagSpecifications: [
        { ResourceType: 'instance', Tags: tags },
        { ResourceType: 'volume', Tags: tags },
        { ResourceType: 'network-interface', Tags: tags },
      ],
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
    });
    const script = Buffer.from(UserData!, 'base64').toString('utf8');
    const lines = script.split('\n');
    expect(lines[0]).toBe('#!/bin/bash');
    // The token goes to a 0600 file (umask 077), never onto a command line.
    expect(script).toContain(`cat > /var/lib/flurry-agent/join-token <<'FLURRY_JOIN_TOKEN'\n${TOKEN}\nFLURRY_JOIN_TOKEN\n`);
    expect(lines).toContain('umask 077');
    expect(lines.filter((l) => l.includes(TOKEN))).toEqual([TOKEN]);
    expect(lines.find((l) => l.startsWith('ExecStart='))).toBe(
      'ExecStart=/usr/bin/env flurry agent --uri wss://head.example.org:8443 --token-file /var/lib/flurry-agent/join-token ' +
        '--state-dir /var/lib/flurry-agent --spot-watch --property hpc6a.48xlarge --property x86_64 --property efa ' +
        `--zone us-east-2b --group ${pg}`,
    );
    expect(lines).toContain('systemctl enable --now flurry-agent.service');
    expect(store.launches.get(launchId)).toMatchObject({ state: 'launched', count: 4, placementGroup: pg, instanceIds: fakeInstances(4, 'x').map((i) => i.InstanceId) });
  });
});

describe('spot, with on-demand fallback', () => {
  const spotty = parseElasticConfig({
    batch: { idle: 0, max: 0 },
    insufficientCapacityTTL: 120,
    pools: [{ name: 'burst', provider: 'ec2', instanceTypes: ['c6i.2xlarge'], capacityType: 'spot-then-on-demand', max: 4, maxWaitBeforeBurst: 0, subnets: ['subnet-0bbb'], ec2: { imageId: 'ami-0flurry' } }],
  });

  it('asks for spot first; after insufficient spot capacity, the next decision launches on-demand', async () => {
    ec2.on(RunInstancesCommand).rejectsOnce(ec2Error('InsufficientInstanceCapacity', 'There is no Spot capacity available')).resolves({ Instances: fakeInstances(1, 'c6i.2xlarge') });
    const source = new FakeSource();
    source.pending = [{ id: 'ƒa', request: { nodes: 1, slots: 1, coresPerSlot: 4, gpusPerSlot: 0, exclusive: false }, duration: 0, priority: 16, waitingSince: NOW }];
    const store = new MemoryElasticStore();
    let now = NOW;
    const ex = executor(spotty, source, store, () => now);
    const first = await ex.pass();
    expect(first.launched).toEqual([]);
    expect(first.again).toBe(true);
    expect(store.state.unavailable).toEqual([{ instanceType: 'c6i.2xlarge', capacityType: 'spot', subnet: 'subnet-0bbb', until: NOW + 120 }]);
    now += 1;
    const second = await ex.pass();
    expect(second.launched).toHaveLength(1);
    const runs = ec2.commandCalls(RunInstancesCommand).map((c) => c.args[0].input);
    expect(runs.map((r) => [r.InstanceType, r.SubnetId, r.MinCount, r.MaxCount])).toEqual([
      ['c6i.2xlarge', 'subnet-0bbb', 1, 1],
      ['c6i.2xlarge', 'subnet-0bbb', 1, 1],
    ]);
    expect(runs[0]!.InstanceMarketOptions).toEqual({ MarketType: 'spot', SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' } });
    expect(runs[1]!.InstanceMarketOptions).toBeUndefined();
    expect(runs[0]!.ClientToken).not.toBe(runs[1]!.ClientToken);
    expect([...store.launches.values()].map((r) => r.capacityType)).toEqual(['on-demand']);
  });
});

describe('errors', () => {
  const pool = hpc.pools[1] as CloudPoolConfig;
  const req = { launchId: 'l-abc', pool, instanceType: 'hpc6a.48xlarge', count: 2, capacityType: 'on-demand' as const, subnet: 'subnet-0aaa', zone: 'us-east-2b', placementGroup: 'flurry-l-abc' };

  it('maps InsufficientInstanceCapacity to InsufficientCapacityError naming the offering', async () => {
    ec2.on(RunInstancesCommand).rejects(ec2Error('InsufficientInstanceCapacity', 'We currently do not have sufficient hpc6a.48xlarge capacity'));
    const err = await provider(hpc).create(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InsufficientCapacityError);
    expect((err as InsufficientCapacityError).offering).toEqual({ instanceType: 'hpc6a.48xlarge', capacityType: 'on-demand', zone: 'us-east-2b', subnet: 'subnet-0aaa' });
  });

  it('maps InstanceLimitExceeded and VcpuLimitExceeded to LimitExceededError', async () => {
    for (const code of ['InstanceLimitExceeded', 'VcpuLimitExceeded']) {
      ec2.reset();
      ec2.on(RunInstancesCommand).rejects(ec2Error(code, 'You have requested more vCPU capacity than your current limit'));
      const err = await provider(hpc).create(req).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LimitExceededError);
      expect((err as LimitExceededError).limit).toBe(code);
    }
  });

  it('maps InvalidInstanceID.NotFound to InstanceNotFoundError on delete and get', async () => {
    ec2.on(TerminateInstancesCommand).rejects(ec2Error('InvalidInstanceID.NotFound'));
    ec2.on(DescribeInstancesCommand, { InstanceIds: ['i-gone'] }).rejects(ec2Error('InvalidInstanceID.NotFound'));
    const p = provider(hpc);
    await expect(p.delete('i-gone')).rejects.toBeInstanceOf(InstanceNotFoundError);
    expect(isInstanceNotFound(await p.get('i-gone').catch((e: unknown) => e))).toBe(true);
    expect(ec2.commandCalls(TerminateInstancesCommand)[0]!.args[0].input).toEqual({ InstanceIds: ['i-gone'] });
  });

  it('answers a replay with other parameters (a fresh join token) from the instances its client token made', async () => {
    ec2.on(RunInstancesCommand).rejects(ec2Error('IdempotentParameterMismatch'));
    const tagged = fakeInstances(2, 'hpc6a.48xlarge').map((i) => ({ ...i, Tags: [{ Key: 'flurry:cluster', Value: 'inst1' }, { Key: 'flurry:pool', Value: 'hpc' }, { Key: 'flurry:launch', Value: 'l-abc' }] }));
    ec2.on(DescribeInstancesCommand, { Filters: [{ Name: 'client-token', Values: [`l-abc.${stableHash('inst1')}`] }] }).resolves({ Reservations: [{ Instances: tagged }] });
    const out = await provider(hpc).create(req);
    expect(out.map((i) => [i.id, i.launchId, i.pool])).toEqual([
      ['i-00000000000000000', 'l-abc', 'hpc'],
      ['i-00000000000000001', 'l-abc', 'hpc'],
    ]);
  });

  it('lists only instances tagged with the cluster', async () => {
    const mine = { ...fakeInstances(1, 'c6i.large')[0]!, Tags: [{ Key: 'flurry:cluster', Value: 'inst1' }, { Key: 'flurry:pool', Value: 'hpc' }, { Key: 'flurry:launch', Value: 'l-1' }] };
    const theirs = { ...fakeInstances(1, 'c6i.large')[0]!, InstanceId: 'i-theirs', Tags: [{ Key: 'flurry:cluster', Value: 'other' }] };
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [mine, theirs] }] });
    const list = await provider(hpc).list();
    expect(list.map((i) => i.id)).toEqual(['i-00000000000000000']);
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]!.args[0].input).toEqual({
      Filters: [
        { Name: 'tag:flurry:cluster', Values: ['inst1'] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'shutting-down', 'stopping', 'stopped'] },
      ],
    });
  });
});

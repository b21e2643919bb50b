// elastic-tick.test.ts - the elastic loop on Lambda: the tick handler against DynamoDB Local with EC2 mocked
// (aws-sdk-client-mock). A job no static node can run is accepted and kept; the tick's elastic pass makes one launch
// decision and sends exactly one RunInstances (the stack's launch template, subnet, spot, tags, IMDSv2, the agent
// installed from S3 with a join token scoped to the pool that expires); the instance joins with that token and the
// job starts on it. A job no pool could ever hold is refused with the reason, and the status notes the local pool
// skipped on AWS.
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobspecFromShape } from '../../control/core/jobspec/index.ts';
import type { LambdaContext } from '../../control/lambda/context.ts';
import { createLambdaContext } from '../../control/lambda/context.ts';
import { elasticPass } from '../../control/lambda/elastic.ts';
import { createHttpHandler, type HttpHandler } from '../../control/lambda/http.ts';
import { createTickHandler, type TickHandler } from '../../control/lambda/tick.ts';
import { createWsHandler, type WsHandler } from '../../control/lambda/ws.ts';
import { verifyClaims } from '../../control/security/tokens.ts';
import type { ElasticStatus } from '../../control/services.ts';
import { encodeElasticConfig } from '../../elastic/aws.ts';
import { parseElasticConfig } from '../../elastic/config.ts';
import { stableHash } from '../../elastic/policy/format.ts';
import { DynamoElasticStore } from '../../elastic/store.ts';
import { httpEvent, jsonOf, wsEvent } from './events.ts';
import { deployInstance, installFakeAws, messagesTo, TICK_FUNCTION, type AwsInstance, type FakeAws } from './fake-aws.ts';

const ec2 = mockClient(EC2Client);
let fake: FakeAws;
let inst: AwsInstance;
let http: HttpHandler;
let ws: WsHandler;
let tick: TickHandler;

const pools = parseElasticConfig({
  batch: { idle: 0, max: 0 },
  pools: [
    { name: 'onprem', provider: 'static' },
    { name: 'laptop', provider: 'local', max: 2, local: { cores: 8, memoryMB: 4096 } },
    { name: 'cloud', provider: 'ec2', instanceTypes: ['c7g.xlarge'], capacityType: 'spot-then-on-demand', max: 4, maxWaitBeforeBurst: 0, joinTimeout: '10m' },
  ],
});
const elastic = { config: encodeElasticConfig(pools), launchTemplateId: 'lt-0agents', subnetIds: ['subnet-0aaa'], agentBundle: 's3://cdk-assets/agent.mjs' };

beforeAll(async () => {
  fake = installFakeAws();
  inst = await deployInstance(fake);
  const container = (name: string, withTick: boolean) => createLambdaContext({ ...inst.config(name, withTick), elastic }, inst.clients(), () => undefined);
  let httpCtx: LambdaContext | undefined;
  let wsCtx: LambdaContext | undefined;
  let tickCtx: LambdaContext | undefined;
  http = createHttpHandler(async () => (httpCtx ??= await container('flurry-http', true)));
  ws = createWsHandler(async () => (wsCtx ??= await container('flurry-ws', true)));
  tick = createTickHandler(async () => (tickCtx ??= await container(TICK_FUNCTION, false)), { settleMs: 0, elastic: elasticPass({ maxWaitMs: 0 }) });
}, 60_000);
afterAll(() => {
  fake?.restore();
  ec2.restore();
});

const api = async <T,>(method: string, path: string, body?: unknown) => jsonOf<T>(await http(httpEvent(method, path, { token: inst.ownerToken, body })));
const submit = async (shape: Parameters<typeof jobspecFromShape>[1]) => (await api<{ ids: string[] }>('POST', '/v1/jobs', { jobspec: jobspecFromShape(['hostname'], { cwd: '/tmp', ...shape }) })).ids[0]!;
const info = (id: string) => api<{ state: string; exception?: { note?: string }; nodelist?: string }>('GET', `/v1/jobs/${encodeURIComponent(id)}`);
let agentMsgs = 0;
const hello = (conn: string, token: string, node: { hostname: string; cores: number }, instanceId?: string) =>
  ws(wsEvent('$default', conn, JSON.stringify({
    v: 1, id: `a${++agentMsgs}`, type: 'hello', token, node: { ...node, gpus: 0, memoryMB: 7000, properties: [] },
    agent: { version: '0', pid: 1, startedAt: 1 }, running: [], exited: [], ...(instanceId ? { instanceId } : {}),
  })));

describe('the tick’s elastic pass', () => {
  let big = '';
  let userData = '';

  it('keeps a job only a cloud pool can run, and launches for it with one exact RunInstances', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
    ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-0cloud', InstanceType: 'c7g.xlarge', State: { Name: 'pending' }, InstanceLifecycle: 'spot' }] });
    await ws(wsEvent('$connect', 'STATIC'));
    await hello('STATIC', inst.joinToken, { hostname: 'onprem0', cores: 2 });
    big = await submit({ ntasks: 1, coresPerTask: 4 });
    const t0 = Date.now() / 1000;
    await tick({});
    expect((await info(big)).state).toBe('SCHED');

    const records = await new DynamoElasticStore(inst.store).listLaunches(inst.iid);
    expect(records).toEqual([expect.objectContaining({ pool: 'cloud', instanceType: 'c7g.xlarge', count: 1, state: 'launched', instanceIds: ['i-0cloud'], capacityType: 'spot' })]);
    const launchId = records[0]!.launchId;
    const runs = ec2.commandCalls(RunInstancesCommand).map((c) => c.args[0].input);
    expect(runs).toHaveLength(1);
    const { UserData, ...rest } = runs[0]!;
    const tags = [{ Key: 'Name', Value: 'flurry-cloud' }, { Key: 'flurry:cluster', Value: inst.iid }, { Key: 'flurry:pool', Value: 'cloud' }, { Key: 'flurry:launch', Value: launchId }];
    expect(rest).toEqual({
      InstanceType: 'c7g.xlarge',
      MinCount: 1,
      MaxCount: 1,
      ClientToken: `${launchId}.${stableHash(inst.iid)}`,
      TagSpecifications: [{ ResourceType: 'instance', Tags: tags }, { ResourceType: 'volume', Tags: tags }, { ResourceType: 'network-interface', Tags: tags }],
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
      LaunchTemplate: { LaunchTemplateId: 'lt-0agents', Version: '$Default' },
      SubnetId: 'subnet-0aaa',
      InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' } },
    });
    userData = Buffer.from(UserData!, 'base64').toString('utf8');
    const lines = userData.split('\n');
    expect(lines).toContain('aws s3 cp --only-show-errors --region us-east-1 s3://cdk-assets/agent.mjs /opt/flurry/flurry.mjs');
    expect(lines.find((l) => l.startsWith('ExecStart='))).toBe(
      'ExecStart=/usr/bin/env flurry agent --uri wss://abc123.execute-api.us-east-1.amazonaws.com/agents --token-file /var/lib/flurry-agent/join-token ' +
        '--state-dir /var/lib/flurry-agent --spot-watch --property c7g.xlarge --property arm64 --property spot',
    );
    const token = lines[lines.indexOf("cat > /var/lib/flurry-agent/join-token <<'FLURRY_JOIN_TOKEN'") + 1]!;
    const verdict = await verifyClaims(token, inst.secrets.joinKey, Date.now() / 1000);
    expect(verdict).toMatchObject({ ok: true, claims: { kind: 'join', iid: inst.iid, pool: 'cloud' } });
    const exp = verdict.ok ? verdict.claims.exp : 0;
    expect(exp - t0).toBeGreaterThan(600 + 3600 - 5);
    expect(exp - t0).toBeLessThan(600 + 3600 + 60);

    // A second tick launches nothing more: the launch is in flight.
    await tick({});
    expect(ec2.commandCalls(RunInstancesCommand)).toHaveLength(1);
  }, 30_000);

  it('runs the job on the instance once it joins with its pool token', async () => {
    const lines = userData.split('\n');
    const token = lines[lines.indexOf("cat > /var/lib/flurry-agent/join-token <<'FLURRY_JOIN_TOKEN'") + 1]!;
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [{ InstanceId: 'i-0cloud', InstanceType: 'c7g.xlarge', State: { Name: 'running' }, InstanceLifecycle: 'spot', Tags: [{ Key: 'flurry:cluster', Value: inst.iid }, { Key: 'flurry:pool', Value: 'cloud' }, { Key: 'flurry:launch', Value: 'x' }] }] }],
    });
    await ws(wsEvent('$connect', 'CLOUD'));
    await hello('CLOUD', token, { hostname: 'ip-10-0-0-5', cores: 4 }, 'i-0cloud');
    await tick({});
    expect(messagesTo(fake, 'CLOUD', 'job.start').map((m) => (m.job as { jobid: string }).jobid)).toContain(big);
    const status = await api<ElasticStatus>('GET', '/v1/elastic');
    expect(status.pools.find((p) => p.name === 'cloud')).toMatchObject({ provider: 'ec2', counts: { up: 1, joining: 0 }, nodes: [{ name: 'ip-10-0-0-5', state: 'up', instanceId: 'i-0cloud' }] });
  }, 30_000);

  it('refuses a job no pool could ever hold, saying why', async () => {
    const gpus = await submit({ ntasks: 1, gpusPerTask: 8 });
    await tick({});
    const job = await info(gpus);
    expect(job.state).toBe('INACTIVE');
    expect(job.exception?.note).toMatch(/^unsatisfiable request: .*; no elastic pool can grow for it: no pool's instance types have 8 GPUs$/);
  }, 30_000);

  it('notes the local pool skipped on AWS in the status', async () => {
    const status = await api<ElasticStatus>('GET', '/v1/elastic');
    expect(status.enabled).toBe(true);
    expect(status.pools.map((p) => `${p.name}:${p.provider}`)).toEqual(['onprem:static', 'laptop:local', 'cloud:ec2']);
    expect(status.lastPass?.notes[0]).toMatch(/^pool laptop \(local\) is skipped on AWS: /);
  });
});

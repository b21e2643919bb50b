// stack.ts - the Flurry control plane on AWS as one CloudFormation stack: the table, the secrets and their setup,
// the http / ws / tick functions, the HTTP and WebSocket APIs, the once-a-minute tick, and the EC2 agent launch
// template. See docs/deploy.md.
// Invariants: every function gets only what it uses (the table and its indexes by ARN, the instance secret, the
// Management API of this WebSocket stage, InvokeFunction on the tick only); the tick function runs one at a time
// (reserved concurrency 1): it is the instance's only scheduler.
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import { ENV, LAMBDA_MAX_WAIT_SECONDS } from '../control/lambda/config.ts';
import { AgentFleet } from './agents.ts';
import { FlurryApis } from './apis.ts';
import type { FlurrySettings } from './config.ts';
import { ElasticPools } from './elastic.ts';
import { FlurryFunction, REPO_ROOT } from './function.ts';
import { acknowledgeFindings } from './nag.ts';
import { InstanceSetup } from './setup.ts';
import { FlurryTable } from './table.ts';

export interface FlurryStackProps extends StackProps {
  settings: FlurrySettings;
  /** Write esbuild metafiles next to the function bundles (size analysis in tests). */
  metafiles?: boolean;
}

const VERSION = (JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { version: string }).version;

export class FlurryStack extends Stack {
  readonly table: FlurryTable;
  readonly setup: InstanceSetup;
  readonly apis: FlurryApis;
  readonly http: FlurryFunction;
  readonly ws: FlurryFunction;
  readonly tick: FlurryFunction;
  readonly agents: AgentFleet;
  /** With `-c elasticConfig=pools.yaml`: the pools, their settings on the functions, the tick's EC2 rights. */
  readonly elastic: ElasticPools | undefined;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: FlurryStackProps) {
    super(scope, id, props);
    const s = props.settings;
    const iid = s.instanceName;
    const removalPolicy = s.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.table = new FlurryTable(this, 'Data', { removalPolicy });
    this.setup = new InstanceSetup(this, 'Setup', { iid, table: this.table, ownerUser: s.ownerUser, removalPolicy, metafile: props.metafiles });
    this.apis = new FlurryApis(this, 'Api', { iid });

    const common: Record<string, string> = {
      [ENV.table]: this.table.table.tableName,
      [ENV.iid]: iid,
      [ENV.secretArn]: this.setup.instanceSecrets.secretArn,
      [ENV.callbackUrl]: this.apis.callbackUrl,
      [ENV.publicUri]: this.apis.httpUri,
      [ENV.heartbeatSeconds]: String(s.heartbeatSeconds),
      FLURRY_VERSION: VERSION,
    };
    this.tick = new FlurryFunction(this, 'Tick', {
      entry: 'control/lambda/tick.ts',
      description: 'Scheduler pass, node reaper and elastic pass: every minute and on request',
      timeout: Duration.seconds(55),
      reservedConcurrentExecutions: 1,
      metafile: props.metafiles,
      environment: {
        ...common,
        [ENV.joinTokenSecretArn]: this.setup.agentJoinToken.secretArn,
        [ENV.subnetIds]: s.subnetIds.join(','),
        FLURRY_INSTANCE_TYPES: s.instanceTypes.join(','),
      },
    });
    // A requested tick that waits behind a running one is still useful for a while; a failed one is not retried
    // (the next minute's tick is).
    this.tick.fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(5) });
    const withTick = { ...common, [ENV.tickFunction]: this.tick.fn.functionName };
    this.http = new FlurryFunction(this, 'Http', {
      entry: 'control/lambda/http.ts',
      description: 'REST API /v1 (Hono)',
      // API Gateway gives up after 30 s; long polls end at LAMBDA_MAX_WAIT_SECONDS.
      timeout: Duration.seconds(LAMBDA_MAX_WAIT_SECONDS + 4),
      metafile: props.metafiles,
      environment: withTick,
    });
    this.ws = new FlurryFunction(this, 'Ws', {
      entry: 'control/lambda/ws.ts',
      description: 'Agent link: API Gateway WebSocket events',
      timeout: Duration.seconds(29),
      metafile: props.metafiles,
      environment: withTick,
    });

    for (const f of [this.http, this.ws, this.tick]) {
      this.table.grantControlPlane(f.role);
      this.setup.grantReadInstanceSecrets(f.role);
      this.apis.grantManageConnections(f.role);
      // Functions start after the setup resource has written the secrets.
      f.fn.node.addDependency(this.setup.resource);
    }
    for (const f of [this.http, this.ws]) {
      f.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.tick.fn.functionArn] }));
    }
    // The tick renews the EC2 agents' join token before it expires.
    this.tick.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], resources: [this.setup.agentJoinToken.secretArn] }),
    );
    this.apis.routeHttp(this.http.fn);
    this.apis.routeAgents(this.ws.fn);

    this.schedule = new events.Rule(this, 'EveryMinute', {
      description: `Flurry ${iid}: safety-net scheduler tick`,
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.tick.fn, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });

    this.agents = new AgentFleet(this, 'Agents', {
      iid,
      agentUri: this.apis.agentUri,
      joinToken: this.setup.agentJoinToken,
      instanceTypes: s.instanceTypes,
      ...(s.vpcId ? { vpcId: s.vpcId } : {}),
    });
    this.tick.fn.addEnvironment(ENV.launchTemplateId, this.agents.launchTemplate.launchTemplateId ?? '');
    this.elastic = s.elasticConfig
      ? new ElasticPools(this, 'Elastic', { iid, configFile: s.elasticConfig, tick: this.tick, status: [this.http], agents: this.agents })
      : undefined;

    new CfnOutput(this, 'HttpUri', { value: this.apis.httpUri, description: 'FLURRY_URI: the REST API' });
    new CfnOutput(this, 'AgentUri', { value: this.apis.agentUri, description: 'flurry agent --uri' });
    new CfnOutput(this, 'OwnerTokenCommand', {
      value: `aws secretsmanager get-secret-value --region ${this.region} --secret-id ${this.setup.ownerToken.secretArn} --query SecretString --output text`,
      description: `Prints the first owner token (user ${s.ownerUser}): export FLURRY_TOKEN=$(...)`,
    });
    new CfnOutput(this, 'SetupFunction', { value: this.setup.setup.fn.functionName, description: 'aws lambda invoke it to mint join and user tokens (docs/deploy.md)' });
    new CfnOutput(this, 'AgentLaunchTemplate', { value: this.agents.launchTemplate.launchTemplateId ?? '', description: 'EC2 launch template of agents' });
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName });

    acknowledgeFindings(this);
  }
}

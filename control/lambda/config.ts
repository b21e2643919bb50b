// config.ts - what a Flurry Lambda function learns from its environment (set by the CDK stack, infra/functions.ts).
// Invariants: pure (no I/O); no secret is ever configured through the environment, only the ARN of the secret.

/** Names of the environment variables the stack sets, shared with infra/ so the two cannot drift. */
export const ENV = {
  table: 'FLURRY_TABLE',
  iid: 'FLURRY_IID',
  secretArn: 'FLURRY_SECRET_ARN',
  callbackUrl: 'FLURRY_WS_CALLBACK_URL',
  tickFunction: 'FLURRY_TICK_FUNCTION',
  publicUri: 'FLURRY_PUBLIC_URI',
  heartbeatSeconds: 'FLURRY_HEARTBEAT_SECONDS',
  ownerTokenSecretArn: 'FLURRY_OWNER_TOKEN_SECRET_ARN',
  joinTokenSecretArn: 'FLURRY_JOIN_TOKEN_SECRET_ARN',
  /** The pools file, normalized and encoded (elastic/aws.ts); absent = no elastic loop. */
  elasticConfig: 'FLURRY_ELASTIC_CONFIG',
  /** Tick: the stack's agent launch template, its subnets and security group, and the agent bundle (s3://…). */
  launchTemplateId: 'FLURRY_LAUNCH_TEMPLATE_ID',
  subnetIds: 'FLURRY_SUBNET_IDS',
  agentSecurityGroup: 'FLURRY_AGENT_SECURITY_GROUP',
  agentBundle: 'FLURRY_AGENT_BUNDLE',
  /** Only for running the handlers against DynamoDB Local (tests, local experiments); never set by the stack. */
  dynamoEndpoint: 'FLURRY_DYNAMODB_ENDPOINT',
} as const;

/** On AWS every heartbeat is a Lambda invocation: 30 s keeps that cheap and stays far below API Gateway's 10 min idle limit. */
export const DEFAULT_HEARTBEAT_SECONDS = 30;

/** API Gateway HTTP APIs give up on an integration after 30 s: long polls must answer well before. */
export const LAMBDA_MAX_WAIT_SECONDS = 25;

/** The elastic loop's settings (infra/elastic.ts sets them; the tick runs the pass, every function serves the status). */
export interface ElasticSettings {
  /** The encoded pools file (elastic/aws.ts encodeElasticConfig). */
  config: string;
  /** ec2 pools without a launch template of their own launch from this one. */
  launchTemplateId?: string;
  /** Subnets of ec2 pools that name none. */
  subnetIds: string[];
  /** The agents' security group (EFA pools put it on their interface). */
  securityGroupId?: string;
  /** `s3://bucket/key` of the agent bundle, installed by instances launched from the stack's image. */
  agentBundle?: string;
}

export interface LambdaConfig {
  table: string;
  iid: string;
  /** ARN of the Secrets Manager secret holding the instance's Secrets (JSON). */
  secretArn: string;
  /** https://{api}.execute-api.{region}.amazonaws.com/{stage}: the Management API of the WebSocket stage. */
  callbackUrl: string;
  /** The tick function, invoked asynchronously when there is work for the scheduler (absent in the tick itself). */
  tickFunction?: string;
  /** The HTTP API's URL, given to tasks as FLURRY_URI. */
  publicUri: string;
  heartbeatSeconds: number;
  region?: string;
  /** The EC2 agents' join token (tick only: it renews the token before it expires). */
  joinTokenSecretArn?: string;
  /** This function's name (AWS_LAMBDA_FUNCTION_NAME), for the scheduler lease holder and logs. */
  functionName: string;
  dynamoEndpoint?: string;
  elastic?: ElasticSettings;
}

/**
 * Reads the configuration; throws one error naming every missing variable.
 * @example readConfig(process.env).table
 */
export function readConfig(env: Record<string, string | undefined>): LambdaConfig {
  const missing: string[] = [];
  const need = (name: string): string => {
    const value = env[name];
    if (!value) missing.push(name);
    return value ?? '';
  };
  const config: LambdaConfig = {
    table: need(ENV.table),
    iid: need(ENV.iid),
    secretArn: need(ENV.secretArn),
    callbackUrl: need(ENV.callbackUrl),
    publicUri: need(ENV.publicUri).replace(/\/+$/, ''),
    heartbeatSeconds: DEFAULT_HEARTBEAT_SECONDS,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME ?? 'flurry',
  };
  if (missing.length) throw new Error(`flurry lambda: missing environment variable(s) ${missing.join(', ')}`);
  const hb = env[ENV.heartbeatSeconds];
  if (hb !== undefined && hb !== '') {
    const n = Number(hb);
    if (!Number.isInteger(n) || n < 1 || n > 300) throw new Error(`flurry lambda: ${ENV.heartbeatSeconds}=${hb}: expected 1–300`);
    config.heartbeatSeconds = n;
  }
  if (env[ENV.tickFunction]) config.tickFunction = env[ENV.tickFunction];
  if (env[ENV.joinTokenSecretArn]) config.joinTokenSecretArn = env[ENV.joinTokenSecretArn];
  if (env.AWS_REGION) config.region = env.AWS_REGION;
  if (env[ENV.dynamoEndpoint]) config.dynamoEndpoint = env[ENV.dynamoEndpoint];
  const elastic = env[ENV.elasticConfig];
  if (elastic) {
    const e: ElasticSettings = { config: elastic, subnetIds: (env[ENV.subnetIds] ?? '').split(',').filter(Boolean) };
    if (env[ENV.launchTemplateId]) e.launchTemplateId = env[ENV.launchTemplateId];
    if (env[ENV.agentSecurityGroup]) e.securityGroupId = env[ENV.agentSecurityGroup];
    if (env[ENV.agentBundle]) e.agentBundle = env[ENV.agentBundle];
    config.elastic = e;
  }
  return config;
}

// config.ts - the deploy-time settings of the Flurry stack, read from CDK context (`cdk deploy -c key=value` or
// cdk.json) and checked before anything is built, so a typo fails the synth with a sentence instead of a deploy.
import type { Node } from 'constructs';

export interface FlurrySettings {
  /** The instance id in the table (I#<iid>), also the prefix of names; letters, digits and dashes. */
  instanceName: string;
  /** VPC for the EC2 agents' security group; without it the launch template carries no network settings. */
  vpcId?: string;
  /** Subnets the elastic module launches agents into (passed to the tick function). */
  subnetIds: string[];
  /** EC2 instance types for agents; the first is the launch template's default. One architecture only. */
  instanceTypes: string[];
  /** Keep the table and the secrets when the stack is deleted (default true). */
  retainData: boolean;
  /** User name of the first owner token (default 'admin'). */
  ownerUser: string;
  /** Agent heartbeat interval on AWS, seconds (default 30). */
  heartbeatSeconds: number;
  /** A pools file (YAML or JSON) read at synth: the tick runs the elastic loop with it (infra/elastic.ts). */
  elasticConfig?: string;
}

export const DEFAULT_INSTANCE_TYPES = ['c7g.large'];

/** A context value that may be given as a list or as a comma-separated string (`-c subnetIds=a,b`). */
function list(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value.map(String).filter(Boolean);
  return String(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function bool(value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null || value === '') return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`expected true or false, got ${JSON.stringify(value)}`);
}

/** Graviton instance families (arm64) have a `g` after the generation: c7g, m7gd, r8g, t4g; and a1. */
export function isArm64InstanceType(type: string): boolean {
  const family = type.split('.')[0] ?? '';
  return family === 'a1' || /^[a-z]+\d+g[a-z]*$/.test(family);
}

/**
 * Reads and checks the settings.
 * @example settingsFrom({ instanceName: 'hpc', subnetIds: 'subnet-1,subnet-2' })
 */
export function settingsFrom(get: (key: string) => unknown): FlurrySettings {
  const problems: string[] = [];
  const instanceName = String(get('instanceName') ?? 'flurry');
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(instanceName)) problems.push(`instanceName=${instanceName}: use 1–31 lowercase letters, digits and dashes, starting with a letter`);
  const vpcIdValue = get('vpcId');
  const vpcId = vpcIdValue === undefined || vpcIdValue === '' ? undefined : String(vpcIdValue);
  if (vpcId !== undefined && !/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) problems.push(`vpcId=${vpcId}: expected vpc-xxxxxxxx`);
  const subnetIds = list(get('subnetIds'));
  for (const s of subnetIds) if (!/^subnet-[0-9a-f]{8,17}$/.test(s)) problems.push(`subnetIds: ${s} is not a subnet id`);
  if (subnetIds.length && !vpcId) problems.push('subnetIds needs vpcId (the security group lives in the VPC)');
  const instanceTypes = list(get('instanceTypes'));
  if (!instanceTypes.length) instanceTypes.push(...DEFAULT_INSTANCE_TYPES);
  for (const t of instanceTypes) if (!/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(t)) problems.push(`instanceTypes: ${t} is not an instance type`);
  if (new Set(instanceTypes.map(isArm64InstanceType)).size > 1) problems.push(`instanceTypes mixes arm64 and x86_64 (${instanceTypes.join(', ')}): one launch template has one AMI`);
  let retainData = true;
  try {
    retainData = bool(get('retainData'), true);
  } catch (err) {
    problems.push(`retainData: ${(err as Error).message}`);
  }
  const ownerUser = String(get('ownerUser') ?? 'admin');
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(ownerUser)) problems.push(`ownerUser=${ownerUser}: letters, digits and . _ @ - only`);
  const heartbeatSeconds = Number(get('heartbeatSeconds') ?? 30);
  if (!Number.isInteger(heartbeatSeconds) || heartbeatSeconds < 5 || heartbeatSeconds > 300) problems.push(`heartbeatSeconds=${String(get('heartbeatSeconds'))}: expected 5–300`);
  const elasticValue = get('elasticConfig');
  const elasticConfig = elasticValue === undefined || elasticValue === null || elasticValue === '' ? undefined : String(elasticValue);
  if (problems.length) throw new Error(`flurry stack settings:\n  ${problems.join('\n  ')}`);
  return { instanceName, ...(vpcId ? { vpcId } : {}), subnetIds, instanceTypes, retainData, ownerUser, heartbeatSeconds, ...(elasticConfig ? { elasticConfig } : {}) };
}

/** The settings from a construct's CDK context. */
export function settingsFromContext(node: Node): FlurrySettings {
  return settingsFrom((key) => node.tryGetContext(key));
}

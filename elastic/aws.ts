// aws.ts - the pools file on the AWS deployment: checked at synth against what the stack can do, carried to the
// functions in one environment variable (the normalized config as JSON, so a cold start needs neither YAML nor the
// schema), adapted to the stack there (local pools skipped with a note, the stack's subnets and security group as
// defaults), and attached to each function's control plane (GET /v1/elastic, and the scheduler's elastic feasibility).
// Invariants: pure except `lambdaElasticAttachment` (which only builds objects); no node:* import, so every Lambda
// bundle may load it; the encoded form round-trips exactly (durations of `inf` included).
import type { ElasticAttachment } from '../control/plane.ts';
import type { StoreContext } from '../control/store/context.ts';
import { catalogFor } from './catalog.ts';
import { type CloudPoolConfig, type ElasticConfig, type PoolConfig, isCloudPool } from './config-types.ts';
import type { NodeAccess } from './executor/types.ts';
import { elasticStatusService } from './executor/status.ts';
import { elasticFeasibility } from './feasibility.ts';
import { DynamoElasticStore } from './store.ts';

/**
 * Lambda allows 4 KB of environment variables per function in all; the other variables take about 1 KB. A pools file
 * whose normalized form is larger is refused at synth.
 */
export const MAX_ENCODED_BYTES = 3000;

/** Fields that may be Infinity (`inf` in the pools file); JSON has no Infinity. */
const INFINITE_FIELDS = new Set(['idleTimeout', 'maxWaitBeforeBurst']);

/**
 * The normalized config as compact JSON, for an environment variable.
 * @example decodeElasticConfig(encodeElasticConfig(config)) // deep-equals config
 */
export function encodeElasticConfig(config: ElasticConfig): string {
  return JSON.stringify(config, (key, v: unknown) => (INFINITE_FIELDS.has(key) && v === Infinity ? 'inf' : v));
}

/** The config back from `encodeElasticConfig` (checked at synth; here only its outline is checked). */
export function decodeElasticConfig(text: string): ElasticConfig {
  let config: ElasticConfig;
  try {
    config = JSON.parse(text, (key, v: unknown) => (INFINITE_FIELDS.has(key) && v === 'inf' ? Infinity : v)) as ElasticConfig;
  } catch (err) {
    throw new Error(`the elastic configuration is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!config || !Array.isArray(config.pools) || !Array.isArray(config.catalog) || typeof config.batch !== 'object') {
    throw new Error('the elastic configuration is not an encoded pools file (expected {batch, catalog, pools, …})');
  }
  return config;
}

/** What the stack provides to ec2 pools that do not say. */
export interface AwsDefaults {
  /** The stack's subnets (`-c subnetIds=…`): ec2 pools without subnets launch into these. */
  subnetIds: readonly string[];
  /** The agents' security group: EFA pools without securityGroupIds put it on their EFA interface. */
  securityGroupId?: string;
}

/** Why a pool does not run on AWS, for the status and logs. */
export function skippedNote(p: PoolConfig): string {
  return `pool ${p.name} (${p.provider}) is skipped on AWS: local pools start agent processes beside a long-lived control plane (flurry start --elastic); use an ec2 pool here`;
}

/**
 * The config the AWS elastic pass runs: local pools dropped (with a note each), ec2 pools given the stack's subnets
 * and, for EFA pools, its security group, when they name none.
 * @example awsPools(config, { subnetIds: ['subnet-0abc'] }).notes // ['pool burst (local) is skipped on AWS: …']
 */
export function awsPools(config: ElasticConfig, defaults: AwsDefaults): { config: ElasticConfig; notes: string[] } {
  const notes: string[] = [];
  const pools: PoolConfig[] = [];
  for (const p of config.pools) {
    if (p.provider === 'local') {
      notes.push(skippedNote(p));
      continue;
    }
    if (p.provider !== 'ec2') {
      pools.push(p);
      continue;
    }
    const q: CloudPoolConfig = { ...p };
    if (q.subnets.length === 0 && defaults.subnetIds.length) q.subnets = defaults.subnetIds.map((id) => ({ id }));
    if (q.efa && !q.ec2?.securityGroupIds?.length && defaults.securityGroupId) q.ec2 = { ...q.ec2, securityGroupIds: [defaults.securityGroupId] };
    pools.push(q);
  }
  return { config: { ...config, pools }, notes };
}

/** What the stack is, for `awsConfigProblems`. */
export interface AwsStackFacts {
  /** The architecture of the stack's launch template's AMI (from the `instanceTypes` context). */
  arch: 'x86_64' | 'arm64';
}

/**
 * Why this config cannot work on the stack (checked at synth, so a deploy never ships one that fails at run time):
 * pools the tick's IAM policy would refuse, types the launch template's AMI cannot boot, a config too big to carry.
 * @example awsConfigProblems(config, { arch: 'arm64' }) // ['pools[1] (cfd): c6i.2xlarge is x86_64, but …']
 */
export function awsConfigProblems(config: ElasticConfig, stack: AwsStackFacts): string[] {
  const problems: string[] = [];
  const catalog = catalogFor(config);
  config.pools.forEach((p, i) => {
    if (!isCloudPool(p) || p.provider !== 'ec2') return;
    const at = `pools[${i}] (${p.name})`;
    const ec2 = p.ec2 ?? {};
    if (ec2.instanceProfile) {
      problems.push(`${at}: ec2.instanceProfile: on AWS instances get the stack's agent instance profile (the tick may pass only that role); remove it`);
    }
    if (ec2.launchTemplate && !ec2.launchTemplate.id) {
      problems.push(`${at}: ec2.launchTemplate: on AWS name it by id (lt-…): the tick's IAM policy allows launches from templates by ARN`);
    }
    if (!ec2.imageId && !ec2.launchTemplate) {
      for (const t of p.instanceTypes) {
        const arch = catalog.get(t)?.arch;
        if (arch && arch !== stack.arch) {
          problems.push(`${at}: ${t} is ${arch}, but the stack's launch template boots the ${stack.arch} AMI (context instanceTypes); give ec2.imageId or ec2.launchTemplate, or types of one architecture`);
        }
      }
    }
  });
  const bytes = new TextEncoder().encode(encodeElasticConfig(config)).length;
  if (bytes > MAX_ENCODED_BYTES) {
    problems.push(`the pools file is ${bytes} bytes normalized, more than the ${MAX_ENCODED_BYTES} a Lambda environment leaves for it: fewer pools or catalog entries`);
  }
  return problems;
}

/** Launch template ids the config names (the tick's IAM policy allows launches from these and the stack's). */
export function launchTemplateIds(config: ElasticConfig): string[] {
  const ids = config.pools.flatMap((p) => (isCloudPool(p) && p.provider === 'ec2' && p.ec2?.launchTemplate?.id ? [p.ec2.launchTemplate.id] : []));
  return [...new Set(ids)];
}

/**
 * The elastic attachment of a Lambda function's control plane: `GET /v1/elastic` from the table (every pool of the
 * file, local ones included: the last pass's notes say they are skipped) and the scheduler's feasibility over the pools
 * that really run here. There is no loop to trigger or stop: the tick runs one pass per invocation.
 * @example plane.attachElastic(lambdaElasticAttachment({ iid, store, nodes: plane.tables.nodes, encoded, subnetIds: [] }))
 */
export function lambdaElasticAttachment(o: { iid: string; store: StoreContext; nodes: Pick<NodeAccess, 'list'>; encoded: string } & AwsDefaults): ElasticAttachment {
  const full = decodeElasticConfig(o.encoded);
  const here = awsPools(full, o);
  return {
    service: elasticStatusService({ iid: o.iid, config: full, store: new DynamoElasticStore(o.store), nodes: o.nodes, clock: () => Date.now() / 1000 }),
    capacity: elasticFeasibility(here.config),
    trigger: () => undefined,
    stop: async () => undefined,
  };
}

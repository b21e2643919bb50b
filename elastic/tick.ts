// tick.ts - one pass of the elastic loop on AWS, for the tick Lambda: everything read from the table (pending jobs,
// running jobs' R, nodes, launch records, loop state), the real EC2 provider (one client per container), local pools
// skipped with a note. Invariants: imports only what a pass needs (no YAML, no pools-file loader, no host timer), so
// the tick bundle stays small; everything else of the AWS adaptation is re-exported from here for control/lambda.
import { EC2Client } from '@aws-sdk/client-ec2';
import type { StoreContext } from '../control/store/context.ts';
import type { JobTable } from '../control/store/jobs.ts';
import type { NodeItem, NodeTable } from '../control/store/nodes.ts';
import { awsPools } from './aws.ts';
import type { ElasticConfig } from './config-types.ts';
import { ElasticExecutor, type PassReport } from './executor/executor.ts';
import { buildProviders } from './executor/providers.ts';
import { tableSource } from './executor/sources.ts';
import type { AgentBoot, LaunchTemplateRef } from './providers/ec2-request.ts';
import { DynamoElasticStore } from './store.ts';

export { awsPools, decodeElasticConfig } from './aws.ts';
export { parseS3Uri, s3AgentBoot } from './providers/ec2-boot.ts';
export type { PassReport } from './executor/executor.ts';

export interface TickOptions {
  iid: string;
  config: ElasticConfig;
  store: StoreContext;
  jobs: JobTable;
  nodes: NodeTable;
  joinKey: string;
  /** The agents' URL (the WebSocket API's wss:// URL) for ec2 pools without joinUrl. */
  uri: string;
  /** Default: one client per container, for `region` (else the environment's). */
  ec2Client?: EC2Client;
  region?: string;
  /** ec2 pools that name no launch template launch from this one (the stack's agent launch template). */
  launchTemplate?: LaunchTemplateRef;
  /** How agents get installed on that template's image (elastic/providers/ec2-boot.ts). */
  boot?: AgentBoot;
  /** Notes shown with every pass's (e.g. pools skipped on AWS). */
  notes?: readonly string[];
  /** A node item changed (drained, offline): request a scheduler pass. */
  nodeChanged?: (node: NodeItem) => void;
  /** A node item was deleted (its instance is gone): the scheduler drops it from its graph. */
  forgetNode?: (node: NodeItem) => void;
  log?: (line: string) => void;
}

let shared: EC2Client | undefined;

/**
 * One pass of the elastic loop on AWS, for the tick Lambda (reads everything from the table; ec2 and sim pools only:
 * local pools are skipped, with a note in the status).
 * @example await elasticTick({ iid, config, store, jobs: plane.tables.jobs, nodes: plane.tables.nodes, joinKey, uri: wsUrl })
 */
export async function elasticTick(o: TickOptions): Promise<PassReport> {
  const clock = () => Date.now() / 1000;
  // Local pools never run here (the caller has usually dropped them already: awsPools, with its defaults).
  const { config, notes } = awsPools(o.config, { subnetIds: [] });
  const ec2Client = o.ec2Client ?? (shared ??= new EC2Client({ ...(o.region ? { region: o.region } : {}), maxAttempts: 3 }));
  const { providers } = buildProviders({ ...o, config, clock, ec2Client });
  const executor = new ElasticExecutor({
    iid: o.iid, config, store: new DynamoElasticStore(o.store), nodes: o.nodes, source: tableSource(o.iid, o.jobs, o.nodes), providers, clock,
    notes: [...(o.notes ?? []), ...notes],
    ...(o.nodeChanged ? { nodeChanged: o.nodeChanged } : {}),
    ...(o.forgetNode ? { forgetNode: o.forgetNode } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  return executor.pass();
}

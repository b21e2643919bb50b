// context.ts - cold-start wiring shared by the http, ws and tick functions: configuration from the environment,
// the instance's secrets from Secrets Manager, a FLUID generator id unique among live containers, and the control
// plane in 'lambda' mode over the table, the Management API transport and the table-backed connection registry.
// Invariants: built once per container (a failed build is retried by the next invocation); edge-hostable (no node:*
// import here or below), so the same plane can run where there is only fetch; every fire-and-forget effect of the
// plane is waited for before a handler returns: job.start/job.kill/replies by `plane.dispatcher.settle()`, tick
// requests by `pending.drain()` (handlers settle first: a send that finds its connection gone may request a tick).
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { lambdaElasticAttachment } from '../../elastic/aws.ts';
import { StoreRegistry } from '../agents/store-registry.ts';
import { PollingNotifier } from '../jobs/notifier.ts';
import { createControlPlane, type ControlPlane } from '../plane.ts';
import { createStoreContext, type StoreContext } from '../store/context.ts';
import { NodeTable } from '../store/nodes.ts';
import { readConfig, type LambdaConfig } from './config.ts';
import { InstanceMeta } from './instance-meta.ts';
import { ManagementApiTransport } from './management-transport.ts';
import { PendingWork } from './pending.ts';
import { loadInstanceSecrets } from './secret-store.ts';
import { TickRequester } from './tick-request.ts';

/** The AWS clients a container uses (tests pass their own, or mock these classes with aws-sdk-client-mock). */
export interface LambdaClients {
  store: StoreContext;
  secrets: SecretsManagerClient;
  lambda: LambdaClient;
  management: ApiGatewayManagementApiClient;
}

export interface LambdaContext {
  config: LambdaConfig;
  clients: LambdaClients;
  plane: ControlPlane;
  meta: InstanceMeta;
  transport: ManagementApiTransport;
  pending: PendingWork;
  generatorId: number;
  fluidEpochMs: number;
  /** Set while a tick runs in this container: requests for a pass then mean "one more pass" instead of an invoke. */
  tick: { active: boolean; again: boolean };
  requester: TickRequester | undefined;
  log: (line: string) => void;
}

/** Polls of long-polling routes re-read the table this often (there is no cross-container wake-up). */
const POLL_INTERVAL_MS = 500;

/** Clients for the configured region (and DynamoDB Local when FLURRY_DYNAMODB_ENDPOINT is set). */
export function defaultClients(config: LambdaConfig): LambdaClients {
  const region = config.region;
  return {
    store: createStoreContext(config.table, { region, ...(config.dynamoEndpoint ? { endpoint: config.dynamoEndpoint } : {}) }),
    secrets: new SecretsManagerClient({ region, maxAttempts: 3 }),
    lambda: new LambdaClient({ region, maxAttempts: 3 }),
    management: new ApiGatewayManagementApiClient({ region, endpoint: config.callbackUrl, maxAttempts: 3 }),
  };
}

/**
 * Builds a container's context: what a cold start does once.
 * @example const ctx = await createLambdaContext(readConfig(process.env))
 */
export async function createLambdaContext(
  config: LambdaConfig,
  clients: LambdaClients = defaultClients(config),
  log: (line: string) => void = (line) => console.log(line),
): Promise<LambdaContext> {
  const meta = new InstanceMeta(clients.store, config.iid);
  const [secrets, generator] = await Promise.all([loadInstanceSecrets(clients.secrets, config.secretArn), meta.claimGenerator(Date.now())]);
  const pending = new PendingWork();
  const transport = new ManagementApiTransport(clients.management, { log });
  const tick = { active: false, again: false };
  const requester = config.tickFunction
    ? new TickRequester({ meta, lambda: clients.lambda, tickFunction: config.tickFunction, iid: config.iid, clock: () => Date.now() / 1000, log })
    : undefined;
  const requestPass = (): void => {
    if (tick.active) tick.again = true;
    else if (requester) void pending.track(requester.request());
    else log('scheduler work is waiting but no tick function is configured; the scheduled tick will pick it up');
  };
  const registry = new StoreRegistry(new NodeTable(clients.store), { iid: config.iid, heartbeatSeconds: config.heartbeatSeconds });
  const plane = await createControlPlane({
    iid: config.iid,
    store: clients.store,
    secrets,
    mode: 'lambda',
    transport,
    registry,
    notifier: new PollingNotifier(POLL_INTERVAL_MS),
    publicUri: config.publicUri,
    fluidEpochMs: generator.fluidEpochMs,
    generatorId: generator.generatorId,
    // Reserved concurrency 1 makes the tick function the only scheduler: its containers share one holder name, so
    // a new container takes the lease over at once (the fence still grows) instead of waiting for it to expire.
    holder: `lambda:${config.functionName}`,
    heartbeatSeconds: config.heartbeatSeconds,
    requestPass,
    log,
  });
  transport.onGone = (conn) => plane.agents.closed(conn);
  // Elastic pools: GET /v1/elastic, and jobs only they could run are accepted (the tick runs the pass itself).
  if (config.elastic) plane.attachElastic(lambdaElasticAttachment({ iid: config.iid, store: clients.store, nodes: plane.tables.nodes, encoded: config.elastic.config, ...config.elastic }));
  log(`flurry: ${config.functionName} ready for instance ${config.iid} (generator ${generator.generatorId})`);
  return { config, clients, plane, meta, transport, pending, generatorId: generator.generatorId, fluidEpochMs: generator.fluidEpochMs, tick, requester, log };
}

let current: Promise<LambdaContext> | undefined;

/** This container's context, built on first use from process.env; a failed build is retried next time. */
export function lambdaContext(): Promise<LambdaContext> {
  if (!current) {
    current = (async () => createLambdaContext(readConfig(process.env)))();
    current.catch(() => (current = undefined));
  }
  return current;
}

/** Forgets this container's context (tests: the next call is a cold start). */
export function resetLambdaContext(): void {
  current = undefined;
}

// plane.ts - the one wiring function: builds the control plane (job manager, scheduler, agent handler, services)
// by explicit injection, for local mode (one long-lived process, sole writer) and for Lambda (stateless handlers).
// Nothing here does I/O of its own; the host (local/ or control/lambda/) supplies the transport and the clock.
import { FluidGenerator } from './core/fluid.ts';
import type { QueuePolicy } from './core/queue/index.ts';
import type { MatchPolicy } from './core/resource/types.ts';
import { AgentHandler } from './agents/handler.ts';
import { Dispatcher } from './agents/dispatch.ts';
import { reapNodes } from './agents/liveness.ts';
import type { AgentTransport, ConnectionRegistry } from './agents/transport.ts';
import { JobManager } from './jobs/job-manager.ts';
import { Kvs } from './kvs/service.ts';
import type { Notifier } from './jobs/notifier.ts';
import { Auth } from './resources/auth-service.ts';
import { Resources } from './resources/resource-service.ts';
import { type GrowCapacity, Scheduler } from './scheduler/scheduler.ts';
import type { Secrets } from './security/secrets.ts';
import { createSigner } from './security/signing.ts';
import type { ElasticService, Services } from './services.ts';
import { spotRequeue } from '../elastic/executor/requeue.ts';
import type { StoreContext } from './store/context.ts';
import { JobTable } from './store/jobs.ts';
import { KvsTable } from './store/kvs.ts';
import { LeaseTable } from './store/lease.ts';
import { NodeTable, type NodeItem } from './store/nodes.ts';
import { OutputTable } from './store/output.ts';
import { SubmissionTable } from './store/submissions.ts';
import { UserTable } from './store/users.ts';

export interface ControlPlaneOptions {
  iid: string;
  store: StoreContext;
  secrets: Secrets;
  /** local: this process is the only writer and hosts the scheduler; lambda: stateless handlers, a tick schedules. */
  mode: 'local' | 'lambda';
  transport: AgentTransport;
  registry: ConnectionRegistry;
  notifier: Notifier;
  /** URI tasks use to reach the instance (FLURRY_URI). */
  publicUri: string;
  /** FLUIDs count milliseconds from this epoch (the instance's creation), so ids stay short. */
  fluidEpochMs: number;
  /** 0–16383, unique among processes that submit to this instance at the same time. */
  generatorId: number;
  /** Name of this process as scheduler lease holder. */
  holder: string;
  heartbeatSeconds?: number;
  queuePolicy?: QueuePolicy;
  matchPolicy?: MatchPolicy;
  /** Seconds since the epoch (injectable for tests). */
  clock?: () => number;
  /** When the node was last heard from, for the reaper (local: the registry's memory; default: the node item). */
  lastSeen?: (node: NodeItem) => number;
  /** Lambda: there is work for the scheduler (a submission, freed resources, a node joined): request a tick. */
  requestPass?: () => void;
  log?: (line: string) => void;
}

export interface ControlPlane {
  services: Services;
  agents: AgentHandler;
  scheduler: Scheduler;
  manager: JobManager;
  dispatcher: Dispatcher;
  auth: Auth;
  tables: { jobs: JobTable; nodes: NodeTable; lease: LeaseTable; output: OutputTable; users: UserTable };
  /** Heartbeat reaping (protocol 4.2). */
  reap(): Promise<void>;
  /** Wire an elastic host (elastic/host.ts): its status answers GET /v1/elastic, queued jobs trigger it, stop stops it. */
  attachElastic(host: ElasticAttachment): void;
  /** A node item changed (drained, offline): local mode updates the live graph; Lambda requests a pass. */
  nodeChanged(node: NodeItem): void;
  /** A node item was deleted for good (its instance is gone): the scheduler here drops it from its graph. */
  forgetNode(node: NodeItem): void;
  stop(): Promise<void>;
}

/** What the plane needs of an elastic host. */
export interface ElasticAttachment {
  service: ElasticService;
  /** Something changed that may call for capacity (jobs queued): run a pass soon. */
  trigger(reason: string): void;
  /** What the pools could grow: jobs only they could run are accepted and wait instead of being refused. */
  capacity?: GrowCapacity;
  stop(): Promise<void>;
}

export async function createControlPlane(o: ControlPlaneOptions): Promise<ControlPlane> {
  const clock = o.clock ?? (() => Date.now() / 1000);
  const heartbeatSeconds = o.heartbeatSeconds ?? 10;
  const jobs = new JobTable(o.store);
  const nodes = new NodeTable(o.store);
  const lease = new LeaseTable(o.store);
  const output = new OutputTable(o.store);
  const users = new UserTable(o.store);
  // Never issue an id at or below one already stored, even if the clock stepped back across a restart.
  const latest = await jobs.latestId(o.iid);
  const fluids = new FluidGenerator({ id: o.generatorId, epoch: o.fluidEpochMs, clock: () => Date.now(), after: latest });

  const manager = new JobManager({
    iid: o.iid,
    jobs,
    output,
    submissions: new SubmissionTable(o.store),
    fluids,
    clock,
    notifier: o.notifier,
    soleWriter: o.mode === 'local',
  });
  const dispatcher = new Dispatcher({
    transport: o.transport,
    registry: o.registry,
    sign: await createSigner(o.secrets.signingKey.privateJwk),
    clock,
    publicUri: o.publicUri,
    log: o.log,
  });
  const scheduler = new Scheduler(
    { iid: o.iid, holder: o.holder, queue: o.queuePolicy ?? 'fcfs', match: o.matchPolicy ?? 'first', reconcileEachPass: o.mode === 'lambda' },
    { jobs, nodes, lease, manager, clock, dispatch: (job) => void dispatcher.start(job), log: o.log },
  );
  // In local mode the scheduler is fed directly; on Lambda the tick reconciles from the table instead.
  const local = o.mode === 'local';
  const pass = () => o.requestPass?.();
  const nodeChanged = (node: NodeItem) => (local ? scheduler.nodeChanged(node) : pass());
  manager.hooks = {
    queued: (js) => (local ? scheduler.queued(js) : pass()),
    dequeued: (id) => (local ? scheduler.dequeued(id) : pass()),
    requeued: (job) => (local ? scheduler.requeued(job) : pass()),
    freed: (job) => (local ? scheduler.freed(job) : pass()),
    kill: (job, reason) => void dispatcher.kill(job, reason),
    unsatisfiable: (req) => (local ? scheduler.unsatisfiable(req) : undefined),
  };
  // The elastic host, once attached, hears of new work (a backlog may need capacity).
  let elastic: ElasticAttachment | undefined;
  const hooks = manager.hooks;
  manager.hooks = { ...hooks, queued: (js) => (hooks.queued(js), elastic?.trigger('jobs queued')) };
  // Local mode reuses cores as soon as a job's processes are gone (the scheduler survives the crash case on rebuild).
  if (local) manager.execution.finishing = (job) => scheduler.freed(job);
  const agents = new AgentHandler({
    iid: o.iid,
    nodes,
    jobs,
    manager,
    registry: o.registry,
    transport: o.transport,
    dispatcher,
    joinKey: o.secrets.joinKey,
    signingPublicKey: o.secrets.signingKey.publicKey,
    clock,
    heartbeatSeconds,
    nodeChanged,
    spotInterruption: spotRequeue({ iid: o.iid, jobs, submissions: new SubmissionTable(o.store), manager, fluids, clock, log: o.log }),
    log: o.log,
  });
  const auth = new Auth(users, o.secrets.tokenPepper, clock);
  const resources = new Resources({ iid: o.iid, nodes, jobs, scheduler: local ? scheduler : undefined, clock, nodeChanged });
  // The KVS: a job's namespace belongs to the job's owner.
  const jobOwner = async (id: bigint) => {
    const job = await jobs.get(id);
    return job?.iid === o.iid ? job.owner : undefined;
  };
  const kvs = new Kvs({ iid: o.iid, table: new KvsTable(o.store), notifier: o.notifier, jobOwner, clock, log: o.log });

  // Jobs waiting on dependencies are re-evaluated after a restart (their antecedents may have ended meanwhile).
  if (local) await manager.evaluateDependencies();

  const services: Services = { jobs: manager, resources, auth, kvs };
  return {
    services,
    agents,
    scheduler,
    manager,
    dispatcher,
    auth,
    tables: { jobs, nodes, lease, output, users },
    reap: async () => {
      await reapNodes({
        iid: o.iid,
        nodes,
        jobs,
        manager,
        transport: o.transport,
        clock,
        heartbeatSeconds,
        lastSeen: o.lastSeen ?? ((n) => n.hb),
        nodeChanged,
        log: o.log,
      });
    },
    attachElastic(host) {
      elastic = host;
      services.elastic = host.service;
      scheduler.growWith(host.capacity);
    },
    nodeChanged,
    forgetNode(node) {
      // Local mode's scheduler, or on Lambda the tick container's (whose elastic pass removed the node).
      scheduler.nodeRemoved(node);
      if (local) void scheduler.trigger();
      else pass();
    },
    stop: async () => {
      await elastic?.stop();
      manager.dependencies.stop();
      await scheduler.stop();
    },
  };
}

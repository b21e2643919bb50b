// host.ts - where the elastic loop runs. In a long-lived control plane (`flurry start --elastic pools.yaml`, an
// on-prem head node): an ElasticHost runs a pass every few seconds, soon after jobs are queued, when the policy asks
// (`wakeAt`), when a waiting job reaches its burst deadline, and again at once after an offering failed. On AWS the
// tick Lambda calls `elasticTick` (tick.ts) once per tick. Invariants: passes never overlap; a failing pass is logged and the
// loop goes on; stopping waits for the pass in progress; local-process instances die with a control plane that stops
// on purpose (a crash leaves them running, and the restarted plane finds them again).
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlPlane } from '../control/plane.ts';
import type { ElasticService } from '../control/services.ts';
import type { StoreContext } from '../control/store/context.ts';
import type { NodeTable } from '../control/store/nodes.ts';
import type { ResourceRequest } from '../control/core/resource/types.ts';
import type { GrowCapacity } from '../control/scheduler/scheduler.ts';
import { loadElasticConfig } from './config.ts';
import { type ElasticConfig, isCloudPool } from './config-types.ts';
import type { ExecutorDeps } from './executor/context.ts';
import { elasticFeasibility } from './feasibility.ts';
import { ElasticExecutor, type PassReport } from './executor/executor.ts';
import { schedulerSource } from './executor/sources.ts';
import { elasticStatusService } from './executor/status.ts';
import { buildProviders, type ProviderOptions } from './executor/providers.ts';
import type { CloudProvider } from './provider.ts';
import { DynamoElasticStore } from './store.ts';

export { buildProviders, poolJoinToken, type ProviderOptions } from './executor/providers.ts';

export type { PassReport } from './executor/executor.ts';
export { elasticTick, type TickOptions } from './tick.ts';

export interface ElasticHostOptions extends ExecutorDeps {
  /** Seconds between passes when nothing else asks for one (default 5). */
  intervalSeconds?: number;
  /** Milliseconds a trigger waits so the scheduler's own pass runs first (default 100). */
  debounceMs?: number;
  /** Called after every pass (tests, the bench). */
  onPass?: (report: PassReport) => void;
  /** Stopped with the host (local processes die with a control plane that stops on purpose). */
  onStop?: () => Promise<void>;
}

/**
 * The loop of a long-lived control plane.
 * @example const host = new ElasticHost(opts).start(); host.trigger('jobs queued'); await host.stop()
 */
export class ElasticHost {
  readonly executor: ElasticExecutor;
  readonly service: ElasticService;
  /** What the pools could grow: the scheduler accepts jobs only they could run (attachElastic passes it on). */
  readonly capacity: GrowCapacity;
  private timer: NodeJS.Timeout | undefined;
  private nextAt = Infinity;
  private running: Promise<void> | undefined;
  private rerun = false;
  private stopped = false;

  constructor(private readonly opts: ElasticHostOptions) {
    this.executor = new ElasticExecutor(opts);
    this.service = elasticStatusService({ iid: opts.iid, config: opts.config, store: opts.store, nodes: opts.nodes, clock: opts.clock });
    this.capacity = elasticFeasibility(opts.config);
  }

  /** The provider of each pool. */
  get providers(): ReadonlyMap<string, CloudProvider> {
    return this.opts.providers;
  }

  /** Start the timer (a first pass runs at once). */
  start(): this {
    this.schedule(0);
    return this;
  }

  /** Run a pass soon (after the debounce). */
  trigger(reason: string): void {
    void reason;
    this.schedule(this.opts.debounceMs ?? 100);
  }

  /** Run a pass now (waiting for one in progress first); resolves with its report. */
  async runPass(): Promise<PassReport | undefined> {
    while (this.running) await this.running;
    let report: PassReport | undefined;
    this.running = (async () => {
      try {
        report = await this.executor.pass();
        this.opts.onPass?.(report);
      } catch (err) {
        this.opts.log?.(`elastic: pass failed: ${(err as Error).stack ?? String(err)}`);
      }
    })();
    await this.running;
    this.running = undefined;
    if (!this.stopped) this.planNext(report);
    return report;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running) await this.running;
    await this.opts.onStop?.();
  }

  /** Arm the timer for `ms` from now, unless it is already armed sooner. */
  private schedule(ms: number): void {
    if (this.stopped) return;
    const at = Date.now() + Math.max(0, ms);
    if (this.running) {
      this.rerun = true;
      return;
    }
    if (this.timer && this.nextAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.nextAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.nextAt = Infinity;
      void this.runPass();
    }, Math.max(0, ms));
    this.timer.unref();
  }

  /** The next pass: the interval, or sooner when the policy or a burst deadline asks, or at once after a failure. */
  private planNext(report: PassReport | undefined): void {
    const interval = (this.opts.intervalSeconds ?? 5) * 1000;
    let ms = interval;
    if (this.rerun || report?.again) ms = this.rerun ? (this.opts.debounceMs ?? 100) : 200;
    this.rerun = false;
    if (report) {
      const now = this.opts.clock();
      // A wake time already past (the pass ran long) means: run again at once.
      const wants = [report.wakeAt, nextBurstDeadline(report, this.opts.config)].filter((t): t is number => t !== undefined);
      for (const t of wants) ms = Math.min(ms, Math.max(20, (t - now) * 1000 + 20));
    }
    this.schedule(ms);
  }
}

/** The earliest moment a pending job will have waited its pool's maxWaitBeforeBurst (a pass should look then). */
function nextBurstDeadline(report: PassReport, config: ElasticConfig): number | undefined {
  const waits = config.pools.filter(isCloudPool).map((p) => p.maxWaitBeforeBurst).filter(Number.isFinite);
  if (!waits.length || !report.input.pending.length) return undefined;
  const wait = Math.min(...waits);
  let first = Infinity;
  for (const j of report.input.pending) if (j.waitingSince + wait > report.at) first = Math.min(first, j.waitingSince + wait);
  return Number.isFinite(first) ? first : undefined;
}

export interface LocalElasticOptions extends Omit<ProviderOptions, 'clock'> {
  plane: ControlPlane;
  store: StoreContext;
  intervalSeconds?: number;
  onPass?: (report: PassReport) => void;
  clock?: () => number;
}

/**
 * Run the elastic loop inside a long-lived control plane and attach it (GET /v1/elastic, triggers, stop).
 * @example startElasticHost({ plane: server.plane, store, iid, config, joinKey: secrets.joinKey, uri: server.uri, stateDir })
 */
export function startElasticHost(o: LocalElasticOptions): ElasticHost {
  const clock = o.clock ?? (() => Date.now() / 1000);
  const { providers, local } = buildProviders({ ...o, clock });
  const host = new ElasticHost({
    iid: o.iid,
    config: o.config,
    store: new DynamoElasticStore(o.store),
    nodes: o.plane.tables.nodes,
    source: schedulerSource(() => o.plane.scheduler.snapshot()),
    providers,
    clock,
    soleWriter: true,
    nodeChanged: (n) => o.plane.nodeChanged(n),
    forgetNode: (n) => o.plane.forgetNode(n),
    ...(o.log ? { log: o.log } : {}),
    ...(o.intervalSeconds !== undefined ? { intervalSeconds: o.intervalSeconds } : {}),
    ...(o.onPass ? { onPass: o.onPass } : {}),
    ...(local ? { onStop: () => local.deleteAll() } : {}),
  });
  o.plane.attachElastic(host);
  return host.start();
}

/**
 * Could some cloud pool ever run this request (an offering it accepts and fits, within the pool's max)? For the
 * scheduler and submission checks, which must not refuse as unsatisfiable a job only elastic nodes can run.
 * @example elasticCanServe(config)({ nodes: 4, slots: 1, coresPerSlot: 96, gpusPerSlot: 0, exclusive: true }) // true with an hpc6a pool of max ≥ 4
 */
export function elasticCanServe(config: ElasticConfig): (req: ResourceRequest) => boolean {
  return elasticFeasibility(config).canGrow;
}

/** Read and check a pools file; an error names the file (and the field). */
export function readElasticConfigFile(path: string): ElasticConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  try {
    return loadElasticConfig(text);
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Is this PEM certificate self-signed (agents must be told to trust it)? */
function selfSigned(pem: string): boolean {
  try {
    const x = new X509Certificate(pem);
    return x.issuer === x.subject;
  } catch {
    return false;
  }
}

/**
 * The startElasticHost options for a control server of an instance directory: local agents keep their state under
 * `<dir>/elastic`; a self-signed TLS certificate is handed to the agents (local and ec2) to trust.
 */
export function localHostOptions(
  server: { plane: ControlPlane; uri: string },
  iid: string,
  store: StoreContext,
  joinKey: string,
  config: ElasticConfig,
  dir: string,
  tls?: { certFile: string; certPem: string },
): LocalElasticOptions {
  const trust = tls && selfSigned(tls.certPem) ? { caFile: tls.certFile, caPem: tls.certPem } : {};
  return { plane: server.plane, store, iid, config, joinKey, uri: server.uri, stateDir: join(dir, 'elastic'), ...trust };
}

/** The ElasticService for a stateless API (the HTTP Lambda): status from the table. */
export function elasticService(o: { iid: string; config: ElasticConfig; store: StoreContext; nodes: NodeTable }): ElasticService {
  return elasticStatusService({ iid: o.iid, config: o.config, store: new DynamoElasticStore(o.store), nodes: o.nodes, clock: () => Date.now() / 1000 });
}

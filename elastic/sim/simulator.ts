// simulator.ts - a discrete-event simulation of an elastic Flurry cluster: jobs arrive and run through the real
// ResourceGraph and queue policy, the policy (the real `decide`, or another) runs every `tick` virtual seconds, and a
// small executor carries its decisions out on the sim provider; instances join after their boot delay.
// Invariants: virtual time only; every termination checks the graph for jobs still on the node and counts them as
// killed (the simulator detects kills, it does not assume there are none); reproducible for a given input.
import type { QueuePolicy } from '../../control/core/queue/index.ts';
import type { MatchPolicy, NodeInventory } from '../../control/core/resource/types.ts';
import { type Catalog, instanceInventory, priceOf } from '../catalog.ts';
import { type ElasticConfig, catalogFor, isCloudPool } from '../config.ts';
import { decide } from '../policy/index.ts';
import { emptyBatcher } from '../policy/batcher.ts';
import type { BatcherState, Decisions, InFlightLaunch, PolicyInput, UnavailableOffering } from '../policy/types.ts';
import { findError, InsufficientCapacityError } from '../provider.ts';
import { SimProvider, type SimProviderOptions } from '../providers/sim.ts';
import { SimCluster, type SimNode } from './cluster.ts';
import { EventQueue } from './events.ts';
import { Prng } from './prng.ts';
import { type SimReport, bump, emptyReport, waitStats } from './report.ts';
import type { SimJob } from './workload.ts';

export interface SimOptions {
  config: ElasticConfig;
  catalog?: Catalog;
  /** Nodes present from the start (on-prem), with their pool. */
  staticNodes: Array<{ pool: string; inventory: NodeInventory }>;
  jobs: readonly SimJob[];
  /** The policy to run (default: `decide`). */
  policy?: (input: PolicyInput) => Decisions;
  policyName?: string;
  queue?: QueuePolicy;
  match?: MatchPolicy;
  /** Seconds between policy rounds (default 10). */
  tick?: number;
  bootDelay?: SimProviderOptions['bootDelay'];
  capacity?: SimProviderOptions['capacity'];
  /** Chance per hour that a spot instance is reclaimed (default 0); its jobs are requeued. */
  spotInterruptionsPerHour?: number;
  seed?: number;
  /** Hard stop, virtual seconds (default: last submit + 2 days). */
  until?: number;
  /** Called after every policy round (for tests and the bench). */
  onRound?: (input: PolicyInput, decisions: Decisions) => void;
}

type Event =
  | { at: number; kind: 'submit'; job: SimJob }
  | { at: number; kind: 'finish'; id: string; run: number }
  | { at: number; kind: 'join'; instanceId: string }
  /** A periodic policy round (`wake`: an extra round the policy asked for with `wakeAt`). */
  | { at: number; kind: 'tick'; wake?: boolean };

/**
 * Run a workload to completion (or `until`) and report.
 * @example const r = await simulate({ config, staticNodes, jobs: syntheticDay(1) }); r.killed // 0
 */
export async function simulate(opts: SimOptions): Promise<SimReport> {
  return new Simulation(opts).run();
}

class Simulation {
  private now = 0;
  private readonly cluster: SimCluster;
  private readonly events = new EventQueue<Event>();
  private readonly provider: SimProvider;
  private readonly catalog: Catalog;
  private readonly inFlight = new Map<string, InFlightLaunch>();
  private unavailable: UnavailableOffering[] = [];
  private batcher: BatcherState = emptyBatcher();
  private readonly prng: Prng;
  private readonly firstStart = new Map<string, number>();
  private readonly r: SimReport;
  private nodeSeq = 0;
  private readonly known = new Set<string>();
  private wakeAt: number | undefined;
  private live = 0;

  constructor(private readonly opts: SimOptions) {
    this.cluster = new SimCluster(opts.queue ?? 'easy', opts.match ?? 'first');
    this.catalog = opts.catalog ?? catalogFor(opts.config);
    const p: SimProviderOptions = { clock: () => this.now, catalog: this.catalog };
    if (opts.bootDelay !== undefined) p.bootDelay = opts.bootDelay;
    if (opts.capacity) p.capacity = opts.capacity;
    this.provider = new SimProvider(p);
    this.prng = new Prng(opts.seed ?? 1);
    this.r = emptyReport(opts.policyName ?? 'decide', opts.jobs.length);
  }

  async run(): Promise<SimReport> {
    for (const s of this.opts.staticNodes) this.cluster.addNode({ name: s.inventory.hostname, pool: s.pool, inventory: s.inventory, cloud: false }, 0);
    for (const job of this.opts.jobs) this.events.push({ at: job.submitAt, kind: 'submit', job });
    this.events.push({ at: 0, kind: 'tick' });
    const lastSubmit = Math.max(0, ...this.opts.jobs.map((j) => j.submitAt));
    const until = this.opts.until ?? lastSubmit + 2 * 86400;
    let ev: Event | undefined;
    while ((ev = this.events.pop())) {
      if (ev.at > until) break;
      this.now = ev.at;
      let round = this.handle(ev);
      while (this.events.peek()?.at === this.now) round = this.handle(this.events.pop()!) || round;
      this.startJobs();
      if (round === 'none') continue;
      const wakeAt = await this.policyRound();
      this.startJobs();
      if (round === 'tick') {
        if (this.done(lastSubmit)) break;
        this.events.push({ at: this.now + (this.opts.tick ?? 10), kind: 'tick' });
      }
      if (wakeAt !== undefined && wakeAt > this.now && wakeAt !== this.wakeAt) {
        this.wakeAt = wakeAt;
        this.events.push({ at: wakeAt, kind: 'tick', wake: true });
      }
    }
    return this.finish();
  }

  /** Apply one event; whether it calls for a policy round (a periodic tick, or a wake-up the policy asked for). */
  private handle(ev: Event): 'none' | 'wake' | 'tick' {
    switch (ev.kind) {
      case 'submit':
        this.cluster.pending.set(ev.job.id, ev.job);
        return 'none';
      case 'finish': {
        const r = this.cluster.running.get(ev.id);
        if (!r || r.run !== ev.run) return 'none'; // requeued or killed meanwhile
        this.cluster.stop(ev.id, this.now);
        this.r.finished++;
        for (const [name, cores] of r.cores) bump(this.r.workCoreHours, this.cluster.nodes.get(name)?.pool ?? '?', (cores * r.job.runtime) / 3600);
        return 'none';
      }
      case 'join':
        this.join(ev.instanceId);
        return 'none';
      case 'tick':
        return ev.wake ? 'wake' : 'tick';
    }
  }

  private startJobs(): void {
    for (const s of this.cluster.schedule(this.now)) {
      if (!this.firstStart.has(s.id)) this.firstStart.set(s.id, this.now);
      this.events.push({ at: s.finishAt, kind: 'finish', id: s.id, run: s.run });
    }
  }

  /** An instance finished booting: it joins as a node unless it was terminated meanwhile. */
  private join(instanceId: string): void {
    const f = [...this.inFlight.values()].find((x) => x.instanceIds?.includes(instanceId));
    if (f) {
      f.instanceIds = f.instanceIds!.filter((i) => i !== instanceId);
      f.count--;
      if (f.count <= 0) this.inFlight.delete(f.launchId);
    }
    const inst = this.provider.peek(instanceId);
    if (!inst || inst.state === 'terminated') return;
    const pool = this.opts.config.pools.find((p) => p.name === inst.pool);
    const type = this.catalog.get(inst.instanceType);
    if (!isCloudPool(pool) || !type) return;
    const name = `${pool.name}-${++this.nodeSeq}`;
    const where = inst.placementGroup ? { group: inst.placementGroup } : {};
    const inv = instanceInventory(type, name, { efa: pool.efa, capacityType: inst.capacityType, properties: pool.properties, ...where });
    const node = { name, pool: pool.name, inventory: inv, cloud: true, instanceId: inst.id, instanceType: type.name, capacityType: inst.capacityType, launchedAt: inst.launchedAt };
    this.cluster.addNode(node, this.now);
  }

  private input(): PolicyInput {
    this.unavailable = this.unavailable.filter((u) => u.until > this.now);
    return {
      now: this.now,
      config: this.opts.config,
      catalog: this.catalog,
      pending: this.cluster.pendingForPolicy(),
      nodes: this.cluster.nodesForPolicy(),
      inFlight: [...this.inFlight.values()].map((f) => ({ ...f, instanceIds: [...(f.instanceIds ?? [])] })),
      unavailableOfferings: [...this.unavailable],
      batcher: this.batcher,
    };
  }

  /** One round of the policy, carried out; returns when the policy wants to run again. */
  private async policyRound(): Promise<number | undefined> {
    this.interruptSpot();
    const input = this.input();
    const d = (this.opts.policy ?? decide)(input);
    this.batcher = d.batcher;
    this.opts.onRound?.(input, d);
    for (const t of d.terminate) await this.terminate(t.instanceId, t.node);
    for (const x of d.drain) {
      const n = this.cluster.nodes.get(x.node);
      if (n && n.state === 'up') {
        this.cluster.setState(n, 'drained');
        n.drainedBy = 'elastic';
      }
    }
    for (const l of d.launch) await this.launch(l);
    return d.wakeAt;
  }

  private async launch(l: Decisions['launch'][number]): Promise<void> {
    const pool = this.opts.config.pools.find((p) => p.name === l.pool);
    if (!isCloudPool(pool) || this.inFlight.has(l.launchId)) return;
    try {
      const req = { launchId: l.launchId, pool, instanceType: l.instanceType, count: l.count, capacityType: l.capacityType, reason: l.reason };
      const instances = await this.provider.create({ ...req, ...(l.subnet ? { subnet: l.subnet } : {}), ...(l.zone ? { zone: l.zone } : {}), ...(l.placementGroup ? { placementGroup: l.placementGroup } : {}) });
      // Idempotency: a create that answers with instances we already know launched nothing new.
      if (instances.length === 0 || instances.some((i) => this.known.has(i.id))) return;
      for (const i of instances) this.known.add(i.id);
      this.r.launches++;
      this.r.instancesLaunched += instances.length;
      this.live += instances.length;
      this.r.peakInstances = Math.max(this.r.peakInstances, this.live);
      const f: InFlightLaunch = { launchId: l.launchId, pool: l.pool, instanceType: l.instanceType, count: instances.length, since: this.now, capacityType: l.capacityType, instanceIds: instances.map((i) => i.id) };
      if (l.placementGroup) f.placementGroup = l.placementGroup;
      this.inFlight.set(l.launchId, f);
      for (const i of instances) this.events.push({ at: Math.max(this.now, this.provider.readyAt(i.id) ?? this.now), kind: 'join', instanceId: i.id });
    } catch (err) {
      const ice = findError(err, InsufficientCapacityError);
      if (!ice) throw err;
      this.r.insufficientCapacity++;
      const u: UnavailableOffering = { instanceType: ice.offering.instanceType, capacityType: ice.offering.capacityType, until: this.now + this.opts.config.insufficientCapacityTTL };
      if (ice.offering.zone) u.zone = ice.offering.zone;
      if (ice.offering.subnet) u.subnet = ice.offering.subnet;
      this.unavailable.push(u);
    }
  }

  /** Terminate an instance; any job still on its node (by the graph) is killed and counted. */
  private async terminate(instanceId: string, nodeName: string | undefined): Promise<void> {
    const node = [...this.cluster.nodes.values()].find((n) => n.instanceId === instanceId || (nodeName !== undefined && n.name === nodeName));
    await this.provider.delete(instanceId).catch(() => undefined);
    if (node) {
      for (const id of this.cluster.jobsOn(node)) {
        this.r.killed++;
        this.r.killedJobs.push(id);
        this.cluster.stop(id, this.now);
      }
      this.cluster.removeNode(node);
      this.live--;
    } else {
      for (const f of this.inFlight.values()) {
        if (!f.instanceIds?.includes(instanceId)) continue;
        f.instanceIds = f.instanceIds.filter((i) => i !== instanceId);
        f.count--;
        if (f.count <= 0) this.inFlight.delete(f.launchId);
        this.live--;
      }
    }
  }

  /** Spot reclaims: the node goes down, its jobs are requeued (as the control plane does on node loss). */
  private interruptSpot(): void {
    const rate = this.opts.spotInterruptionsPerHour ?? 0;
    if (rate <= 0) return;
    for (const n of this.cluster.nodes.values()) {
      if (n.capacityType !== 'spot' || n.state === 'down' || !n.instanceId) continue;
      if (!this.prng.chance((rate * (this.opts.tick ?? 10)) / 3600)) continue;
      this.provider.interrupt(n.instanceId);
      this.requeueFrom(n);
      this.cluster.setState(n, 'down');
    }
  }

  private requeueFrom(n: SimNode): void {
    for (const id of this.cluster.jobsOn(n)) {
      const r = this.cluster.stop(id, this.now);
      if (!r) continue;
      this.r.requeued++;
      this.cluster.pending.set(id, r.job);
    }
  }

  private done(lastSubmit: number): boolean {
    if (this.now < lastSubmit || this.cluster.pending.size > 0 || this.cluster.running.size > 0 || this.inFlight.size > 0) return false;
    const floor = this.opts.config.pools.reduce((k, p) => k + (isCloudPool(p) ? p.min : 0), 0);
    return [...this.cluster.nodes.values()].filter((n) => n.cloud).length <= floor;
  }

  private finish(): SimReport {
    const r = this.r;
    r.end = this.now;
    for (const n of this.cluster.nodes.values()) {
      if (n.cloud) continue;
      bump(r.nodeHours, n.pool, this.now / 3600);
      bump(r.coreHours, n.pool, (n.inventory.cores * this.now) / 3600);
    }
    for (const l of this.provider.lifetimes(this.now)) {
      const type = this.catalog.get(l.instanceType);
      bump(r.nodeHours, l.pool, l.seconds / 3600);
      bump(r.coreHours, l.pool, ((type?.cores ?? 0) * l.seconds) / 3600);
      r.costUSD += ((type ? (priceOf(type, l.capacityType as 'spot' | 'on-demand') ?? type.onDemandPrice) : 0) * l.seconds) / 3600;
    }
    for (const j of this.opts.jobs) {
      const s = this.firstStart.get(j.id);
      if (s !== undefined) r.waits.push({ id: j.id, wait: s - j.submitAt });
    }
    r.wait = waitStats(r.waits.map((w) => w.wait));
    r.unfinished = [...this.cluster.pending.keys(), ...this.cluster.running.keys()];
    return r;
  }
}

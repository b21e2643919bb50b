// sim.ts - the `sim` provider: virtual instances on a virtual clock, for policy studies and the simulator. Each
// instance becomes `running` a boot delay after launch (per type, configurable); offerings can be given a finite
// capacity (to exercise insufficient-capacity fallbacks) and spot instances can be interrupted. Invariants: no real
// time, no I/O; idempotent on launchId exactly as the CloudProvider contract says; state is derived from the clock.
import { BUILTIN_CATALOG, type Catalog, type InstanceTypeInfo } from '../catalog.ts';
import type { CloudPoolConfig } from '../config-types.ts';
import { type CloudProvider, type Instance, InstanceNotFoundError, InsufficientCapacityError, type LaunchRequest, type Offering } from '../provider.ts';

export interface SimProviderOptions {
  /** The virtual clock, seconds. */
  clock: () => number;
  /** Seconds from launch to running, per type; default: the pool's `sim.bootDelay`, else 60 s. */
  bootDelay?: number | ((instanceType: string, pool: CloudPoolConfig) => number);
  /** How many instances of an offering may exist at once (default unlimited): beyond it, launches hit ICE. */
  capacity?: (offering: Offering) => number;
  /** Catalog for getInstanceTypes (default: built-in). */
  catalog?: Catalog;
}

/** A sim instance: the public shape plus when it will be (or was) running. */
interface SimInstance extends Instance {
  readyAt: number;
  terminatedAt?: number;
  interrupted?: boolean;
}

/**
 * The sim provider.
 * @example
 * let t = 0; const p = new SimProvider({ clock: () => t, bootDelay: 90 });
 * const [i] = await p.create(req); t = 90; (await p.get(i.id)).state // 'running'
 */
export class SimProvider implements CloudProvider {
  readonly name = 'sim';
  private readonly instances = new Map<string, SimInstance>();
  private readonly opts: SimProviderOptions;
  private seq = 0;

  constructor(opts: SimProviderOptions) {
    this.opts = opts;
  }

  private now(): number {
    return this.opts.clock();
  }

  private bootDelayOf(type: string, pool: CloudPoolConfig): number {
    const b = this.opts.bootDelay;
    if (typeof b === 'function') return b(type, pool);
    return b ?? pool.sim?.bootDelay ?? 60;
  }

  private view(i: SimInstance): Instance {
    const { readyAt: _r, terminatedAt: _t, interrupted: _x, ...pub } = i;
    if (i.state === 'pending' && this.now() >= i.readyAt) i.state = 'running';
    return { ...pub, state: i.state };
  }

  /** Instances of this offering that exist (not terminated). */
  private inUse(o: Offering): number {
    let n = 0;
    for (const i of this.instances.values()) {
      if (i.state === 'terminated' || i.instanceType !== o.instanceType || i.capacityType !== o.capacityType) continue;
      if (o.zone !== undefined && i.zone !== o.zone) continue;
      n++;
    }
    return n;
  }

  async create(req: LaunchRequest): Promise<Instance[]> {
    const existing = [...this.instances.values()].filter((i) => i.launchId === req.launchId);
    if (existing.length > 0) return existing.map((i) => this.view(i));
    const offering: Offering = { instanceType: req.instanceType, capacityType: req.capacityType };
    if (req.zone) offering.zone = req.zone;
    if (req.subnet) offering.subnet = req.subnet;
    const room = this.opts.capacity ? Math.max(0, this.opts.capacity(offering) - this.inUse(offering)) : Infinity;
    if (room === 0) throw new InsufficientCapacityError(offering, 'no capacity left in the simulated offering');
    if (req.placementGroup && room < req.count) {
      throw new InsufficientCapacityError(offering, `placement group ${req.placementGroup} needs ${req.count}, only ${room} available`);
    }
    const now = this.now();
    const boot = this.bootDelayOf(req.instanceType, req.pool);
    const out: Instance[] = [];
    for (let k = 0; k < Math.min(req.count, room); k++) {
      const inst: SimInstance = {
        id: `i-sim${String(++this.seq).padStart(6, '0')}`,
        launchId: req.launchId,
        pool: req.pool.name,
        instanceType: req.instanceType,
        capacityType: req.capacityType,
        state: boot <= 0 ? 'running' : 'pending',
        launchedAt: now,
        readyAt: now + boot,
      };
      if (req.zone) inst.zone = req.zone;
      if (req.subnet) inst.subnet = req.subnet;
      if (req.placementGroup) inst.placementGroup = req.placementGroup;
      this.instances.set(inst.id, inst);
      out.push(this.view(inst));
    }
    return out;
  }

  async delete(instanceId: string): Promise<void> {
    const i = this.instances.get(instanceId);
    if (!i) throw new InstanceNotFoundError(instanceId);
    if (i.state === 'terminated') return;
    i.state = 'terminated';
    i.terminatedAt = this.now();
  }

  async get(instanceId: string): Promise<Instance> {
    const i = this.instances.get(instanceId);
    if (!i) throw new InstanceNotFoundError(instanceId);
    return this.view(i);
  }

  async list(): Promise<Instance[]> {
    return [...this.instances.values()].filter((i) => i.state !== 'terminated').map((i) => this.view(i));
  }

  async getInstanceTypes(pool: CloudPoolConfig): Promise<InstanceTypeInfo[]> {
    const cat = this.opts.catalog ?? BUILTIN_CATALOG;
    return pool.instanceTypes.flatMap((n) => {
      const t = cat.get(n);
      return t ? [{ ...t }] : [];
    });
  }

  // ---- simulation controls (not part of CloudProvider) ----

  /** The instance now, synchronously (the simulator's event loop); undefined if unknown. */
  peek(instanceId: string): Instance | undefined {
    const i = this.instances.get(instanceId);
    return i && this.view(i);
  }

  /** When the instance is (or was) running; undefined if unknown. */
  readyAt(instanceId: string): number | undefined {
    return this.instances.get(instanceId)?.readyAt;
  }

  /** Reclaim a spot instance, as EC2 does after its two-minute notice: it is terminated now. */
  interrupt(instanceId: string): void {
    const i = this.instances.get(instanceId);
    if (!i || i.state === 'terminated') return;
    i.state = 'terminated';
    i.terminatedAt = this.now();
    i.interrupted = true;
  }

  /** Seconds each instance existed (launch to termination, or to `until` if still alive), for billing. */
  lifetimes(until: number): Array<{ id: string; pool: string; instanceType: string; capacityType: string; seconds: number }> {
    return [...this.instances.values()].map((i) => ({
      id: i.id,
      pool: i.pool,
      instanceType: i.instanceType,
      capacityType: i.capacityType,
      seconds: Math.max(0, (i.terminatedAt ?? until) - i.launchedAt),
    }));
  }
}

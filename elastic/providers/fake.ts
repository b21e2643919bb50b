// fake.ts - a recording CloudProvider for tests (Karpenter's fake cloud provider): it remembers every call, keeps
// instances in memory, honours launch idempotency, and can be told to fail its next calls. Invariants: no I/O, no
// timers; time comes from the injected `now`; failures are consumed in the order they were queued.
import { BUILTIN_CATALOG, type InstanceTypeInfo } from '../catalog.ts';
import type { CloudPoolConfig } from '../config.ts';
import { type CloudProvider, type Instance, InstanceNotFoundError, type LaunchRequest } from '../provider.ts';

export type FakeMethod = 'create' | 'delete' | 'get' | 'list' | 'getInstanceTypes';

/** One recorded call. */
export type FakeCall =
  | { method: 'create'; req: LaunchRequest }
  | { method: 'delete' | 'get'; instanceId: string }
  | { method: 'list' }
  | { method: 'getInstanceTypes'; pool: string };

/**
 * A fake provider.
 * @example
 * const p = new FakeProvider();
 * p.failNext('create', new InsufficientCapacityError({ instanceType: 'c6i.2xlarge', capacityType: 'spot' }));
 * await p.create(req); // throws; the next create succeeds
 */
export class FakeProvider implements CloudProvider {
  readonly name = 'fake';
  /** Every call, in order. */
  readonly calls: FakeCall[] = [];
  /** Instances by id. */
  readonly instances = new Map<string, Instance>();
  /** Instance types returned by getInstanceTypes (default: the pool's types from the built-in catalog). */
  instanceTypes: InstanceTypeInfo[] | undefined;
  /** When set, `create` launches at most this many instances per call (partial capacity). */
  capacityPerCall: number | undefined;
  /** The clock used for `launchedAt`. */
  now: () => number;
  private readonly failures: Array<{ method: FakeMethod; err: Error }> = [];
  private seq = 0;

  constructor(opts: { now?: () => number } = {}) {
    this.now = opts.now ?? (() => 0);
  }

  /** Make the next call of `method` (not yet consumed) throw `err`. */
  failNext(method: FakeMethod, err: Error): void {
    this.failures.push({ method, err });
  }

  /** Calls of one method. */
  callsOf<M extends FakeMethod>(method: M): Array<Extract<FakeCall, { method: M }>> {
    return this.calls.filter((c): c is Extract<FakeCall, { method: M }> => c.method === method);
  }

  /** Forget recorded calls and queued failures (instances stay). */
  reset(): void {
    this.calls.length = 0;
    this.failures.length = 0;
  }

  private maybeFail(method: FakeMethod): void {
    const i = this.failures.findIndex((f) => f.method === method);
    if (i >= 0) {
      const [f] = this.failures.splice(i, 1);
      throw f!.err;
    }
  }

  async create(req: LaunchRequest): Promise<Instance[]> {
    this.calls.push({ method: 'create', req });
    const existing = [...this.instances.values()].filter((i) => i.launchId === req.launchId);
    if (existing.length > 0) return existing.map((i) => ({ ...i }));
    this.maybeFail('create');
    const n = req.placementGroup || this.capacityPerCall === undefined ? req.count : Math.min(req.count, this.capacityPerCall);
    const out: Instance[] = [];
    for (let k = 0; k < n; k++) {
      const inst: Instance = {
        id: `i-fake${String(++this.seq).padStart(6, '0')}`,
        launchId: req.launchId,
        pool: req.pool.name,
        instanceType: req.instanceType,
        capacityType: req.capacityType,
        state: 'pending',
        launchedAt: this.now(),
      };
      if (req.subnet) inst.subnet = req.subnet;
      if (req.zone) inst.zone = req.zone;
      if (req.placementGroup) inst.placementGroup = req.placementGroup;
      this.instances.set(inst.id, inst);
      out.push({ ...inst });
    }
    return out;
  }

  async delete(instanceId: string): Promise<void> {
    this.calls.push({ method: 'delete', instanceId });
    this.maybeFail('delete');
    const inst = this.instances.get(instanceId);
    if (!inst) throw new InstanceNotFoundError(instanceId);
    inst.state = 'terminated';
  }

  async get(instanceId: string): Promise<Instance> {
    this.calls.push({ method: 'get', instanceId });
    this.maybeFail('get');
    const inst = this.instances.get(instanceId);
    if (!inst) throw new InstanceNotFoundError(instanceId);
    return { ...inst };
  }

  async list(): Promise<Instance[]> {
    this.calls.push({ method: 'list' });
    this.maybeFail('list');
    return [...this.instances.values()].filter((i) => i.state !== 'terminated').map((i) => ({ ...i }));
  }

  async getInstanceTypes(pool: CloudPoolConfig): Promise<InstanceTypeInfo[]> {
    this.calls.push({ method: 'getInstanceTypes', pool: pool.name });
    this.maybeFail('getInstanceTypes');
    if (this.instanceTypes) return this.instanceTypes.map((t) => ({ ...t }));
    return pool.instanceTypes.flatMap((name) => {
      const t = BUILTIN_CATALOG.get(name);
      return t ? [{ ...t }] : [];
    });
  }
}

// provider.ts - the one interface every elastic provider implements (ec2, local processes, sim, the test fake), and
// its typed errors. Invariants: providers only act, never decide; every method is safe to repeat; an instance is
// always traceable to the launch (launchId) and pool that made it.
import { FlurryError } from '../control/core/errors.ts';
import type { CapacityType, InstanceTypeInfo } from './catalog.ts';
import type { CloudPoolConfig } from './config-types.ts';

export type InstanceState = 'pending' | 'running' | 'terminating' | 'terminated';

/** One instance this cluster owns. */
export interface Instance {
  /** Provider-assigned id (`i-0abc…` on EC2). */
  id: string;
  /** The idempotency token of the launch that created it. */
  launchId: string;
  pool: string;
  instanceType: string;
  zone?: string;
  subnet?: string;
  capacityType: CapacityType;
  state: InstanceState;
  /** Seconds since the epoch (or the provider's clock). */
  launchedAt: number;
  /** The node name its agent will join as, once known. */
  nodeName?: string;
  placementGroup?: string;
}

/** What the executor asks a provider to launch: one decision of the policy. */
export interface LaunchRequest {
  /** Idempotency token: a second `create` with the same launchId returns the first call's instances. */
  launchId: string;
  pool: CloudPoolConfig;
  instanceType: string;
  count: number;
  capacityType: CapacityType;
  subnet?: string;
  zone?: string;
  /** Cluster placement group to launch into (created if missing); makes the launch all-or-nothing. */
  placementGroup?: string;
  /** Why: the policy's reason, for tags and logs. */
  reason?: string;
}

/**
 * A provider of instances (Karpenter's `cloudprovider.CloudProvider`). The executor calls it after the policy has
 * decided; a reconciler calls `list()` to compare what exists with what the control plane believes.
 */
export interface CloudProvider {
  /** Provider name, for messages (`ec2`, `local`, `sim`, `fake`). */
  readonly name: string;
  /**
   * Launch `req.count` instances of `req.instanceType` for `req.pool`.
   * - Idempotent on `req.launchId`: if instances were already created for this launchId (by this call or an
   *   earlier one that crashed before its answer was recorded), returns those, launching nothing new. A create
   *   that failed entirely does not consume the launchId.
   * - With `placementGroup`: all-or-nothing. Either every instance is launched into that group or none is, and
   *   the error says why (`InsufficientCapacityError`).
   * - Without: on partial capacity, returns the instances it did launch (fewer than `count`); with none at all,
   *   throws `InsufficientCapacityError` naming the offering, so the executor can mark it unavailable.
   * - Throws `LimitExceededError` for an account or quota limit (vCPU quota, instance limit): not an offering
   *   problem, so the policy does not fall back to other types for it.
   * Returned instances are `pending` or `running`; they join as nodes later, on their own.
   */
  create(req: LaunchRequest): Promise<Instance[]>;
  /**
   * Terminate an instance. Idempotent: deleting an instance that is terminating or terminated succeeds; one the
   * provider has never heard of (or has forgotten) throws `InstanceNotFoundError`, which callers may treat as done.
   * The caller has made sure nothing runs on it; the provider does not check.
   */
  delete(instanceId: string): Promise<void>;
  /** The instance's current state. Throws `InstanceNotFoundError` when it does not exist (any more). */
  get(instanceId: string): Promise<Instance>;
  /**
   * Every instance this cluster owns, in any state but `terminated` (providers may include recently terminated
   * ones). Ownership is by the provider's own marking (EC2 tags), never by guessing from names.
   */
  list(): Promise<Instance[]>;
  /**
   * The instance types this pool may use, with their current prices where the provider knows them. Returns
   * every configured type, even those with no capacity right now (availability is learnt from create errors).
   */
  getInstanceTypes(pool: CloudPoolConfig): Promise<InstanceTypeInfo[]>;
  /**
   * Optional (providers that make placement groups for launches: ec2). The names of the placement groups this cluster
   * owns (by the provider's own marking, as for `list()`), in any state but being deleted.
   */
  listPlacementGroups?(): Promise<string[]>;
  /**
   * Optional, with `listPlacementGroups`. Delete a placement group this cluster owns. Idempotent: one that is already
   * gone is done. Throws when instances still use it (the caller retries on a later pass).
   */
  deletePlacementGroup?(name: string): Promise<void>;
}

/** One thing that can be bought: a type, as a capacity type, in a zone (or anywhere). */
export interface Offering {
  instanceType: string;
  capacityType: CapacityType;
  zone?: string;
  subnet?: string;
}

function describe(o: Offering): string {
  const where = o.zone ?? o.subnet;
  return `${o.instanceType} ${o.capacityType}${where ? ` in ${where}` : ''}`;
}

/** The provider had no capacity for this offering (EC2 InsufficientInstanceCapacity, spot capacity-not-available). */
export class InsufficientCapacityError extends FlurryError {
  readonly offering: Offering;
  constructor(offering: Offering, detail?: string, options?: { cause?: unknown }) {
    super('insufficient_capacity', `insufficient capacity for ${describe(offering)}${detail ? `: ${detail}` : ''}`, options);
    this.offering = offering;
  }
}

/** The instance does not exist (or no longer). */
export class InstanceNotFoundError extends FlurryError {
  readonly instanceId: string;
  constructor(instanceId: string, options?: { cause?: unknown }) {
    super('not_found', `instance ${instanceId} not found`, options);
    this.instanceId = instanceId;
  }
}

/** An account limit or quota stopped the launch (vCPU quota, instance count, request rate). */
export class LimitExceededError extends FlurryError {
  readonly limit: string;
  constructor(limit: string, detail?: string, options?: { cause?: unknown }) {
    super('limit_exceeded', `limit exceeded: ${limit}${detail ? `: ${detail}` : ''}`, options);
    this.limit = limit;
  }
}

/** Is `err` an InsufficientCapacityError (through `cause` chains too)? */
export function isInsufficientCapacity(err: unknown): boolean {
  return findError(err, InsufficientCapacityError) !== undefined;
}

/** Is `err` an InstanceNotFoundError (through `cause` chains too)? */
export function isInstanceNotFound(err: unknown): boolean {
  return findError(err, InstanceNotFoundError) !== undefined;
}

/** Is `err` a LimitExceededError (through `cause` chains too)? */
export function isLimitExceeded(err: unknown): boolean {
  return findError(err, LimitExceededError) !== undefined;
}

/** `undefined` when `err` is an InstanceNotFoundError, else `err`: for deletes, where gone is done. */
export function ignoreInstanceNotFound(err: unknown): unknown {
  return isInstanceNotFound(err) ? undefined : err;
}

/** The first error of class `C` in `err`'s cause chain (errors.As). */
export function findError<C extends abstract new (...args: never[]) => Error>(err: unknown, cls: C): InstanceType<C> | undefined {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 16; depth++) {
    if (e instanceof cls) return e as InstanceType<C>;
    e = (e as Error).cause;
  }
  return undefined;
}

// types.ts - what the elastic policy reads (PolicyInput) and what it decides (Decisions). Invariants: plain data
// only, times in seconds on the caller's clock; the policy keeps no state between calls except what it hands back
// (the batcher), so a repeat call with the same input gives the same decisions, launch ids included.
import type { NodeInventory, ResourceRequest } from '../../control/core/resource/types.ts';
import type { CapacityType, Catalog } from '../catalog.ts';
import type { ElasticConfig } from '../config-types.ts';

/** A job waiting for resources. */
export interface PendingJob {
  /** The job id as printed (f58), used in reasons. */
  id: string;
  request: ResourceRequest;
  /** Time limit in seconds; 0 = unlimited. */
  duration: number;
  /** When it became eligible to run (entered SCHED), seconds. */
  waitingSince: number;
  /** Higher runs first (ties: earlier waitingSince first); 0 = held: never scheduled, so never launched for. */
  priority: number;
}

export type PolicyNodeState = 'joining' | 'up' | 'down' | 'drained';

/** A node of the resource graph, or an instance that has not joined yet (`joining`). */
export interface PolicyNode {
  name: string;
  /** Its pool; a pool the config does not name is treated as static: never touched. */
  pool: string;
  state: PolicyNodeState;
  inventory: NodeInventory;
  /** Its rank in the graph, for `ranks` constraints. */
  rank?: number;
  /** Since when it has run nothing (seconds); absent while it runs jobs. */
  idleSince?: number;
  runningJobs: number;
  /** Latest expiration of its running jobs (seconds); absent with running jobs = some job is unlimited. */
  busyUntil?: number;
  /** The provider's instance id; static nodes have none. */
  instanceId?: string;
  /** Resources free now; absent = everything when `runningJobs === 0`, nothing otherwise. */
  free?: { cores: number; gpus: number; memoryMB: number };
  /** Its instance type, when known (else taken from inventory properties): for spend accounting. */
  instanceType?: string;
  capacityType?: CapacityType;
  /** When its instance was launched (seconds): a `joining` node older than the pool's joinTimeout is terminated. */
  launchedAt?: number;
  /** Who drained it. Only nodes the policy drained are terminated by it once empty; an admin's drain is respected. */
  drainedBy?: 'elastic' | 'admin';
}

/**
 * A launch whose instances have not joined yet. The executor keeps `count` at the number still missing: an instance
 * that shows up as a node (in any state) leaves the in-flight count, so nothing is counted twice.
 */
export interface InFlightLaunch {
  launchId: string;
  pool: string;
  instanceType: string;
  count: number;
  /** When the launch was made (seconds). */
  since: number;
  placementGroup?: string;
  /** Resolved capacity type; absent = on-demand unless the pool buys only spot. */
  capacityType?: CapacityType;
  /** Instance ids the provider returned, when known: terminated if they never join within joinTimeout. */
  instanceIds?: string[];
}

/** An offering that recently reported insufficient capacity; skipped until `until` (seconds). */
export interface UnavailableOffering {
  instanceType: string;
  capacityType: CapacityType;
  /** Availability zone that had no capacity; absent = everywhere. */
  zone?: string;
  /** Subnet that had no capacity; absent = any subnet (of `zone`, when given). */
  subnet?: string;
  until: number;
}

/** The scale-up batching window (Karpenter's batcher), carried between calls by the caller. */
export interface BatcherState {
  /** When the current window opened; absent = no window open. */
  openedAt?: number;
  /** When the last new trigger (a job not seen in this window) arrived. */
  lastTriggerAt?: number;
  /** Jobs already seen in this window. */
  seen: string[];
}

export interface PolicyInput {
  /** Seconds on the caller's clock. */
  now: number;
  config: ElasticConfig;
  catalog: Catalog;
  pending: PendingJob[];
  nodes: PolicyNode[];
  inFlight: InFlightLaunch[];
  unavailableOfferings: UnavailableOffering[];
  batcher: BatcherState;
}

/** Launch `count` instances; all-or-nothing when `placementGroup` is set. */
export interface LaunchDecision {
  /** Deterministic from the inputs: a repeated decision is the same launch, and the provider makes it once. */
  launchId: string;
  pool: string;
  instanceType: string;
  count: number;
  capacityType: CapacityType;
  subnet?: string;
  zone?: string;
  placementGroup?: string;
  /** Jobs this launch is for (empty for a pool's `min`). */
  forJobs: string[];
  /** Price per hour of one instance (approximate), for logs and spend accounting. */
  pricePerHour: number;
  reason: string;
}

export interface DrainDecision {
  node: string;
  reason: string;
}

export interface TerminateDecision {
  /** Absent for an instance that never joined. */
  node?: string;
  instanceId: string;
  reason: string;
}

export interface Decisions {
  launch: LaunchDecision[];
  drain: DrainDecision[];
  terminate: TerminateDecision[];
  /** The batcher state to pass to the next call. */
  batcher: BatcherState;
  /** Things a person may want to know: what was held back and why. */
  notes: string[];
  /** When the policy wants to run again (a batching window closes), seconds; absent = no particular time. */
  wakeAt?: number;
}

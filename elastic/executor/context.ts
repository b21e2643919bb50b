// context.ts - what one pass of the executor carries between its steps (reconcile, decide, act): the dependencies,
// the pass's clock reading, and the loop state it updates. Invariant: one context per pass; the state is written back
// once, at the end of the pass.
import type { NodeItem } from '../../control/store/nodes.ts';
import type { CloudPoolConfig, ElasticConfig } from '../config-types.ts';
import { isCloudPool } from '../config-types.ts';
import type { CloudProvider } from '../provider.ts';
import { type DecisionEntry, type ElasticState, type ElasticStore, MAX_DECISIONS } from '../store.ts';
import type { ClusterSource, NodeAccess, ProviderSet } from './types.ts';

/** What the executor is built from. */
export interface ExecutorDeps {
  iid: string;
  config: ElasticConfig;
  store: ElasticStore;
  nodes: NodeAccess;
  source: ClusterSource;
  providers: ProviderSet;
  /** Seconds since the epoch. */
  clock: () => number;
  /** A node item changed (drained, marked offline): the scheduler updates its graph. */
  nodeChanged?: (node: NodeItem) => void;
  /** A node item was removed for good (its instance is gone): the scheduler drops it from its graph. */
  forgetNode?: (node: NodeItem) => void;
  log?: (line: string) => void;
  /** Seconds an offline node may take to come back before the policy treats it as down (default 30). */
  downGrace?: number;
  /** Seconds a launched instance may be missing from list() (eventual consistency) before it is looked up (default 30). */
  listGrace?: number;
  /**
   * This process is the only writer of the instance's launch records and loop state (one long-lived control plane):
   * a pass reuses what the previous one wrote instead of reading it again, so a decision costs one read (the nodes).
   */
  soleWriter?: boolean;
  /** Failed create attempts (transient errors) before a launch is given up and its pool held (default 3). */
  maxAttempts?: number;
  /** Notes of the host, shown first among each pass's notes in the status (e.g. pools skipped on AWS). */
  notes?: readonly string[];
}

export interface PassContext {
  deps: ExecutorDeps;
  now: number;
  state: ElasticState;
  /** An offering failed: run again soon so the next decision can fall back. */
  again: boolean;
}

/** The cloud pool named `name`, if configured. */
export function cloudPool(config: ElasticConfig, name: string): CloudPoolConfig | undefined {
  const p = config.pools.find((x) => x.name === name);
  return isCloudPool(p) ? p : undefined;
}

/** The provider of a pool, if any. */
export function providerOf(ctx: PassContext, pool: string): CloudProvider | undefined {
  return ctx.deps.providers.get(pool);
}

/** Append to the decision log (bounded) and the process log, stamped with the time of the action. */
export function record(ctx: PassContext, entry: Omit<DecisionEntry, 'at'>): void {
  const e: DecisionEntry = { at: ctx.deps.clock(), ...entry };
  ctx.state.decisions.push(e);
  if (ctx.state.decisions.length > MAX_DECISIONS) ctx.state.decisions.splice(0, ctx.state.decisions.length - MAX_DECISIONS);
  const what = [e.pool && `pool ${e.pool}`, e.node, e.instanceId, e.launchId].filter(Boolean).join(' ');
  ctx.deps.log?.(`elastic: ${e.action}${what ? ` ${what}` : ''}: ${e.text}`);
}

/** Held-back pools still held at `now`. */
export function heldPool(ctx: PassContext, pool: string): string | undefined {
  return ctx.state.held.find((h) => h.pool === pool && h.until > ctx.now)?.why;
}

/** Hold a pool's launches for the configured insufficient-capacity TTL. */
export function holdPool(ctx: PassContext, pool: string, why: string): void {
  ctx.state.held = ctx.state.held.filter((h) => h.pool !== pool && h.until > ctx.now);
  ctx.state.held.push({ pool, until: ctx.now + ctx.deps.config.insufficientCapacityTTL, why });
}

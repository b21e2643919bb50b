// types.ts - the shape of a scale-down strategy (Karpenter's disruption methods): each looks at the nodes and
// returns drains and terminations with reasons; they run in order and skip nodes an earlier one already took.
// Invariants: strategies only propose; `decide` filters every terminate through a guard before returning it.
import type { CloudPoolConfig, PoolConfig } from '../../config-types.ts';
import type { DrainDecision, LaunchDecision, PolicyInput, PolicyNode, TerminateDecision } from '../types.ts';

/** What every strategy may read, and the round's running tally. */
export interface ScaleDownContext {
  input: PolicyInput;
  /** Nodes the pending backlog is planned onto. */
  reserved: ReadonlySet<string>;
  /** Launches decided this round (they count toward pool sizes). */
  launches: readonly LaunchDecision[];
  /** Node names and instance ids already drained or terminated this round. */
  taken: Set<string>;
  /** The node's pool config, or undefined (unknown pools are treated as static). */
  poolOf(node: PolicyNode): PoolConfig | undefined;
  /** The node's pool when it is a cloud pool. */
  cloudPoolOf(node: PolicyNode): CloudPoolConfig | undefined;
  /** Nodes of the pool that will stay: joining or up, not drained this round; plus in flight and launched. */
  staying(pool: string): number;
}

export interface StrategyResult {
  drain: DrainDecision[];
  terminate: TerminateDecision[];
  notes: string[];
}

export interface ScaleDownStrategy {
  /** Short name for notes and tests. */
  name: string;
  run(ctx: ScaleDownContext): StrategyResult;
}

export function emptyResult(): StrategyResult {
  return { drain: [], terminate: [], notes: [] };
}

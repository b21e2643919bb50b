// index.ts - scale-down: the strategies, tried in order (broken, join-timeout, drained-empty, over-max,
// emptiness), each skipping what an earlier one took. Invariant: `staying` counts only what will remain, so `min`
// holds across strategies.
import { isCloudPool } from '../../config-types.ts';
import type { LaunchDecision, PolicyInput } from '../types.ts';
import { broken } from './broken.ts';
import { drainedEmpty } from './drained-empty.ts';
import { emptiness } from './emptiness.ts';
import { joinTimeout } from './join-timeout.ts';
import { overMax } from './over-max.ts';
import type { ScaleDownContext, ScaleDownStrategy, StrategyResult } from './types.ts';

export type { ScaleDownContext, ScaleDownStrategy, StrategyResult };

/** The strategies, in the order they run. */
export const STRATEGIES: readonly ScaleDownStrategy[] = [broken, joinTimeout, drainedEmpty, overMax, emptiness];

/**
 * Run the scale-down strategies over the input.
 * @example scaleDown(input, reservedNodes, launches).drain // [{ node: 'burst-3', reason: 'idle for 6m ≥ idleTimeout 5m: …' }]
 */
export function scaleDown(
  input: PolicyInput,
  reserved: ReadonlySet<string>,
  launches: readonly LaunchDecision[],
  strategies: readonly ScaleDownStrategy[] = STRATEGIES,
): StrategyResult {
  const pools = new Map(input.config.pools.map((p) => [p.name, p]));
  const taken = new Set<string>();
  const ctx: ScaleDownContext = {
    input,
    reserved,
    launches,
    taken,
    poolOf: (n) => pools.get(n.pool),
    cloudPoolOf: (n) => {
      const p = pools.get(n.pool);
      return isCloudPool(p) ? p : undefined;
    },
    staying: (pool) =>
      input.nodes.filter((n) => n.pool === pool && (n.state === 'up' || n.state === 'joining') && !taken.has(n.name)).length +
      input.inFlight.filter((f) => f.pool === pool).reduce((k, f) => k + f.count, 0) +
      launches.filter((l) => l.pool === pool).reduce((k, l) => k + l.count, 0),
  };
  const out: StrategyResult = { drain: [], terminate: [], notes: [] };
  for (const s of strategies) {
    const r = s.run(ctx);
    for (const d of r.drain) taken.add(d.node);
    for (const t of r.terminate) {
      if (t.node) taken.add(t.node);
      taken.add(t.instanceId);
    }
    out.drain.push(...r.drain);
    out.terminate.push(...r.terminate);
    out.notes.push(...r.notes);
  }
  return out;
}

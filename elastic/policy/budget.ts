// budget.ts - the limits a round of launches must stay within: each pool's `max` (nodes + in flight) and
// `maxSpendPerHour` over every cloud instance that exists or is on its way. Invariants: counts include every state
// (a draining or broken instance still exists and is still billed); taking from the budget is the only way to plan
// a launch, so no decision round can overshoot.
import { type Catalog, priceOf } from '../catalog.ts';
import { type ElasticConfig, isCloudPool } from '../config-types.ts';
import { inFlightCapacityType } from './capacity.ts';
import type { InFlightLaunch, PolicyNode } from './types.ts';

/** Hourly price of an existing cloud node (0 when its type is unknown). */
export function nodePrice(n: PolicyNode, catalog: Catalog): number {
  const name = n.instanceType ?? n.inventory.properties.find((p) => catalog.has(p));
  const type = name === undefined ? undefined : catalog.get(name);
  if (!type) return 0;
  const cap = n.capacityType ?? (n.inventory.properties.includes('spot') ? 'spot' : 'on-demand');
  return priceOf(type, cap) ?? type.onDemandPrice;
}

/** Pool sizes and spend, and what a round of launches may still add. */
export class Budget {
  /** USD per hour now committed (running + in flight + planned this round). */
  spend = 0;
  readonly cap: number | undefined;
  private readonly count = new Map<string, number>();
  private readonly max = new Map<string, number>();

  constructor(config: ElasticConfig, catalog: Catalog, nodes: readonly PolicyNode[], inFlight: readonly InFlightLaunch[]) {
    this.cap = config.maxSpendPerHour;
    for (const p of config.pools) if (isCloudPool(p)) this.max.set(p.name, p.max);
    for (const n of nodes) {
      const pool = config.pools.find((p) => p.name === n.pool);
      if (!isCloudPool(pool)) continue;
      this.count.set(n.pool, (this.count.get(n.pool) ?? 0) + 1);
      this.spend += nodePrice(n, catalog);
    }
    for (const f of inFlight) {
      const pool = config.pools.find((p) => p.name === f.pool);
      if (!isCloudPool(pool)) continue;
      this.count.set(f.pool, (this.count.get(f.pool) ?? 0) + f.count);
      const type = catalog.get(f.instanceType);
      if (type) this.spend += f.count * (priceOf(type, inFlightCapacityType(f, pool)) ?? type.onDemandPrice);
    }
  }

  /** Instances in the pool: nodes in any state, in flight, and planned this round. */
  size(pool: string): number {
    return this.count.get(pool) ?? 0;
  }

  /** How many more instances the pool may have. */
  room(pool: string): number {
    return Math.max(0, (this.max.get(pool) ?? 0) - this.size(pool));
  }

  /** How many more instances at `price` the spend cap allows (Infinity without a cap or for free ones). */
  affordable(price: number): number {
    if (this.cap === undefined || price <= 0) return Infinity;
    return Math.max(0, Math.floor((this.cap - this.spend + 1e-9) / price));
  }

  /** Can `n` instances at `price` be added to `pool`? When not, which limit says no. */
  check(pool: string, n: number, price: number): 'ok' | 'max' | 'spend' {
    if (this.room(pool) < n) return 'max';
    if (this.affordable(price) < n) return 'spend';
    return 'ok';
  }

  /** Plan `n` instances at `price` in `pool`. */
  take(pool: string, n: number, price: number): void {
    this.count.set(pool, this.size(pool) + n);
    this.spend += n * price;
  }
}

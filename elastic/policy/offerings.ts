// offerings.ts - what the policy may buy right now: each cloud pool's instance types × capacity types, in the
// subnets that have not recently run out, priced from the catalog. Invariants: an offering that reported
// insufficient capacity is skipped until its `until` (no retry storms, Karpenter 3198); order is deterministic
// (pool order, then type order, then spot before on-demand), so equal prices always break the same way.
import type { ConstraintTarget } from '../../control/core/constraint.ts';
import { type CapacityType, type Catalog, type InstanceTypeInfo, instanceInventory, priceOf } from '../catalog.ts';
import { type CloudPoolConfig, type ElasticConfig, type SubnetConfig, isCloudPool } from '../config-types.ts';
import type { Demand } from './shape.ts';
import type { UnavailableOffering } from './types.ts';

/** One purchasable kind of node. */
export interface PlanOffering {
  /** Position in the deterministic order (lower = preferred on ties). */
  order: number;
  pool: CloudPoolConfig;
  type: InstanceTypeInfo;
  capacityType: CapacityType;
  /** Subnets still available for it, in preference order (empty for providers without subnets). */
  subnets: SubnetConfig[];
  /** USD per hour per instance. */
  price: number;
  /** Whether its nodes get EFA (pool has efa and the type supports it). */
  efa: boolean;
  /** The node it turns into, for constraints. */
  target: ConstraintTarget;
  total: Demand;
}

/** Capacity types a pool may buy, preferred first. */
export function capacityTypesOf(pool: CloudPoolConfig): CapacityType[] {
  if (pool.capacityType === 'spot') return ['spot'];
  if (pool.capacityType === 'on-demand') return ['on-demand'];
  return ['spot', 'on-demand'];
}

/** Does an unavailable-offering entry cover this type/capacity type in this subnet (or anywhere, without subnets)? */
function covers(u: UnavailableOffering, type: string, cap: CapacityType, subnet: SubnetConfig | undefined): boolean {
  if (u.instanceType !== type || u.capacityType !== cap) return false;
  if (!subnet) return true;
  if (u.subnet !== undefined) return u.subnet === subnet.id;
  // A zone-only entry covers subnets in that zone, and subnets whose zone we do not know (better a fallback than a storm).
  if (u.zone !== undefined) return subnet.zone === undefined || subnet.zone === u.zone;
  return true;
}

export interface OfferingSet {
  offerings: PlanOffering[];
  /** Offerings skipped for recent insufficient capacity, in words, for notes. */
  skipped: string[];
}

/**
 * Every offering of every cloud pool that is available now.
 * @example listOfferings(config, catalog, [{ instanceType: 'c6i.2xlarge', capacityType: 'spot', until: now + 180 }], now)
 */
export function listOfferings(config: ElasticConfig, catalog: Catalog, unavailable: readonly UnavailableOffering[], now: number): OfferingSet {
  const live = unavailable.filter((u) => u.until > now);
  const out: OfferingSet = { offerings: [], skipped: [] };
  for (const pool of config.pools) {
    if (!isCloudPool(pool)) continue;
    for (const name of pool.instanceTypes) {
      const type = catalog.get(name);
      if (!type) continue;
      for (const cap of capacityTypesOf(pool)) {
        const price = priceOf(type, cap);
        if (price === undefined) continue;
        const blocked = (s: SubnetConfig | undefined) => live.some((u) => covers(u, name, cap, s));
        let subnets = pool.subnets;
        if (subnets.length > 0) {
          subnets = subnets.filter((s) => !blocked(s));
          if (subnets.length === 0) {
            out.skipped.push(`${pool.name}: ${name} ${cap} (no capacity in any subnet recently)`);
            continue;
          }
        } else if (blocked(undefined)) {
          out.skipped.push(`${pool.name}: ${name} ${cap} (no capacity recently)`);
          continue;
        }
        const efa = pool.efa && type.efa;
        const inv = instanceInventory(type, `${pool.name}-new`, { efa, capacityType: cap, properties: pool.properties });
        out.offerings.push({
          order: out.offerings.length,
          pool,
          type,
          capacityType: cap,
          subnets,
          price,
          efa,
          target: { hostname: inv.hostname, rank: -1, properties: new Set(inv.properties) },
          total: { cores: inv.cores, gpus: inv.gpus, memoryMB: inv.memoryMB },
        });
      }
    }
  }
  return out;
}

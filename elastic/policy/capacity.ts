// capacity.ts - the capacity the policy plans with before launching anything: static and cloud nodes that are up
// (free now, or free once their jobs expire) and capacity on its way (joining nodes, launches in flight).
// Invariants: down and drained nodes are not capacity; capacity on its way counts as available now, so a job it will
// serve never causes a second launch; reservations only ever shrink what is free.
import type { ConstraintTarget } from '../../control/core/constraint.ts';
import { type Catalog, instanceInventory } from '../catalog.ts';
import { type CloudPoolConfig, type ElasticConfig, isCloudPool } from '../config-types.ts';
import { type Demand, ZERO, sub } from './shape.ts';
import type { InFlightLaunch, PolicyNode } from './types.ts';

/** Where a unit of capacity comes from; also the order in which plans prefer it. */
export type SlotKind = 'static' | 'cloud' | 'expected';

/** One node's worth of capacity over time. */
export interface Slot {
  /** Node name, or `<launchId>#<i>` for an instance in flight. */
  key: string;
  pool: string;
  kind: SlotKind;
  target: ConstraintTarget;
  total: Demand;
  /** Free now. */
  freeNow: Demand;
  /** When everything running now has expired and `total` is free (Infinity = an unlimited job runs). */
  releaseAt: number;
  /** Pending jobs planned onto this slot by the estimate. */
  reservations: Array<{ start: number; end: number; use: Demand; exclusive: boolean }>;
}

function demandOf(inv: { cores: number; gpus: number; memoryMB: number }): Demand {
  return { cores: inv.cores, gpus: inv.gpus, memoryMB: inv.memoryMB };
}

/** The capacity type an in-flight launch resolves to. */
export function inFlightCapacityType(f: InFlightLaunch, pool: CloudPoolConfig | undefined): 'spot' | 'on-demand' {
  return f.capacityType ?? (pool?.capacityType === 'spot' ? 'spot' : 'on-demand');
}

/** A slot for a node of the graph (joining or up); undefined for nodes that are not capacity. */
function nodeSlot(n: PolicyNode, rank: number, now: number, config: ElasticConfig): Slot | undefined {
  if (n.state === 'down' || n.state === 'drained') return undefined;
  const pool = config.pools.find((p) => p.name === n.pool);
  const total = demandOf(n.inventory);
  const idle = n.runningJobs === 0;
  const kind: SlotKind = n.state === 'joining' ? 'expected' : isCloudPool(pool) ? 'cloud' : 'static';
  return {
    key: n.name,
    pool: n.pool,
    kind,
    target: { hostname: n.inventory.hostname, rank: n.rank ?? rank, properties: new Set(n.inventory.properties) },
    total,
    freeNow: idle ? total : n.free ? demandOf(n.free) : ZERO,
    releaseAt: idle ? now : (n.busyUntil ?? Infinity),
    reservations: [],
  };
}

/**
 * All capacity to plan with: nodes first (rank: the node's `rank`, else its index in `nodes`), then one
 * slot per missing instance of each launch in flight, shaped like the node its type will join as.
 */
export function buildSlots(nodes: readonly PolicyNode[], inFlight: readonly InFlightLaunch[], now: number, config: ElasticConfig, catalog: Catalog): Slot[] {
  const slots: Slot[] = [];
  nodes.forEach((n, i) => {
    const s = nodeSlot(n, i, now, config);
    if (s) slots.push(s);
  });
  for (const f of inFlight) {
    const pool = config.pools.find((p) => p.name === f.pool);
    const type = catalog.get(f.instanceType);
    if (!type || !isCloudPool(pool)) continue;
    const inv = instanceInventory(type, `${f.pool}-pending`, {
      efa: pool.efa,
      capacityType: inFlightCapacityType(f, pool),
      properties: pool.properties,
    });
    for (let i = 0; i < f.count; i++) {
      const total = demandOf(inv);
      slots.push({
        key: `${f.launchId}#${i}`,
        pool: f.pool,
        kind: 'expected',
        target: { hostname: inv.hostname, rank: -1, properties: new Set(inv.properties) },
        total,
        freeNow: total,
        releaseAt: now,
        reservations: [],
      });
    }
  }
  return slots;
}

/** What is free on `slot` throughout [start, end), after what runs now and what the plan reserved. */
export function freeDuring(slot: Slot, start: number, end: number): Demand {
  let free = start >= slot.releaseAt ? slot.total : slot.freeNow;
  for (const r of slot.reservations) {
    if (r.start < end && start < r.end) free = sub(free, r.use);
  }
  return free;
}

/** Is `slot` entirely empty throughout [start, end) (what an exclusive job needs)? */
export function emptyDuring(slot: Slot, start: number, end: number): boolean {
  const f = slot.freeNow;
  const t = slot.total;
  if (start < slot.releaseAt && (f.cores < t.cores || f.gpus < t.gpus || f.memoryMB < t.memoryMB)) return false;
  return !slot.reservations.some((r) => r.start < end && start < r.end);
}

/** Plan preference: static first (already paid for), then cloud nodes that are up, then capacity on its way. */
export const KIND_ORDER: Record<SlotKind, number> = { static: 0, cloud: 1, expected: 2 };

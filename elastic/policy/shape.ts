// shape.ts - a pending job's resource request reduced to what placement needs: per-node or per-slot demand, and how
// much of a node it takes. Invariants: pure arithmetic on ResourceRequest; a demand dimension of 0 never limits.
import type { ConstraintTarget } from '../../control/core/constraint.ts';
import { matchesConstraint } from '../../control/core/constraint.ts';
import type { Constraint, ResourceRequest } from '../../control/core/resource/types.ts';
import { fmtDuration } from './format.ts';

/** An amount of node resources. */
export interface Demand {
  cores: number;
  gpus: number;
  memoryMB: number;
}

export const ZERO: Demand = { cores: 0, gpus: 0, memoryMB: 0 };

/** What a job needs: `nodes` whole node-slices of `perNode`, or `slots` free-floating slots of `perSlot`. */
export interface JobShape {
  kind: 'nodes' | 'slots';
  /** Node-slices (kind `nodes`). */
  nodes: number;
  perNode: Demand;
  /** Slots (kind `slots`). */
  slots: number;
  perSlot: Demand;
  /** Whole nodes only, shared with no other job. */
  exclusive: boolean;
  /** Cores asked in all (not counting exclusivity), the job's size for ordering and value. */
  totalCores: number;
  constraint?: Constraint;
}

/** The shape of a request. */
export function shapeOf(req: ResourceRequest): JobShape {
  const perSlot: Demand = { cores: req.coresPerSlot, gpus: req.gpusPerSlot, memoryMB: req.memoryMBPerSlot ?? 0 };
  const shape: JobShape =
    req.nodes !== undefined
      ? {
          kind: 'nodes',
          nodes: req.nodes,
          perNode: scale(perSlot, req.slots),
          slots: req.slots * req.nodes,
          perSlot,
          exclusive: req.exclusive,
          totalCores: req.nodes * req.slots * req.coresPerSlot,
        }
      : { kind: 'slots', nodes: 0, perNode: ZERO, slots: req.slots, perSlot, exclusive: req.exclusive, totalCores: req.slots * req.coresPerSlot };
  if (req.constraint) shape.constraint = req.constraint;
  return shape;
}

export function scale(d: Demand, k: number): Demand {
  return { cores: d.cores * k, gpus: d.gpus * k, memoryMB: d.memoryMB * k };
}

export function add(a: Demand, b: Demand): Demand {
  return { cores: a.cores + b.cores, gpus: a.gpus + b.gpus, memoryMB: a.memoryMB + b.memoryMB };
}

export function sub(a: Demand, b: Demand): Demand {
  return { cores: a.cores - b.cores, gpus: a.gpus - b.gpus, memoryMB: a.memoryMB - b.memoryMB };
}

/** Does `need` fit into `free`? */
export function fits(need: Demand, free: Demand): boolean {
  return need.cores <= free.cores && need.gpus <= free.gpus && need.memoryMB <= free.memoryMB;
}

/** How many copies of `unit` fit into `free` (Infinity when `unit` is all zeros). */
export function copies(unit: Demand, free: Demand): number {
  let k = Infinity;
  if (unit.cores > 0) k = Math.min(k, Math.floor(free.cores / unit.cores));
  if (unit.gpus > 0) k = Math.min(k, Math.floor(free.gpus / unit.gpus));
  if (unit.memoryMB > 0) k = Math.min(k, Math.floor(free.memoryMB / unit.memoryMB));
  return Math.max(0, k);
}

/** Does the job's constraint accept this node? */
export function accepts(shape: JobShape, target: ConstraintTarget): boolean {
  return shape.constraint === undefined || matchesConstraint(shape.constraint, target);
}

/** Could the job use a node of this size at all (one node-slice, or one slot, on an empty node)? */
export function fitsEmpty(shape: JobShape, total: Demand): boolean {
  return shape.kind === 'nodes' ? fits(shape.perNode, total) : copies(shape.perSlot, total) >= 1;
}

/** How many nodes of size `total` the job takes on fresh nodes (0 when it cannot use them). */
export function nodesOn(shape: JobShape, total: Demand): number {
  if (shape.kind === 'nodes') return fits(shape.perNode, total) ? shape.nodes : 0;
  const per = copies(shape.perSlot, total);
  if (per < 1) return 0;
  return per === Infinity ? 1 : Math.ceil(shape.slots / per);
}

/** Property names a constraint requires positively (outside any `not`, without `^`). */
export function requiredProperties(c: Constraint | undefined): Set<string> {
  const out = new Set<string>();
  const walk = (x: Constraint, negated: boolean) => {
    for (const [op, values] of Object.entries(x)) {
      for (const v of values) {
        if (typeof v === 'string') {
          if (op === 'properties' && !negated && !v.startsWith('^')) out.add(v);
        } else {
          walk(v, negated !== (op === 'not'));
        }
      }
    }
  };
  if (c) walk(c, false);
  return out;
}

/** Words for a shape: "2 nodes × 16 cores", "1 exclusive node", "48 slots × 1 core". */
export function describeShape(shape: JobShape, duration: number): string {
  const extra = (d: Demand) => `${d.gpus ? ` + ${d.gpus} GPU` : ''}${d.memoryMB ? ` + ${Math.round(d.memoryMB / 1024)} GiB` : ''}`;
  const dur = duration > 0 ? ` for ${fmtDuration(duration)}` : '';
  if (shape.kind === 'nodes') {
    const n = `${shape.nodes} ${shape.exclusive ? 'exclusive ' : ''}node${shape.nodes === 1 ? '' : 's'}`;
    const per = shape.exclusive ? '' : ` × ${shape.perNode.cores} cores${extra(shape.perNode)}`;
    return `${n}${per}${dur}`;
  }
  return `${shape.slots} slot${shape.slots === 1 ? '' : 's'} × ${shape.perSlot.cores} core${shape.perSlot.cores === 1 ? '' : 's'}${extra(shape.perSlot)}${shape.exclusive ? ' (exclusive)' : ''}${dur}`;
}

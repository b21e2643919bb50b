// feasibility.ts - could the elastic pools ever grow nodes that run a request, and if not, why not in words ("no pool's
// instance types have 8 GPUs"). The scheduler consults it before it calls a job unsatisfiable, at submit and in a pass.
// Invariants: pure (no I/O, no clock); a request is growable when one cloud pool alone could hold it on fresh nodes of
// one of its types (an offering its constraint accepts, that fits the job, within the pool's max), whatever capacity is
// unavailable right now: a lack of capacity is temporary, a pool too small is not.
import type { ResourceRequest } from '../control/core/resource/types.ts';
import { catalogFor } from './catalog.ts';
import type { ElasticConfig } from './config-types.ts';
import { listOfferings, type PlanOffering } from './policy/offerings.ts';
import { type Demand, accepts, fitsEmpty, nodesOn, shapeOf } from './policy/shape.ts';

/** What the scheduler asks of elastic capacity (control/scheduler/scheduler.ts `GrowCapacity`). */
export interface ElasticFeasibility {
  /** Could some pool launch nodes that run this request? */
  canGrow(req: ResourceRequest): boolean;
  /** Why no pool could (for the refusal): call when canGrow is false. */
  whyNot(req: ResourceRequest): string;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The demand of one node (or one slot) of the request, and the words for it. */
function unitOf(req: ResourceRequest): Demand {
  const shape = shapeOf(req);
  return shape.kind === 'nodes' ? shape.perNode : shape.perSlot;
}

/** Why none of `offerings` (already accepted by the constraint) fits one unit of the request. */
function tooSmall(unit: Demand, offerings: readonly PlanOffering[]): string {
  const most = (k: keyof Demand) => Math.max(...offerings.map((o) => o.total[k]));
  if (unit.gpus > most('gpus')) {
    const has = most('gpus');
    return `no pool's instance types have ${plural(unit.gpus, 'GPU')}${has > 0 ? ` (the most is ${has})` : ''}`;
  }
  if (unit.cores > most('cores')) return `no pool's instance types have ${plural(unit.cores, 'core')} (the most is ${most('cores')})`;
  if (unit.memoryMB > most('memoryMB')) return `no pool's instance types have ${unit.memoryMB} MB of memory (the most is ${most('memoryMB')} MB usable)`;
  return `no pool's instance type has ${plural(unit.cores, 'core')}, ${plural(unit.gpus, 'GPU')} and ${unit.memoryMB} MB together`;
}

/**
 * The feasibility check of a pools file.
 * @example elasticFeasibility(config).whyNot({ nodes: 1, slots: 1, coresPerSlot: 1, gpusPerSlot: 8, exclusive: false })
 *   // "no pool's instance types have 8 GPUs"
 */
export function elasticFeasibility(config: ElasticConfig): ElasticFeasibility {
  const offerings = listOfferings(config, catalogFor(config), [], 0).offerings;
  const canGrow = (req: ResourceRequest): boolean => {
    const shape = shapeOf(req);
    return offerings.some((o) => accepts(shape, o.target) && fitsEmpty(shape, o.total) && nodesOn(shape, o.total) <= o.pool.max);
  };
  const whyNot = (req: ResourceRequest): string => {
    if (offerings.length === 0) return 'no elastic pool is configured that could launch nodes';
    const shape = shapeOf(req);
    const accepted = offerings.filter((o) => accepts(shape, o.target));
    if (accepted.length === 0) return "no pool's nodes satisfy the job's constraint";
    const fitting = accepted.filter((o) => fitsEmpty(shape, o.total));
    if (fitting.length === 0) return tooSmall(unitOf(req), accepted);
    const best = fitting.reduce((a, b) => (nodesOn(shape, b.total) - b.pool.max < nodesOn(shape, a.total) - a.pool.max ? b : a));
    const need = nodesOn(shape, best.total);
    if (need > best.pool.max) return `it needs ${plural(need, 'node')} of ${best.type.name}, and pool ${best.pool.name} has max ${best.pool.max}`;
    return 'some pool could grow for it';
  };
  return { canGrow, whyNot };
}

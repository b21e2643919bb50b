// describe.ts - reduces a valid V1 jobspec to the numbers the scheduler, the agents and the CLI work with
// (JobShape), and lays tasks out over the allocated nodes the way flux-shell does.
// Invariant: sum(distributeTasks(shape, slots)) is the job's task count for any allocation matching the request.
import type { Constraint, ResourceRequest } from '../resource/types.ts';
import { InvalidInputError } from '../errors.ts';
import { slotOf, type JobspecV1 } from './v1.ts';

/** What a V1 jobspec asks for, reduced to numbers. */
export interface JobShape {
  request: ResourceRequest;
  /** Total number of tasks, when the jobspec determines it (always, for V1). */
  ntasks: number | undefined;
  tasks: { perSlot?: number; total?: number };
  /** Seconds; 0 = unlimited. */
  duration: number;
  /** `attributes.system.job.name`, or the basename of `command[0]`. */
  name: string;
  command: string[];
  queue?: string;
  cwd?: string;
  environment: Record<string, string>;
  dependencies: Array<{ scheme: string; value: string }>;
  constraint?: Constraint;
}

/**
 * Describe a validated V1 jobspec.
 * @example describeJobspec(jobspecFromShape(['hostname'], { nodes: 2 })).request // { nodes: 2, slots: 1, coresPerSlot: 1, gpusPerSlot: 0, exclusive: true }
 */
export function describeJobspec(js: JobspecV1): JobShape {
  const { slot, nodes, exclusive } = slotOf(js);
  const sys = js.attributes.system;
  const task = js.tasks[0]!;
  const coresPerSlot = slot.with.find((v) => v.type === 'core')?.count ?? 1;
  const gpusPerSlot = slot.with.find((v) => v.type === 'gpu')?.count ?? 0;
  const constraint = sys.constraints && Object.keys(sys.constraints).length > 0 ? sys.constraints : undefined;
  const request: ResourceRequest = { slots: slot.count, coresPerSlot, gpusPerSlot, exclusive };
  if (nodes !== undefined) request.nodes = nodes;
  if (constraint) request.constraint = constraint;

  const totalSlots = slot.count * (nodes ?? 1);
  const perSlot = task.count.per_slot;
  const total = task.count.total;
  const shape: JobShape = {
    request,
    ntasks: total ?? (perSlot ?? 1) * totalSlots,
    tasks: perSlot !== undefined ? { perSlot } : { total: total! },
    duration: sys.duration,
    name: sys.job?.name ?? basename(task.command[0]!),
    command: task.command,
    environment: { ...(sys.environment ?? {}) },
    dependencies: (sys.dependencies ?? []).map((d) => ({ scheme: d.scheme, value: d.value })),
  };
  if (sys.queue !== undefined) shape.queue = sys.queue;
  if (sys.cwd !== undefined) shape.cwd = sys.cwd;
  if (constraint) shape.constraint = constraint;
  return shape;
}

function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1) || path;
}

/**
 * How many tasks each allocated node runs, given the slots the job holds on each node (in allocation order).
 * `per_slot`: slots × per_slot. `total`: flux-shell's layout — nodes with the most free slots first (ties in
 * allocation order), one task per node per round, a full node drops out; once every slot is used the rounds start
 * again (oversubscription).
 * @example distributeTasks(describeJobspec(jobspecFromShape(['app'], { nodes: 4, ntasks: 5 })), [2, 2, 2, 2]) // [2, 1, 1, 1]
 */
export function distributeTasks(shape: JobShape, slotsPerNode: number[]): number[] {
  if (slotsPerNode.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new InvalidInputError('must be non-negative integers', 'slotsPerNode');
  }
  if (shape.tasks.total === undefined) {
    const perSlot = shape.tasks.perSlot ?? 1;
    return slotsPerNode.map((s) => s * perSlot);
  }
  const counts = slotsPerNode.map(() => 0);
  const order = slotsPerNode
    .map((slots, i) => ({ slots, i }))
    .filter((n) => n.slots > 0)
    .sort((a, b) => b.slots - a.slots || a.i - b.i);
  if (order.length === 0) throw new InvalidInputError('holds no slots to run tasks in', 'slotsPerNode');
  let left = shape.tasks.total;
  while (left > 0) {
    // In each pass every node takes up to its slot count again: pass 0 fills the slots, later passes oversubscribe.
    const free = new Map(order.map((n) => [n.i, n.slots]));
    let queue = order.map((n) => n.i);
    while (left > 0 && queue.length > 0) {
      const next: number[] = [];
      for (const i of queue) {
        if (left === 0) break;
        counts[i]! += 1;
        left -= 1;
        const f = free.get(i)! - 1;
        free.set(i, f);
        if (f > 0) next.push(i);
      }
      queue = next;
    }
  }
  return counts;
}

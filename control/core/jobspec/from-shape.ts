// from-shape.ts - a V1 jobspec from Flux's command-line shape options, validated (the builder is in shape-build.ts).
import { buildJobspecFromShape, type ShapeOptions } from './shape-build.ts';
import { validateJobspecV1, type JobspecV1 } from './v1.ts';

export { buildJobspecFromShape, parseDependencies, SLOT_LABEL, type ShapeOptions } from './shape-build.ts';

/**
 * Build and validate a V1 jobspec from a command and shape options (Flux's -N/-n/-c/-g rules; see shape-build.ts).
 * @example jobspecFromShape(['app'], { nodes: 4, ntasks: 5 }).resources
 * // [{ type: 'node', count: 4, with: [{ type: 'slot', count: 2, label: 'task', with: [{ type: 'core', count: 1 }] }] }]
 */
export function jobspecFromShape(command: string[], opts: ShapeOptions): JobspecV1 {
  return validateJobspecV1(buildJobspecFromShape(command, opts));
}

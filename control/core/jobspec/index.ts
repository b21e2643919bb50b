// index.ts - the public API of the jobspec module: parse text, validate V1 (RFC 25) or canonical (RFC 14),
// build from command-line shape options (Flux's -N/-n/-c/-g rules), and describe a V1 jobspec as numbers.
export { parseJobspecText } from './parse.ts';
export { jobspecV1Schema, validateJobspecV1, slotOf, type JobspecV1, type SlotVertexV1 } from './v1.ts';
export {
  canonicalJobspecSchema,
  validateCanonicalJobspec,
  type CanonicalJobspec,
  type CanonicalVertex,
  type CanonicalCount,
  type CountRange,
} from './canonical.ts';
export { buildJobspecFromShape, jobspecFromShape, parseDependencies, SLOT_LABEL, type ShapeOptions } from './from-shape.ts';
export { describeJobspec, distributeTasks, type JobShape } from './describe.ts';
export { jobspecErrorMap, formatPath } from './issues.ts';

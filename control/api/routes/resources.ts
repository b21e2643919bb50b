// resources.ts - the /v1/resources routes: list nodes and counts (as `flux resource list`), drain, undrain.
// Invariant: thin maps onto ResourceService; who may drain is the service's rule (instance owner), not the edge's.
import { createRoute, z } from '@hono/zod-openapi';
import type { NodeListing, ResourceCounts, ResourceListing } from '../../services.ts';
import { BEARER, errorResponses, jsonResponse } from '../schemas.ts';
import { subApp, type RouteKit } from './kit.ts';

const CountsSchema = z
  .object({ nnodes: z.int(), ncores: z.int(), ngpus: z.int(), nodelist: z.string().openapi({ example: 'n[1-4]' }) })
  .openapi('ResourceCounts');

const NodeSchema = z
  .object({
    name: z.string(),
    rank: z.int(),
    state: z.enum(['up', 'down', 'drained']),
    drainReason: z.string().optional(),
    cores: z.int(),
    coresFree: z.int(),
    gpus: z.int(),
    gpusFree: z.int(),
    memoryMB: z.number(),
    properties: z.array(z.string()),
    pool: z.string().optional(),
    jobs: z.int().openapi({ description: 'Jobs running on the node' }),
  })
  .openapi('Node');

const ListingSchema = z
  .object({ nodes: z.array(NodeSchema), free: CountsSchema, allocated: CountsSchema, down: CountsSchema, drained: CountsSchema })
  .openapi('ResourceListing');

const Targets = z.string().min(1).max(65_536).openapi({ description: 'RFC 29 hostlist', example: 'n[1-4,7]' });
const DrainRequest = z.strictObject({ targets: Targets, reason: z.string().max(1024).optional() }).openapi('DrainRequest');
const UndrainRequest = z.strictObject({ targets: Targets }).openapi('UndrainRequest');
const NodesAnswer = z.object({ nodes: z.array(z.string()) }).openapi('NodeNames');

/**
 * The /resources routes, relative to /v1.
 * @example app.route('/v1', resourcesRoutes(kit))
 */
export function resourcesRoutes(kit: RouteKit) {
  const { services, auth, body } = kit;
  const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } }, required: true });
  return subApp()
    .openapi(
      createRoute({
        method: 'get', path: '/resources', tags: ['resources'], summary: 'Nodes and resource counts', security: BEARER, middleware: [auth] as const,
        responses: { 200: jsonResponse('Nodes, and free/allocated/down/drained totals', ListingSchema), ...errorResponses(401, 403, 503) },
      }),
      async (c) => c.json(toListingJson(await services.resources.list(c.get('caller'))), 200),
    )
    .openapi(
      createRoute({
        method: 'post', path: '/resources/drain', tags: ['resources'], summary: 'Drain nodes (instance owner)', security: BEARER, middleware: [auth, body] as const,
        request: { body: json(DrainRequest) },
        responses: { 200: jsonResponse('The nodes drained', NodesAnswer), ...errorResponses(400, 401, 403, 404, 413, 415, 503) },
      }),
      async (c) => {
        const { targets, reason } = c.req.valid('json');
        const { nodes } = await services.resources.drain(c.get('caller'), targets, reason ?? '');
        return c.json({ nodes: [...nodes] }, 200);
      },
    )
    .openapi(
      createRoute({
        method: 'post', path: '/resources/undrain', tags: ['resources'], summary: 'Return drained nodes to service (instance owner)', security: BEARER, middleware: [auth, body] as const,
        request: { body: json(UndrainRequest) },
        responses: { 200: jsonResponse('The nodes undrained', NodesAnswer), ...errorResponses(400, 401, 403, 404, 413, 415, 503) },
      }),
      async (c) => {
        const { nodes } = await services.resources.undrain(c.get('caller'), c.req.valid('json').targets);
        return c.json({ nodes: [...nodes] }, 200);
      },
    );
}

/** Only the documented fields, so nothing internal to the service leaks into the answer. */
function toListingJson(l: ResourceListing): z.infer<typeof ListingSchema> {
  const counts = (r: ResourceCounts) => ({ nnodes: r.nnodes, ncores: r.ncores, ngpus: r.ngpus, nodelist: r.nodelist });
  const node = (n: NodeListing) => {
    const out: z.infer<typeof NodeSchema> = {
      name: n.name, rank: n.rank, state: n.state, cores: n.cores, coresFree: n.coresFree, gpus: n.gpus, gpusFree: n.gpusFree,
      memoryMB: n.memoryMB, properties: [...n.properties], jobs: n.jobs,
    };
    if (n.drainReason !== undefined) out.drainReason = n.drainReason;
    if (n.pool !== undefined) out.pool = n.pool;
    return out;
  };
  return { nodes: l.nodes.map(node), free: counts(l.free), allocated: counts(l.allocated), down: counts(l.down), drained: counts(l.drained) };
}

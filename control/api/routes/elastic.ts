// elastic.ts - GET /v1/elastic: the elastic loop's pools (nodes by state), launches in flight and its last decisions
// with their reasons. Invariants: instance owner only; an instance without an elastic loop answers `enabled: false`
// (to its owner); only documented fields leave.
import { createRoute, z } from '@hono/zod-openapi';
import { ForbiddenError } from '../../core/errors.ts';
import type { ElasticStatus } from '../../services.ts';
import { BEARER, errorResponses, jsonResponse } from '../schemas.ts';
import { subApp, type RouteKit } from './kit.ts';

const Seconds = z.number().openapi({ description: 'Seconds since the Unix epoch' });
const Capacity = z.enum(['spot', 'on-demand']);

const NodeSchema = z
  .object({
    name: z.string(),
    state: z.enum(['up', 'drained', 'down']),
    instanceId: z.string().optional(),
    drainReason: z.string().optional().openapi({ description: 'Scale-in drains start with "elastic:"' }),
  })
  .openapi('ElasticNode');

const PoolSchema = z
  .object({
    name: z.string(),
    provider: z.string().openapi({ description: 'static, local, ec2 or sim' }),
    min: z.int().optional(),
    max: z.int().optional(),
    instanceTypes: z.array(z.string()).optional(),
    counts: z.object({ up: z.int(), drained: z.int(), down: z.int(), joining: z.int() }).openapi({ description: 'Nodes by state; joining = launched, not joined yet' }),
    nodes: z.array(NodeSchema),
    held: z.object({ why: z.string(), until: Seconds }).optional().openapi({ description: 'Launches held back (account limit, repeated failures)' }),
  })
  .openapi('ElasticPool');

const LaunchSchema = z
  .object({
    launchId: z.string(),
    pool: z.string(),
    instanceType: z.string(),
    capacityType: Capacity,
    count: z.int(),
    pending: z.int().openapi({ description: 'Instances still expected to join' }),
    state: z.enum(['launching', 'launched']),
    since: Seconds,
    instanceIds: z.array(z.string()),
    placementGroup: z.string().optional(),
    reason: z.string(),
    lastError: z.string().optional(),
  })
  .openapi('ElasticLaunch');

const DecisionSchema = z
  .object({
    at: Seconds,
    action: z.string().openapi({ description: 'launch, drain, terminate, refused, failed, down, removed or note' }),
    pool: z.string().optional(),
    node: z.string().optional(),
    instanceId: z.string().optional(),
    launchId: z.string().optional(),
    text: z.string(),
  })
  .openapi('ElasticDecision');

const StatusSchema = z
  .object({
    enabled: z.boolean(),
    pools: z.array(PoolSchema),
    launches: z.array(LaunchSchema),
    decisions: z.array(DecisionSchema).openapi({ description: 'Most recent last' }),
    unavailable: z.array(z.object({ instanceType: z.string(), capacityType: Capacity, zone: z.string().optional(), subnet: z.string().optional(), until: Seconds })),
    lastPass: z.object({ at: Seconds, ms: z.number(), notes: z.array(z.string()) }).optional(),
  })
  .openapi('ElasticStatus');

const DISABLED: ElasticStatus = { enabled: false, pools: [], launches: [], decisions: [], unavailable: [] };

/**
 * The /elastic route, relative to /v1.
 * @example app.route('/v1', elasticRoutes(kit))
 */
export function elasticRoutes(kit: RouteKit) {
  const { services, auth } = kit;
  return subApp().openapi(
    createRoute({
      method: 'get', path: '/elastic', tags: ['resources'], summary: 'Elastic pools, launches in flight and recent decisions (instance owner)',
      security: BEARER, middleware: [auth] as const,
      responses: { 200: jsonResponse('The elastic loop’s status', StatusSchema), ...errorResponses(401, 403, 503) },
    }),
    async (c) => {
      const caller = c.get('caller');
      const elastic = services.elastic;
      if (!elastic) {
        if (caller.role !== 'owner') throw new ForbiddenError('only the instance owner may see the elastic status');
        return c.json(toJson(DISABLED), 200);
      }
      return c.json(toJson(await elastic.status(caller)), 200);
    },
  );
}

/** Only the documented fields. */
function toJson(s: ElasticStatus): z.infer<typeof StatusSchema> {
  const pick = <T extends object>(o: T, keys: ReadonlyArray<keyof T>): Partial<T> => {
    const out: Partial<T> = {};
    for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
    return out;
  };
  const out: z.infer<typeof StatusSchema> = {
    enabled: s.enabled,
    pools: s.pools.map((p) => ({
      ...(pick(p, ['name', 'provider', 'min', 'max', 'instanceTypes', 'held']) as Pick<typeof p, 'name' | 'provider'>),
      counts: { up: p.counts.up, drained: p.counts.drained, down: p.counts.down, joining: p.counts.joining },
      nodes: p.nodes.map((n) => pick(n, ['name', 'state', 'instanceId', 'drainReason']) as typeof n),
    })),
    launches: s.launches.map(
      (l) =>
        pick(l, ['launchId', 'pool', 'instanceType', 'capacityType', 'count', 'pending', 'state', 'since', 'instanceIds', 'placementGroup', 'reason', 'lastError']) as typeof l,
    ),
    decisions: s.decisions.map((d) => pick(d, ['at', 'action', 'pool', 'node', 'instanceId', 'launchId', 'text']) as typeof d),
    unavailable: s.unavailable.map((u) => pick(u, ['instanceType', 'capacityType', 'zone', 'subnet', 'until']) as typeof u),
  };
  if (s.lastPass) out.lastPass = { at: s.lastPass.at, ms: s.lastPass.ms, notes: [...s.lastPass.notes] };
  return out;
}

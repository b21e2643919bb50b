// testing.ts - builders for the policy's tests and the simulator's: configs, pending jobs, nodes and inputs with
// sensible defaults. Invariant: test support only; nothing in the product imports it.
import type { NodeInventory, ResourceRequest } from '../../control/core/resource/types.ts';
import { BUILTIN_CATALOG, instanceInventory } from '../catalog.ts';
import { catalogFor, parseElasticConfig, type ElasticConfig } from '../config.ts';
import { emptyBatcher } from './batcher.ts';
import type { PendingJob, PolicyInput, PolicyNode } from './types.ts';

/** A config from a plain object (the pools file's shape). */
export function cfg(obj: Record<string, unknown>): ElasticConfig {
  return parseElasticConfig(obj);
}

/** One static pool `onprem` plus one cloud pool `burst` (sim, c6i types), overridable. */
export function twoPools(burst: Record<string, unknown> = {}, top: Record<string, unknown> = {}): ElasticConfig {
  return cfg({
    batch: { idle: 0, max: 0 },
    ...top,
    pools: [
      { name: 'onprem', provider: 'static' },
      { name: 'burst', provider: 'sim', instanceTypes: ['c6i.xlarge', 'c6i.2xlarge', 'c6i.4xlarge'], max: 10, ...burst },
    ],
  });
}

/** A request: `n` slots of `c` cores, optionally on `nodes` nodes. */
export function req(slots: number, coresPerSlot = 1, over: Partial<ResourceRequest> = {}): ResourceRequest {
  return { slots, coresPerSlot, gpusPerSlot: 0, exclusive: false, ...over };
}

/** A pending job. */
export function job(id: string, request: ResourceRequest, over: Partial<PendingJob> = {}): PendingJob {
  return { id, request, duration: 3600, waitingSince: 0, priority: 16, ...over };
}

/** A static node with `cores` cores, idle since 0. */
export function staticNode(name: string, cores: number, over: Partial<PolicyNode> = {}): PolicyNode {
  const inventory: NodeInventory = { hostname: name, cores, gpus: 0, memoryMB: cores * 4096, properties: ['onprem'] };
  return { name, pool: 'onprem', state: 'up', inventory, idleSince: 0, runningJobs: 0, ...over };
}

/** A cloud node of `type` in `pool`, idle since 0. */
export function cloudNode(name: string, type: string, over: Partial<PolicyNode> = {}, pool = 'burst'): PolicyNode {
  const t = BUILTIN_CATALOG.get(type);
  if (!t) throw new Error(`no type ${type}`);
  const inventory = instanceInventory(t, name, { efa: false, capacityType: 'on-demand', properties: [] });
  return { name, pool, state: 'up', inventory, idleSince: 0, runningJobs: 0, instanceId: `i-${name}`, instanceType: type, launchedAt: 0, ...over };
}

/** A policy input with empty defaults. */
export function input(config: ElasticConfig, over: Partial<PolicyInput> = {}): PolicyInput {
  return {
    now: 0,
    config,
    catalog: catalogFor(config),
    pending: [],
    nodes: [],
    inFlight: [],
    unavailableOfferings: [],
    batcher: emptyBatcher(),
    ...over,
  };
}

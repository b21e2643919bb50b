// status.ts - `GET /v1/elastic` / `flurry elastic status`: the pools with their nodes by state, launches in flight and
// the last decisions with their reasons, read from the node table, the launch records and the loop state (no cloud
// call, so it is cheap and works the same on Lambda). Invariant: instance owner only.
import { ForbiddenError } from '../../control/core/errors.ts';
import { nodeGraphState } from '../../control/scheduler/node-state.ts';
import type { Caller, ElasticNodeStatus, ElasticPoolStatus, ElasticService, ElasticStatus } from '../../control/services.ts';
import type { ElasticConfig } from '../config-types.ts';
import type { ElasticStore } from '../store.ts';
import type { NodeAccess } from './types.ts';

export interface StatusDeps {
  iid: string;
  config: ElasticConfig;
  store: ElasticStore;
  nodes: Pick<NodeAccess, 'list'>;
  /** Seconds since the epoch. */
  clock: () => number;
}

/** How many decisions the status shows. */
const SHOWN_DECISIONS = 30;

/**
 * The elastic status of an instance.
 * @example (await elasticStatus(deps)).pools.map((p) => `${p.name} ${p.counts.up}`)
 */
export async function elasticStatus(d: StatusDeps): Promise<ElasticStatus> {
  const [items, records, state] = await Promise.all([d.nodes.list(d.iid), d.store.listLaunches(d.iid), d.store.getState(d.iid)]);
  const now = d.clock();
  const joinedIds = new Set(items.flatMap((n) => (n.instanceId !== undefined ? [n.instanceId] : [])));
  const launches = records.map((r) => {
    const settled = new Set(r.settled ?? []);
    const ids = r.instanceIds ?? [];
    const pending = r.state === 'launching' ? r.count : ids.filter((id) => !settled.has(id) && !joinedIds.has(id)).length;
    const l: ElasticStatus['launches'][number] = {
      launchId: r.launchId, pool: r.pool, instanceType: r.instanceType, capacityType: r.capacityType, count: r.count, pending,
      state: r.state, since: r.since, instanceIds: ids, reason: r.reason,
    };
    if (r.placementGroup) l.placementGroup = r.placementGroup;
    if (r.lastError) l.lastError = r.lastError;
    return l;
  });
  const pools = new Map<string, ElasticPoolStatus>();
  for (const p of d.config.pools) {
    const s: ElasticPoolStatus = { name: p.name, provider: p.provider, counts: { up: 0, drained: 0, down: 0, joining: 0 }, nodes: [] };
    if (p.provider !== 'static') {
      s.min = p.min;
      s.max = p.max;
      s.instanceTypes = [...p.instanceTypes];
      const held = state.held.find((h) => h.pool === p.name && h.until > now);
      if (held) s.held = { why: held.why, until: held.until };
    }
    pools.set(p.name, s);
  }
  // Agents that joined without a pool are the static pool's when the config has exactly one.
  const statics = d.config.pools.filter((p) => p.provider === 'static');
  const noPool = statics.length === 1 ? statics[0]!.name : '-';
  for (const n of items.sort((a, b) => a.rank - b.rank)) {
    const name = n.pool ?? noPool;
    let pool = pools.get(name);
    if (!pool) {
      pool = { name, provider: 'static', counts: { up: 0, drained: 0, down: 0, joining: 0 }, nodes: [] };
      pools.set(name, pool);
    }
    const state = nodeGraphState(n);
    const node: ElasticNodeStatus = { name: n.name, state };
    if (n.instanceId !== undefined) node.instanceId = n.instanceId;
    if (n.drained) node.drainReason = n.drained.reason;
    pool.nodes.push(node);
    pool.counts[state]++;
  }
  for (const l of launches) {
    const pool = pools.get(l.pool);
    if (pool) pool.counts.joining += l.pending;
  }
  const out: ElasticStatus = {
    enabled: true,
    pools: [...pools.values()],
    launches,
    decisions: state.decisions.slice(-SHOWN_DECISIONS),
    unavailable: state.unavailable.filter((u) => u.until > now),
  };
  if (state.lastPass) out.lastPass = state.lastPass;
  return out;
}

/** The ElasticService over the status (owner only). */
export function elasticStatusService(d: StatusDeps): ElasticService {
  return {
    async status(caller: Caller): Promise<ElasticStatus> {
      if (caller.role !== 'owner') throw new ForbiddenError('only the instance owner may see the elastic status');
      return elasticStatus(d);
    },
  };
}

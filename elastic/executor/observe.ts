// observe.ts - turns what a pass read (node items, the cluster view, the provider's instances, launch records, the
// loop state) into the policy's input. Pure: no I/O, no clock. Invariants: a node offline for less than the grace is
// presented as `joining` (on its way back, never terminated as broken); an instance is in flight until it shows up as
// a node or is gone, and is counted exactly once (by its record, or as an orphan when no record names it).
import type { NodeItem } from '../../control/store/nodes.ts';
import type { Catalog } from '../catalog.ts';
import { type ElasticConfig, isCloudPool } from '../config-types.ts';
import type { InFlightLaunch, PolicyInput, PolicyNode, PolicyNodeState } from '../policy/types.ts';
import type { Instance } from '../provider.ts';
import type { ElasticState, LaunchRecord } from '../store.ts';
import { type ClusterView, drainedBy } from './types.ts';

/** Instances matched to the node items they joined as. */
export interface Matching {
  /** Node name → its instance (by the node's instanceId, else by the instance's nodeName). */
  byNode: Map<string, Instance>;
  /** Instance ids that have joined as a node. */
  joined: Set<string>;
}

/** Match listed instances to node items. */
export function matchInstances(items: readonly NodeItem[], instances: ReadonlyMap<string, Instance>): Matching {
  const byName = new Map<string, Instance>();
  for (const i of instances.values()) if (i.nodeName) byName.set(i.nodeName, i);
  const byNode = new Map<string, Instance>();
  const joined = new Set<string>();
  for (const n of items) {
    const inst = (n.instanceId !== undefined ? instances.get(n.instanceId) : undefined) ?? byName.get(n.name);
    if (inst) {
      byNode.set(n.name, inst);
      joined.add(inst.id);
    }
    if (n.instanceId !== undefined) joined.add(n.instanceId);
  }
  return { byNode, joined };
}

/** The policy's state for a node item: offline within the grace counts as `joining` (coming back). */
export function nodeState(n: NodeItem, now: number, downGrace: number): PolicyNodeState {
  if (!n.online) return now - (n.downSince ?? n.hb) < downGrace ? 'joining' : 'down';
  return n.drained ? 'drained' : 'up';
}

/**
 * The idle map for this pass: a node running nothing keeps the time it was first seen idle (a node that joined since
 * the last pass: its join time); a busy node has no entry; nodes that left are forgotten.
 */
export function updateIdle(prev: Readonly<Record<string, number>>, items: readonly NodeItem[], view: ClusterView, now: number, lastPassAt: number | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of items) {
    if ((view.usage.get(n.name)?.jobs ?? 0) > 0) continue;
    const joinedSince = lastPassAt !== undefined && n.joinedAt > lastPassAt;
    out[n.name] = prev[n.name] ?? (joinedSince ? Math.min(n.joinedAt, now) : now);
  }
  return out;
}

export interface ObserveArgs {
  now: number;
  config: ElasticConfig;
  catalog: Catalog;
  items: readonly NodeItem[];
  view: ClusterView;
  /** Every instance the providers listed, by id. */
  instances: ReadonlyMap<string, Instance>;
  matching: Matching;
  records: readonly LaunchRecord[];
  state: ElasticState;
  /** This pass's idle map (updateIdle). */
  idle: Readonly<Record<string, number>>;
  downGrace: number;
}

/** Policy nodes from node items. */
export function policyNodes(a: ObserveArgs): PolicyNode[] {
  const recordOf = new Map<string, LaunchRecord>();
  for (const r of a.records) for (const id of r.instanceIds ?? []) recordOf.set(id, r);
  return a.items.map((n) => {
    const usage = a.view.usage.get(n.name);
    const jobs = usage?.jobs ?? 0;
    const inst = a.matching.byNode.get(n.name);
    const instanceId = n.instanceId ?? inst?.id;
    const rec = instanceId !== undefined ? recordOf.get(instanceId) : undefined;
    const p: PolicyNode = {
      name: n.name,
      pool: n.pool ?? '',
      state: nodeState(n, a.now, a.downGrace),
      inventory: { ...n.inventory, hostname: n.name },
      rank: n.rank,
      runningJobs: jobs,
    };
    if (jobs === 0 && a.idle[n.name] !== undefined) p.idleSince = a.idle[n.name];
    if (jobs > 0 && usage?.busyUntil !== undefined) p.busyUntil = usage.busyUntil;
    if (usage?.freeCores !== undefined) {
      const cores = n.inventory.cores;
      p.free = {
        cores: usage.freeCores,
        gpus: usage.freeGpus ?? n.inventory.gpus,
        // The graph does not track memory: assume it is used in proportion to cores.
        memoryMB: cores > 0 ? Math.floor((n.inventory.memoryMB * usage.freeCores) / cores) : n.inventory.memoryMB,
      };
    }
    if (instanceId !== undefined) p.instanceId = instanceId;
    const type = inst?.instanceType ?? rec?.instanceType;
    if (type !== undefined) p.instanceType = type;
    const cap = inst?.capacityType ?? rec?.capacityType;
    if (cap !== undefined) p.capacityType = cap;
    // A joined node that is briefly offline is coming back, not failing to join: no join timeout for it.
    const launchedAt = inst?.launchedAt ?? rec?.since;
    if (launchedAt !== undefined && p.state !== 'joining') p.launchedAt = launchedAt;
    const by = drainedBy(n);
    if (by) p.drainedBy = by;
    return p;
  });
}

/** Instance ids of a record still in flight: returned by the provider, not joined, not settled. */
export function stillFlying(rec: LaunchRecord, joined: ReadonlySet<string>): string[] {
  const settled = new Set(rec.settled ?? []);
  return (rec.instanceIds ?? []).filter((id) => !settled.has(id) && !joined.has(id));
}

/**
 * Launches in flight: every record (a `launching` one counts its whole `count`), then orphans, instances of a cloud
 * pool that no record and no node accounts for (left by a crash, or a record already deleted): they count as in
 * flight under their own launch id, so the policy's join timeout ends them if they never join.
 */
export function inFlight(a: ObserveArgs): InFlightLaunch[] {
  const out: InFlightLaunch[] = [];
  const recorded = new Set<string>();
  for (const r of a.records) {
    recorded.add(r.launchId);
    const ids = r.state === 'launching' ? [] : stillFlying(r, a.matching.joined);
    const count = r.state === 'launching' ? r.count : ids.length;
    if (count <= 0) continue;
    const f: InFlightLaunch = { launchId: r.launchId, pool: r.pool, instanceType: r.instanceType, count, since: r.since, capacityType: r.capacityType };
    if (ids.length) f.instanceIds = ids;
    if (r.placementGroup) f.placementGroup = r.placementGroup;
    out.push(f);
  }
  const inRecords = new Set(a.records.flatMap((r) => r.instanceIds ?? []));
  const orphans = new Map<string, InFlightLaunch>();
  for (const i of a.instances.values()) {
    if (i.state !== 'pending' && i.state !== 'running') continue;
    if (inRecords.has(i.id) || recorded.has(i.launchId) || a.matching.joined.has(i.id)) continue;
    if (!isCloudPool(a.config.pools.find((p) => p.name === i.pool))) continue;
    const key = i.launchId || `orphan-${i.id}`;
    const f = orphans.get(key);
    if (f) {
      f.count++;
      f.instanceIds!.push(i.id);
      f.since = Math.min(f.since, i.launchedAt);
    } else {
      orphans.set(key, { launchId: key, pool: i.pool, instanceType: i.instanceType, count: 1, since: i.launchedAt, capacityType: i.capacityType, instanceIds: [i.id] });
    }
  }
  out.push(...orphans.values());
  return out;
}

/** The whole policy input of a pass. */
export function policyInput(a: ObserveArgs): PolicyInput {
  return {
    now: a.now,
    config: a.config,
    catalog: a.catalog,
    pending: a.view.pending.map((j) => ({ id: j.id, request: j.request, duration: j.duration, waitingSince: j.waitingSince, priority: j.priority })),
    nodes: policyNodes(a),
    inFlight: inFlight(a),
    unavailableOfferings: a.state.unavailable.filter((u) => u.until > a.now),
    batcher: a.state.batcher,
  };
}

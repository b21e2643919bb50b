// reconcile.ts - every pass, before deciding: compare what the providers list with the launch records and the node
// table. Replays launches recorded but never answered (a crash between record and create), adopts instance ids of
// nodes that joined by name, settles instances that joined or are gone, marks nodes whose instance vanished offline
// (their jobs then fail through the normal liveness path) and removes them once nothing runs there.
// Invariants: an instance is declared gone only when its provider listed successfully and a lookup confirms it (never
// from one missing row of an eventually consistent list); nothing is launched here except a recorded launch's replay.
import type { NodeItem } from '../../control/store/nodes.ts';
import { type CloudProvider, type Instance, isInstanceNotFound } from '../provider.ts';
import type { LaunchRecord } from '../store.ts';
import { create, removeNode } from './act.ts';
import { type PassContext, record } from './context.ts';
import { matchInstances, stillFlying } from './observe.ts';
import type { ClusterView } from './types.ts';

/** What the providers listed this pass. */
export interface Listing {
  instances: Map<string, Instance>;
  /** Pools whose provider answered list() this pass: only their absences mean anything. */
  listedPools: Set<string>;
}

/** List every distinct provider once; a provider that fails is skipped for this pass (noted). */
export async function listInstances(ctx: PassContext): Promise<Listing> {
  const byProvider = new Map<CloudProvider, string[]>();
  for (const [pool, p] of ctx.deps.providers) byProvider.set(p, [...(byProvider.get(p) ?? []), pool]);
  const out: Listing = { instances: new Map(), listedPools: new Set() };
  await Promise.all(
    [...byProvider].map(async ([provider, pools]) => {
      try {
        for (const i of await provider.list()) out.instances.set(i.id, i);
        for (const p of pools) out.listedPools.add(p);
      } catch (err) {
        ctx.deps.log?.(`elastic: ${provider.name}: list failed: ${(err as Error).message}`);
      }
    }),
  );
  return out;
}

/** Is the instance gone (terminated, or unknown to its provider)? Confirmed with a lookup when it was not listed. */
async function isGone(provider: CloudProvider, id: string, listing: Listing): Promise<boolean> {
  const listed = listing.instances.get(id);
  if (listed) return listed.state === 'terminated' || listed.state === 'terminating';
  try {
    const i = await provider.get(id);
    return i.state === 'terminated' || i.state === 'terminating';
  } catch (err) {
    return isInstanceNotFound(err);
  }
}

/**
 * Reconcile; returns the node items and launch records as they are after it (removed nodes dropped, records
 * re-read when a replay or a settlement changed them).
 */
export async function reconcile(
  ctx: PassContext,
  items: NodeItem[],
  records: LaunchRecord[],
  listing: Listing,
  view: ClusterView,
): Promise<{ items: NodeItem[]; records: LaunchRecord[] }> {
  const { iid, store, nodes } = ctx.deps;
  let recordsChanged = false;

  // 1. Launches recorded but not answered: replay them (the provider is idempotent on the launch id).
  for (const rec of records.filter((r) => r.state === 'launching')) {
    record(ctx, { action: 'note', pool: rec.pool, launchId: rec.launchId, text: 'replaying a recorded launch that has no answer yet' });
    await create(ctx, rec);
    recordsChanged = true;
  }
  if (recordsChanged) records = await store.listLaunches(iid);

  // 2. Nodes that joined by name (local agents): remember their instance id on the node item.
  const matching = matchInstances(items, listing.instances);
  for (const item of items) {
    const inst = matching.byNode.get(item.name);
    if (item.instanceId === undefined && inst && (await nodes.update(iid, item.name, { instanceId: inst.id }))) item.instanceId = inst.id;
  }

  // 3. Instances of a launch that joined or are gone leave the in-flight count; a launch with none left is done.
  const listGrace = ctx.deps.listGrace ?? 30;
  for (const rec of records) {
    if (rec.state !== 'launched') continue;
    const provider = ctx.deps.providers.get(rec.pool);
    const settled = [...(rec.settled ?? [])];
    if (provider && listing.listedPools.has(rec.pool) && ctx.now - rec.since > listGrace) {
      for (const id of stillFlying(rec, matching.joined)) if (await isGone(provider, id, listing)) settled.push(id);
    }
    const left = stillFlying({ ...rec, settled }, matching.joined);
    if (left.length === 0) {
      await store.deleteLaunch(iid, rec.launchId);
      recordsChanged = true;
    } else if (settled.length !== (rec.settled ?? []).length) {
      await store.updateLaunch(iid, rec.launchId, { settled });
      record(ctx, { action: 'note', pool: rec.pool, launchId: rec.launchId, text: `${settled.length} instance(s) of this launch are gone without joining` });
      recordsChanged = true;
    }
  }
  if (recordsChanged) records = await store.listLaunches(iid);

  // 4. Nodes whose instance vanished: offline now (liveness fails their jobs), removed once nothing runs there.
  const kept: NodeItem[] = [];
  for (const item of items) {
    const provider = item.pool !== undefined ? ctx.deps.providers.get(item.pool) : undefined;
    if (!provider || item.instanceId === undefined || !listing.listedPools.has(item.pool!) || !(await isGone(provider, item.instanceId, listing))) {
      kept.push(item);
      continue;
    }
    if (item.online) {
      const changes = { online: false, conn: null, downSince: ctx.now };
      if (await nodes.update(iid, item.name, changes)) {
        const fresh = { ...item, online: false, conn: undefined, downSince: ctx.now };
        ctx.deps.nodeChanged?.(fresh);
        record(ctx, { action: 'down', pool: item.pool, node: item.name, instanceId: item.instanceId, text: 'its instance is gone: node marked down' });
        kept.push(fresh);
      }
    } else if ((view.usage.get(item.name)?.jobs ?? 0) === 0) {
      await removeNode(ctx, item);
      record(ctx, { action: 'removed', pool: item.pool, node: item.name, instanceId: item.instanceId, text: 'its instance is gone and nothing runs there: node removed' });
    } else {
      kept.push(item);
    }
  }
  return { items: kept, records };
}

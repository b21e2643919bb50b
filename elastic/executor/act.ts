// act.ts - carrying out the policy's decisions: launches (recorded before the provider is called), drains (on the
// node table, marked `by: 'elastic'`), terminations (only after re-reading the node and what runs on it).
// Invariants: a launch record exists before `create` is called, so a crash replays it rather than deciding anew; an
// insufficient-capacity error marks the offering unavailable for the TTL and launches nothing else for it; a node
// that holds a job, or is back up, is never terminated, whatever the decision said.
import { nodeGraphState } from '../../control/scheduler/node-state.ts';
import type { NodeItem } from '../../control/store/nodes.ts';
import type { DrainDecision, LaunchDecision, TerminateDecision, UnavailableOffering } from '../policy/types.ts';
import { InsufficientCapacityError, LimitExceededError, findError, isInstanceNotFound, type CloudProvider, type LaunchRequest } from '../provider.ts';
import type { LaunchRecord } from '../store.ts';
import { type PassContext, cloudPool, heldPool, holdPool, providerOf, record } from './context.ts';
import type { ClusterView, ElasticDrain } from './types.ts';

/** The record of a launch decision, made before the provider is called. */
export function recordOf(d: LaunchDecision, now: number): LaunchRecord {
  return { ...d, since: now, state: 'launching', attempts: 0 };
}

/** Record a new launch, then create it. A launch already recorded (a repeated decision) is not created again. */
export async function launch(ctx: PassContext, d: LaunchDecision): Promise<string[]> {
  const held = heldPool(ctx, d.pool);
  if (held) {
    // Once per hold, not once per pass.
    const since = ctx.state.held.find((h) => h.pool === d.pool)!.until - ctx.deps.config.insufficientCapacityTTL;
    if (!ctx.state.decisions.some((e) => e.pool === d.pool && e.action === 'refused' && e.launchId !== undefined && e.at >= since)) {
      record(ctx, { action: 'refused', pool: d.pool, launchId: d.launchId, text: `not launching ${d.count} × ${d.instanceType}: pool held (${held})` });
    }
    return [];
  }
  const rec = recordOf(d, ctx.now);
  if (!(await ctx.deps.store.putLaunch(ctx.deps.iid, rec))) return [];
  record(ctx, { action: 'launch', pool: d.pool, launchId: d.launchId, text: d.reason });
  return create(ctx, rec);
}

/**
 * Call the provider for a recorded launch (a new one, or a `launching` one replayed after a crash: the provider's
 * idempotency on launchId returns the instances of an earlier call). Returns the instance ids.
 */
export async function create(ctx: PassContext, rec: LaunchRecord): Promise<string[]> {
  const { iid, store } = ctx.deps;
  const pool = cloudPool(ctx.deps.config, rec.pool);
  const provider = providerOf(ctx, rec.pool);
  if (!pool || !provider) {
    await store.deleteLaunch(iid, rec.launchId);
    record(ctx, { action: 'failed', pool: rec.pool, launchId: rec.launchId, text: `no such cloud pool or no provider for it: launch dropped` });
    return [];
  }
  const req: LaunchRequest = { launchId: rec.launchId, pool, instanceType: rec.instanceType, count: rec.count, capacityType: rec.capacityType, reason: rec.reason };
  if (rec.subnet) req.subnet = rec.subnet;
  if (rec.zone) req.zone = rec.zone;
  if (rec.placementGroup) req.placementGroup = rec.placementGroup;
  let instances;
  try {
    instances = await provider.create(req);
  } catch (err) {
    await failed(ctx, rec, err);
    return [];
  }
  // A failure from here on fails the pass like a crash would: the record stays `launching` and is replayed.
  const ids = instances.map((i) => i.id);
  if (ids.length === 0) {
    await store.deleteLaunch(iid, rec.launchId);
    return [];
  }
  await store.updateLaunch(iid, rec.launchId, { state: 'launched', instanceIds: ids, capacityType: instances[0]!.capacityType });
  if (ids.length < rec.count) record(ctx, { action: 'note', pool: rec.pool, launchId: rec.launchId, text: `partial capacity: ${ids.length} of ${rec.count} launched` });
  return ids;
}

async function failed(ctx: PassContext, rec: LaunchRecord, err: unknown): Promise<void> {
  const { iid, store, config } = ctx.deps;
  const ice = findError(err, InsufficientCapacityError);
  if (ice) {
    const u: UnavailableOffering = { instanceType: ice.offering.instanceType, capacityType: ice.offering.capacityType, until: ctx.now + config.insufficientCapacityTTL };
    if (ice.offering.zone) u.zone = ice.offering.zone;
    if (ice.offering.subnet) u.subnet = ice.offering.subnet;
    ctx.state.unavailable.push(u);
    ctx.again = true;
    await store.deleteLaunch(iid, rec.launchId);
    record(ctx, { action: 'failed', pool: rec.pool, launchId: rec.launchId, text: `${ice.message}; skipping it for ${config.insufficientCapacityTTL}s` });
    return;
  }
  const limit = findError(err, LimitExceededError);
  const attempts = rec.attempts + 1;
  const message = (err as Error)?.message ?? String(err);
  if (limit || attempts >= (ctx.deps.maxAttempts ?? 3)) {
    await store.deleteLaunch(iid, rec.launchId);
    holdPool(ctx, rec.pool, limit ? limit.message : `launch failed ${attempts} times: ${message}`);
    record(ctx, { action: 'failed', pool: rec.pool, launchId: rec.launchId, text: `${message}; holding the pool's launches for ${config.insufficientCapacityTTL}s` });
    return;
  }
  // Possibly transient (network, throttling): the record stays `launching` and the next pass replays it.
  await store.updateLaunch(iid, rec.launchId, { attempts, lastError: message });
  record(ctx, { action: 'failed', pool: rec.pool, launchId: rec.launchId, text: `${message} (attempt ${attempts}; retrying next pass)` });
}

/** Drain a node for scale-in: `drained: {reason, at, by: 'elastic'}`, then tell the scheduler. */
export async function drain(ctx: PassContext, d: DrainDecision): Promise<boolean> {
  const { iid, nodes } = ctx.deps;
  const item = await nodes.get(iid, d.node);
  if (!item || item.drained || !item.online) return false;
  const mark: ElasticDrain = { reason: `elastic: ${d.reason}`, at: ctx.now, by: 'elastic' };
  if (!(await nodes.update(iid, d.node, { drained: mark }))) return false;
  const fresh = await nodes.get(iid, d.node);
  if (fresh) ctx.deps.nodeChanged?.(fresh);
  record(ctx, { action: 'drain', pool: item.pool, node: d.node, text: d.reason });
  return true;
}

/** Why a node may not be terminated now (re-read at act time), or undefined. */
function refusal(item: NodeItem | undefined, t: TerminateDecision, view: ClusterView): string | undefined {
  if (!item) return undefined;
  const jobs = view.usage.get(item.name)?.jobs ?? 0;
  if (jobs > 0) return `${jobs} job(s) running on it`;
  if (item.instanceId !== undefined && item.instanceId !== t.instanceId) return `its instance is ${item.instanceId}, not ${t.instanceId}`;
  const state = nodeGraphState(item);
  if (state === 'up') return 'it is up (undrained)';
  if (state === 'drained' && (item.drained as ElasticDrain).by !== 'elastic' && item.online) return 'an admin drained it';
  return undefined;
}

/**
 * Terminate an instance the policy says is empty: re-read its node and what runs there first (`view` is taken right
 * before the terminations), never terminate a node holding a job; once the instance is deleted, remove the node.
 */
export async function terminate(ctx: PassContext, t: TerminateDecision, view: ClusterView, poolOf: (instanceId: string) => string | undefined): Promise<boolean> {
  const { iid, nodes } = ctx.deps;
  const item = t.node !== undefined ? await nodes.get(iid, t.node) : undefined;
  const why = refusal(item, t, view);
  if (why) {
    record(ctx, { action: 'refused', pool: item?.pool, node: t.node, instanceId: t.instanceId, text: `not terminating: ${why}` });
    return false;
  }
  const pool = item?.pool ?? poolOf(t.instanceId);
  const provider: CloudProvider | undefined = pool !== undefined ? providerOf(ctx, pool) : undefined;
  if (!provider) {
    record(ctx, { action: 'refused', pool, node: t.node, instanceId: t.instanceId, text: 'not terminating: no provider for its pool' });
    return false;
  }
  try {
    await provider.delete(t.instanceId);
  } catch (err) {
    if (!isInstanceNotFound(err)) {
      record(ctx, { action: 'failed', pool, node: t.node, instanceId: t.instanceId, text: `terminate failed: ${(err as Error).message}` });
      return false;
    }
  }
  record(ctx, { action: 'terminate', pool, node: t.node, instanceId: t.instanceId, text: t.reason });
  if (item) await removeNode(ctx, item);
  return true;
}

/** Take a node whose instance is gone out of the table and the scheduler's graph. */
export async function removeNode(ctx: PassContext, item: NodeItem): Promise<void> {
  await ctx.deps.nodes.remove(ctx.deps.iid, item.name);
  ctx.deps.forgetNode?.(item);
  delete ctx.state.idle[item.name];
}

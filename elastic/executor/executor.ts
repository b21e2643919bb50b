// executor.ts - one pass of the elastic loop (Karpenter's provisioner + disruption controllers, made into one
// decide-then-act pass): read the state, reconcile it with the providers, build the policy input, `decide`, then act:
// terminations (re-checked at act time), drains, launches (recorded first); unused placement groups are deleted after
// reconciling. Invariants: the policy sees everything in flight, so a repeat pass launches nothing new; the loop state
// is written once, at the end; passes must not overlap (the host serializes them; on Lambda the tick has a reserved
// concurrency of 1), and if they did, the conditional launch record still makes each decision launch once.
import { type Catalog, catalogFor } from '../catalog.ts';
import { decide } from '../policy/index.ts';
import type { Decisions, PolicyInput } from '../policy/types.ts';
import type { ElasticState, LaunchRecord } from '../store.ts';
import { drain, launch, terminate } from './act.ts';
import type { ExecutorDeps, PassContext } from './context.ts';
import { matchInstances, policyInput, updateIdle } from './observe.ts';
import { cleanPlacementGroups } from './placement.ts';
import { listInstances, reconcile } from './reconcile.ts';

export type { ExecutorDeps } from './context.ts';

/** What a pass did, for the host, tests and the bench. */
export interface PassReport {
  /** Seconds since the epoch when the pass started, and when `decide` returned. */
  at: number;
  decidedAt: number;
  /** Wall time of the whole pass. */
  ms: number;
  input: PolicyInput;
  decisions: Decisions;
  launched: Array<{ launchId: string; pool: string; instanceType: string; instanceIds: string[] }>;
  drained: string[];
  /** Instance ids terminated. */
  terminated: string[];
  /** An offering failed: run again soon, so the next decision falls back. */
  again: boolean;
  /** When the policy wants to run again, if it said. */
  wakeAt?: number;
}

/**
 * The executor of one instance's elastic loop.
 * @example const ex = new ElasticExecutor({ iid, config, store, nodes, source, providers, clock }); const r = await ex.pass(); r.launched
 */
export class ElasticExecutor {
  private readonly catalog: Catalog;
  /** The loop state and launch records as this executor last wrote them (sole writer only). */
  private cache: { state: ElasticState; records: LaunchRecord[] } | undefined;

  constructor(private readonly deps: ExecutorDeps) {
    this.catalog = catalogFor(deps.config);
  }

  /** Run one pass. */
  async pass(): Promise<PassReport> {
    const t0 = performance.now();
    const { iid, store, nodes, source, config } = this.deps;
    const now = this.deps.clock();
    const cached = this.cache;
    this.cache = undefined;
    const [state, records0, items0, view] = await Promise.all([
      cached ? structuredClone(cached.state) : store.getState(iid),
      cached ? structuredClone(cached.records) : store.listLaunches(iid),
      nodes.list(iid),
      source.view(),
    ]);
    state.unavailable = state.unavailable.filter((u) => u.until > now);
    state.held = state.held.filter((h) => h.until > now);
    const ctx: PassContext = { deps: this.deps, now, state, again: false };

    const listing = await listInstances(ctx);
    const { items, records } = await reconcile(ctx, items0, records0, listing, view);
    await cleanPlacementGroups(ctx, records, listing);
    const matching = matchInstances(items, listing.instances);
    state.idle = updateIdle(state.idle, items, view, now, state.lastPass?.at);
    const input = policyInput({
      now, config, catalog: this.catalog, items, view, instances: listing.instances, matching, records, state, idle: state.idle,
      downGrace: this.deps.downGrace ?? 30,
    });
    const decisions = decide(input);
    const decidedAt = this.deps.clock();
    state.batcher = decisions.batcher;

    const report: PassReport = { at: now, decidedAt, ms: 0, input, decisions, launched: [], drained: [], terminated: [], again: false };
    if (decisions.wakeAt !== undefined) report.wakeAt = decisions.wakeAt;
    if (decisions.terminate.length) {
      // Act-time check: what runs where, read again now, not what the policy was told.
      const fresh = await source.view();
      const poolOf = (id: string) => listing.instances.get(id)?.pool ?? records.find((r) => r.instanceIds?.includes(id))?.pool ?? input.inFlight.find((f) => f.instanceIds?.includes(id))?.pool;
      for (const t of decisions.terminate) if (await terminate(ctx, t, fresh, poolOf)) report.terminated.push(t.instanceId);
    }
    for (const d of decisions.drain) if (await drain(ctx, d)) report.drained.push(d.node);
    for (const l of decisions.launch) {
      const ids = await launch(ctx, l);
      if (ids.length) report.launched.push({ launchId: l.launchId, pool: l.pool, instanceType: l.instanceType, instanceIds: ids });
    }

    report.ms = Math.round(performance.now() - t0);
    report.again = ctx.again;
    state.lastPass = { at: now, ms: report.ms, notes: [...(this.deps.notes ?? []), ...decisions.notes].slice(0, 20) };
    const [written, records1] = await Promise.all([store.putState(iid, state), this.deps.soleWriter ? store.listLaunches(iid) : undefined]);
    if (!written) this.deps.log?.('elastic: the loop state changed under this pass (another pass ran?); its update was dropped');
    else if (records1) this.cache = { state: structuredClone(state), records: records1 };
    return report;
  }
}

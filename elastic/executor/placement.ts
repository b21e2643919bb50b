// placement.ts - every pass, after reconciling: delete the cluster placement groups of EFA launches once their
// instances are gone (each multi-node EFA launch gets its own group, `flurry-<launchId>`; without this they pile up
// against the account's placement group limit). Invariants: a group is deleted only when its provider listed
// successfully this pass, no launch record names it (records live until every instance has joined or is gone), and no
// listed instance (pending, running or shutting down) is in it; a group still in use stays for a later pass.
import type { CloudProvider } from '../provider.ts';
import type { LaunchRecord } from '../store.ts';
import { type PassContext, cloudPool, record } from './context.ts';
import type { Listing } from './reconcile.ts';

/** Delete unused placement groups; returns the names deleted. */
export async function cleanPlacementGroups(ctx: PassContext, records: readonly LaunchRecord[], listing: Listing): Promise<string[]> {
  // Providers with an EFA pool (the only ones that make groups), if every one of their pools listed this pass.
  const pools = new Map<CloudProvider, string[]>();
  for (const [name, p] of ctx.deps.providers) pools.set(p, [...(pools.get(p) ?? []), name]);
  const providers = [...pools].filter(([p, names]) => p.listPlacementGroups && p.deletePlacementGroup && names.some((n) => cloudPool(ctx.deps.config, n)?.efa) && names.every((n) => listing.listedPools.has(n)));
  if (providers.length === 0) return [];
  const inUse = new Set<string>();
  for (const r of records) if (r.placementGroup) inUse.add(r.placementGroup);
  for (const i of listing.instances.values()) if (i.placementGroup && i.state !== 'terminated') inUse.add(i.placementGroup);
  const deleted: string[] = [];
  for (const [provider] of providers) {
    let groups: string[];
    try {
      groups = await provider.listPlacementGroups!();
    } catch (err) {
      ctx.deps.log?.(`elastic: ${provider.name}: listing placement groups failed: ${(err as Error).message}`);
      continue;
    }
    for (const name of groups) {
      if (inUse.has(name)) continue;
      try {
        await provider.deletePlacementGroup!(name);
        deleted.push(name);
        record(ctx, { action: 'note', text: `placement group ${name} deleted: its instances are gone` });
      } catch (err) {
        ctx.deps.log?.(`elastic: placement group ${name} not deleted yet: ${(err as Error).message}`);
      }
    }
  }
  return deleted;
}

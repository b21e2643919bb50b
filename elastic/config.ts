// config.ts - the elastic pools file (YAML or JSON): the normalized ElasticConfig the policy reads, cross-field checks
// (schema in config-schema.ts), and loading. Invariants: durations are seconds (written as RFC 23 FSD, e.g. `90s`,
// `5m`); every error names the field path (`pools[1].max: must be ≥ min (2)`); a loaded config is never half-valid.
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { InvalidInputError } from '../control/core/errors.ts';
import { invalidFrom, jobspecErrorMap } from '../control/core/jobspec/issues.ts';
import { BUILTIN_CATALOG, buildCatalog, type Catalog, type InstanceTypeInfo } from './catalog.ts';
import { cloudPoolSchema, fileSchema } from './config-schema.ts';
import { type CloudPoolConfig, type ElasticConfig, type LaunchTemplateRef, type PoolConfig, isCloudPool } from './config-types.ts';

export * from './config-types.ts';

type File = z.output<typeof fileSchema>;
type Issue = { path: PropertyKey[]; message: string };

/** Merge the file's catalog entries over the built-in ones; entries naming a new type must be complete. */
function mergeCatalog(entries: File['catalog'], issues: Issue[]): InstanceTypeInfo[] {
  const out: InstanceTypeInfo[] = [];
  entries.forEach((e, i) => {
    const base = BUILTIN_CATALOG.get(e.name);
    const missing = (['cores', 'memoryMB', 'onDemandPrice'] as const).filter((k) => e[k] === undefined && !base);
    for (const k of missing) issues.push({ path: ['catalog', i, k], message: `is required for a type not in the built-in catalog (${e.name})` });
    if (missing.length) return;
    const merged: InstanceTypeInfo = {
      name: e.name,
      cores: e.cores ?? base!.cores,
      gpus: e.gpus ?? base?.gpus ?? 0,
      memoryMB: e.memoryMB ?? base!.memoryMB,
      efa: e.efa ?? base?.efa ?? false,
      onDemandPrice: e.onDemandPrice ?? base!.onDemandPrice,
      arch: e.arch ?? base?.arch ?? 'x86_64',
    };
    const spot = e.spotPrice ?? base?.spotPrice;
    if (spot !== undefined) merged.spotPrice = spot;
    out.push(merged);
  });
  return out;
}

/** Normalize one cloud pool, checking what one field cannot check alone. */
function cloudPool(p: z.output<typeof cloudPoolSchema>, i: number, catalog: Catalog, issues: Issue[]): CloudPoolConfig {
  const at = (...rest: PropertyKey[]) => ['pools', i, ...rest];
  if (p.max < p.min) issues.push({ path: at('max'), message: `must be ≥ min (${p.min})` });
  if (p.subnets && p.provider !== 'ec2') issues.push({ path: at('subnets'), message: 'only ec2 pools take subnets' });
  if (p.joinUrl && p.provider !== 'ec2') issues.push({ path: at('joinUrl'), message: 'only ec2 pools take joinUrl' });
  if (p.ec2 && p.provider !== 'ec2') issues.push({ path: at('ec2'), message: 'only ec2 pools take ec2 settings' });
  if (p.sim && p.provider !== 'sim') issues.push({ path: at('sim'), message: 'only sim pools take sim settings' });
  if (p.local && p.provider !== 'local') issues.push({ path: at('local'), message: 'only local pools take local settings' });
  let types = p.instanceTypes ?? [];
  if (p.provider === 'local') {
    if (!p.local) issues.push({ path: at('local'), message: 'is required for a local pool (cores, memoryMB)' });
    if (p.instanceTypes) issues.push({ path: at('instanceTypes'), message: 'local pools take their inventory from local:, not instanceTypes' });
    types = [`local.${p.name}`];
  } else if (!p.instanceTypes) {
    issues.push({ path: at('instanceTypes'), message: 'is required' });
  } else {
    p.instanceTypes.forEach((name, j) => {
      const info = catalog.get(name);
      if (!info) {
        issues.push({ path: at('instanceTypes', j), message: `unknown instance type "${name}" (add it under catalog:)` });
        return;
      }
      if (p.efa && !info.efa) issues.push({ path: at('instanceTypes', j), message: `${name} does not support EFA (the pool has efa: true)` });
      if (p.capacityType === 'spot' && info.spotPrice === undefined) {
        issues.push({ path: at('instanceTypes', j), message: `${name} has no spot offering (capacityType: spot)` });
      }
    });
  }
  const out: CloudPoolConfig = {
    name: p.name,
    provider: p.provider,
    instanceTypes: types,
    min: p.min,
    max: p.max,
    capacityType: p.capacityType,
    efa: p.efa,
    subnets: (p.subnets ?? []).map((s) => (typeof s === 'string' ? { id: s } : s)),
    idleTimeout: p.idleTimeout,
    maxWaitBeforeBurst: p.maxWaitBeforeBurst,
    joinTimeout: p.joinTimeout,
    properties: p.properties,
  };
  if (p.joinUrl) out.joinUrl = p.joinUrl;
  if (p.local) out.local = p.local;
  if (p.sim) out.sim = p.sim;
  if (p.ec2) {
    const { launchTemplate, ...rest } = p.ec2;
    out.ec2 = rest;
    const lt = launchTemplate === undefined ? undefined : launchTemplateRef(launchTemplate, at('ec2', 'launchTemplate'), issues);
    if (lt) out.ec2.launchTemplate = lt;
  }
  return out;
}

/** `lt-0abc…` (an id) or a name, or `{id | name, version}`: exactly one of id and name. */
function launchTemplateRef(v: string | { id?: string; name?: string; version?: string | number }, path: PropertyKey[], issues: Issue[]): LaunchTemplateRef | undefined {
  if (typeof v === 'string') return /^lt-[0-9a-f]{8,17}$/.test(v) ? { id: v } : { name: v };
  if ((v.id === undefined) === (v.name === undefined)) {
    issues.push({ path, message: 'give exactly one of id and name' });
    return undefined;
  }
  const ref: LaunchTemplateRef = v.id !== undefined ? { id: v.id } : { name: v.name! };
  if (v.version !== undefined) ref.version = String(v.version);
  return ref;
}

/** The synthetic instance type a local pool's agents stand for (free, no EFA). */
function localType(p: CloudPoolConfig): InstanceTypeInfo | undefined {
  if (!p.local) return undefined;
  const { cores, gpus, memoryMB } = p.local;
  return { name: `local.${p.name}`, cores, gpus, memoryMB, efa: false, onDemandPrice: 0, spotPrice: 0, arch: 'x86_64' };
}

/**
 * Validate and normalize a parsed pools file (an object).
 * @example parseElasticConfig({ pools: [{ name: 'burst', provider: 'sim', instanceTypes: ['c6i.2xlarge'], max: 4 }] })
 */
export function parseElasticConfig(obj: unknown): ElasticConfig {
  const r = fileSchema.safeParse(obj, { error: jobspecErrorMap });
  if (!r.success) throw invalidFrom(r.error.issues);
  const file = r.data;
  const issues: Issue[] = [];
  if (file.batch.idle > file.batch.max) issues.push({ path: ['batch', 'idle'], message: `must be ≤ batch.max (${file.batch.max}s)` });
  const entries = mergeCatalog(file.catalog, issues);
  const catalog = buildCatalog(BUILTIN_CATALOG.values(), entries);
  const seen = new Map<string, number>();
  const pools: PoolConfig[] = file.pools.map((p, i) => {
    const first = seen.get(p.name);
    if (first !== undefined) issues.push({ path: ['pools', i, 'name'], message: `duplicate pool name "${p.name}" (also pools[${first}])` });
    else seen.set(p.name, i);
    return p.provider === 'static' ? { name: p.name, provider: 'static', properties: p.properties } : cloudPool(p, i, catalog, issues);
  });
  for (const p of pools) {
    const lt = isCloudPool(p) ? localType(p) : undefined;
    if (lt) entries.push(lt);
  }
  if (issues.length) {
    throw invalidFrom(issues.map((iss) => ({ code: 'custom', input: undefined, ...iss }) as z.core.$ZodIssue));
  }
  const config: ElasticConfig = { batch: file.batch, insufficientCapacityTTL: file.insufficientCapacityTTL, catalog: entries, pools };
  if (file.maxSpendPerHour !== undefined) config.maxSpendPerHour = file.maxSpendPerHour;
  return config;
}

/**
 * Parse a pools file (YAML, or JSON, which is YAML) into an ElasticConfig.
 * @example loadElasticConfig('pools:\n  - {name: onprem, provider: static}\n') // { batch: {idle: 1, max: 10}, ... }
 */
export function loadElasticConfig(text: string): ElasticConfig {
  let obj: unknown;
  try {
    obj = parseYaml(text);
  } catch (err) {
    throw new InvalidInputError(`not valid YAML or JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseElasticConfig(obj ?? {});
}

export { catalogFor } from './catalog.ts';

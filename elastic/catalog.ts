// catalog.ts - the instance types the elastic policy may choose from, and the node a type turns into once it joins.
// Invariants: prices are USD per hour, approximate public list prices (us-east-1 unless noted), for choosing between
// types, never for billing; `cores` are physical cores (what Flurry schedules); a catalog is immutable once built.
import type { NodeInventory } from '../control/core/resource/types.ts';

export type Architecture = 'x86_64' | 'arm64';
export type CapacityType = 'on-demand' | 'spot';

/** One instance type: what a node of this type offers and what it costs. */
export interface InstanceTypeInfo {
  name: string;
  /** Physical cores (vCPUs / threads per core): these are the schedulable cores. */
  cores: number;
  gpus: number;
  /** Nominal memory in MiB (what EC2 advertises); see `usableMemoryMB` for what jobs may ask. */
  memoryMB: number;
  /** Supports an Elastic Fabric Adapter. */
  efa: boolean;
  /** On-demand USD per hour (approximate). */
  onDemandPrice: number;
  /** Typical spot USD per hour (approximate); absent when the type has no spot offering (hpc6a, hpc7g, hpc7a). */
  spotPrice?: number;
  arch: Architecture;
}

/** Instance types by name. Build with `buildCatalog`. */
export type Catalog = ReadonlyMap<string, InstanceTypeInfo>;

/**
 * Share of nominal memory the OS and hypervisor keep (Karpenter's default VM memory overhead, 7.5%): a node of a type
 * reports about this much less than advertised, so plans use `usableMemoryMB` and never promise the nominal figure.
 */
export const MEMORY_OVERHEAD = 0.075;

/** Memory a job may count on, in MiB, on a node of this type. */
export function usableMemoryMB(t: Pick<InstanceTypeInfo, 'memoryMB'>): number {
  return Math.floor(t.memoryMB * (1 - MEMORY_OVERHEAD));
}

const GiB = 1024;

function t(
  name: string,
  cores: number,
  memGiB: number,
  onDemandPrice: number,
  spotPrice: number | undefined,
  extra: { gpus?: number; efa?: boolean; arch?: Architecture } = {},
): InstanceTypeInfo {
  const info: InstanceTypeInfo = {
    name,
    cores,
    gpus: extra.gpus ?? 0,
    memoryMB: memGiB * GiB,
    efa: extra.efa ?? false,
    onDemandPrice,
    arch: extra.arch ?? 'x86_64',
  };
  if (spotPrice !== undefined) info.spotPrice = spotPrice;
  return info;
}

const arm = { arch: 'arm64' as const };

/**
 * Built-in catalog: common HPC, compute, general-purpose and GPU types. Prices are approximate public Linux
 * on-demand list prices in us-east-1 (hpc6a and hpc7a are sold in us-east-2, priced there); spot prices are a typical
 * recent level (roughly 35–45% of on-demand) and move daily. Override any entry from the pools file (`catalog:`) or
 * with what a provider's `getInstanceTypes` reports.
 */
export const BUILTIN_INSTANCE_TYPES: readonly InstanceTypeInfo[] = [
  // HPC: SMT off, EFA, no spot market.
  t('hpc6a.48xlarge', 96, 384, 2.88, undefined, { efa: true }),
  t('hpc7a.96xlarge', 192, 768, 7.2, undefined, { efa: true }),
  t('hpc7g.4xlarge', 16, 128, 1.6832, undefined, { efa: true, ...arm }),
  t('hpc7g.8xlarge', 32, 128, 1.6832, undefined, { efa: true, ...arm }),
  t('hpc7g.16xlarge', 64, 128, 1.6832, undefined, { efa: true, ...arm }),
  // Compute optimised, Intel Ice Lake (2 vCPUs per core).
  t('c6i.large', 1, 4, 0.085, 0.035),
  t('c6i.xlarge', 2, 8, 0.17, 0.07),
  t('c6i.2xlarge', 4, 16, 0.34, 0.14),
  t('c6i.4xlarge', 8, 32, 0.68, 0.28),
  t('c6i.8xlarge', 16, 64, 1.36, 0.55),
  t('c6i.16xlarge', 32, 128, 2.72, 1.1),
  t('c6i.32xlarge', 64, 256, 5.44, 2.2, { efa: true }),
  // Compute optimised, Intel Sapphire Rapids.
  t('c7i.large', 1, 4, 0.08925, 0.036),
  t('c7i.xlarge', 2, 8, 0.1785, 0.072),
  t('c7i.2xlarge', 4, 16, 0.357, 0.145),
  t('c7i.4xlarge', 8, 32, 0.714, 0.29),
  t('c7i.8xlarge', 16, 64, 1.428, 0.58),
  t('c7i.16xlarge', 32, 128, 2.856, 1.16),
  t('c7i.48xlarge', 96, 384, 8.568, 3.5, { efa: true }),
  // Compute optimised, Graviton3 (1 vCPU = 1 core).
  t('c7g.xlarge', 4, 8, 0.145, 0.06, arm),
  t('c7g.2xlarge', 8, 16, 0.29, 0.12, arm),
  t('c7g.4xlarge', 16, 32, 0.58, 0.24, arm),
  t('c7g.16xlarge', 64, 128, 2.32, 0.95, { efa: true, ...arm }),
  // General purpose, Intel Ice Lake.
  t('m6i.large', 1, 8, 0.096, 0.04),
  t('m6i.xlarge', 2, 16, 0.192, 0.08),
  t('m6i.2xlarge', 4, 32, 0.384, 0.16),
  t('m6i.4xlarge', 8, 64, 0.768, 0.32),
  t('m6i.8xlarge', 16, 128, 1.536, 0.64),
  t('m6i.16xlarge', 32, 256, 3.072, 1.28),
  t('m6i.32xlarge', 64, 512, 6.144, 2.55, { efa: true }),
  // GPUs: NVIDIA A10G (g5), A100 40 GB (p4d).
  t('g5.xlarge', 2, 16, 1.006, 0.4, { gpus: 1 }),
  t('g5.2xlarge', 4, 32, 1.212, 0.48, { gpus: 1 }),
  t('g5.12xlarge', 24, 192, 5.672, 2.3, { gpus: 4 }),
  t('g5.48xlarge', 96, 768, 16.288, 6.5, { gpus: 8, efa: true }),
  t('p4d.24xlarge', 48, 1152, 32.773, 13.0, { gpus: 8, efa: true }),
];

/**
 * Merge layers of instance types into a catalog; a later layer replaces an earlier entry of the same name whole.
 * @example buildCatalog(BUILTIN_INSTANCE_TYPES, config.catalog).get('c6i.2xlarge')?.cores // 4
 */
export function buildCatalog(...layers: Array<Iterable<InstanceTypeInfo>>): Catalog {
  const out = new Map<string, InstanceTypeInfo>();
  for (const layer of layers) for (const info of layer) out.set(info.name, Object.freeze({ ...info }));
  return out;
}

/** The built-in catalog alone. */
export const BUILTIN_CATALOG: Catalog = buildCatalog(BUILTIN_INSTANCE_TYPES);

/** Price per hour of one instance of `t` bought as `capacityType`; undefined when that offering does not exist. */
export function priceOf(t: InstanceTypeInfo, capacityType: CapacityType): number | undefined {
  return capacityType === 'spot' ? t.spotPrice : t.onDemandPrice;
}

/**
 * The properties a node of this type carries for RFC 31 constraints: its type name, its architecture, `efa` when
 * the pool attaches EFA interfaces, `spot` for spot capacity, then the pool's own properties.
 * @example nodeProperties(c6i2xl, { efa: false, capacityType: 'spot', properties: ['burst'] }) // ['c6i.2xlarge','x86_64','spot','burst']
 */
export function nodeProperties(
  t: InstanceTypeInfo,
  opts: { efa: boolean; capacityType: CapacityType; properties: readonly string[] },
): string[] {
  const props = [t.name, t.arch];
  if (opts.efa && t.efa) props.push('efa');
  if (opts.capacityType === 'spot') props.push('spot');
  for (const p of opts.properties) if (!props.includes(p)) props.push(p);
  return props;
}

/**
 * The inventory a node of type `t` is expected to report when it joins: physical cores, GPUs, usable memory and
 * `nodeProperties`. The policy plans with it and the simulator joins nodes with it, so both agree.
 */
export function instanceInventory(
  t: InstanceTypeInfo,
  hostname: string,
  opts: { efa: boolean; capacityType: CapacityType; properties: readonly string[]; zone?: string; group?: string },
): NodeInventory {
  const inv: NodeInventory = {
    hostname,
    cores: t.cores,
    gpus: t.gpus,
    memoryMB: usableMemoryMB(t),
    properties: nodeProperties(t, opts),
  };
  if (opts.zone !== undefined) inv.zone = opts.zone;
  if (opts.group !== undefined) inv.group = opts.group;
  return inv;
}

/**
 * The catalog the policy uses with a config: built-in types, then the file's entries (and local pools' synthetic
 * types), then whatever a provider reported (`getInstanceTypes`), each layer overriding the one before.
 * @example catalogFor(config).get('hpc6a.48xlarge')?.cores // 96
 */
export function catalogFor(config: { catalog: readonly InstanceTypeInfo[] }, ...providerTypes: Array<Iterable<InstanceTypeInfo>>): Catalog {
  return buildCatalog(BUILTIN_CATALOG.values(), config.catalog, ...providerTypes);
}

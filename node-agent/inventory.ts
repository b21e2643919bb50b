// inventory.ts - what this node offers (agent protocol 3.1 `node`): hostname, cores, sockets, GPUs, memory, labels.
// Invariants: detection never throws (a missing /proc or nvidia-smi means "unknown", not failure); every field given
// in `overrides` wins over detection; the result passes `inventorySchema` (bad overrides throw).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { z } from 'zod';
import { inventorySchema } from '../control/agents/protocol.ts';

export type Inventory = z.infer<typeof inventorySchema>;

/** How detection reaches the machine; tests replace these. */
export interface InventoryProbes {
  hostname(): string;
  cores(): number;
  memoryBytes(): number;
  /** The text of /proc/cpuinfo, or null where there is none. */
  cpuinfo(): Promise<string | null>;
  /** The output of `nvidia-smi -L`, or null when it is absent or fails. */
  nvidiaSmi(): Promise<string | null>;
}

export const realProbes: InventoryProbes = {
  hostname: () => os.hostname(),
  cores: () => (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length),
  memoryBytes: () => os.totalmem(),
  cpuinfo: () => readFile('/proc/cpuinfo', 'utf8').catch(() => null),
  nvidiaSmi: () =>
    new Promise((resolve) => {
      execFile('nvidia-smi', ['-L'], { timeout: 10_000 }, (err, stdout) => resolve(err ? null : stdout));
    }),
};

/** Counts the GPUs listed by `nvidia-smi -L` ("GPU 0: NVIDIA A100 (UUID: ...)"), MIG devices excluded. */
export function countNvidiaGpus(listing: string | null): number {
  if (!listing) return 0;
  return listing.split('\n').filter((line) => /^GPU \d+:/.test(line.trim())).length;
}

/** Counts distinct `physical id` lines in /proc/cpuinfo; undefined when there are none (VMs, non-Linux). */
export function countSockets(cpuinfo: string | null): number | undefined {
  if (!cpuinfo) return undefined;
  const ids = new Set<string>();
  for (const m of cpuinfo.matchAll(/^physical id\s*:\s*(\d+)/gm)) ids.add(m[1]!);
  return ids.size > 0 ? ids.size : undefined;
}

/**
 * Detects the inventory, then applies `overrides`; GPU and socket probes are skipped when overridden.
 * @example await detectInventory({ cores: 4, properties: ['onprem'] })
 */
export async function detectInventory(overrides: Partial<Inventory> = {}, probes: InventoryProbes = realProbes): Promise<Inventory> {
  const [gpus, sockets] = await Promise.all([
    overrides.gpus !== undefined ? overrides.gpus : probes.nvidiaSmi().then(countNvidiaGpus),
    overrides.sockets !== undefined ? overrides.sockets : probes.cpuinfo().then(countSockets),
  ]);
  const inventory: Inventory = {
    hostname: overrides.hostname ?? probes.hostname(),
    cores: overrides.cores ?? Math.max(1, probes.cores()),
    gpus,
    memoryMB: overrides.memoryMB ?? Math.floor(probes.memoryBytes() / (1024 * 1024)),
    properties: overrides.properties ?? [],
  };
  if (sockets !== undefined) inventory.sockets = sockets;
  if (overrides.zone !== undefined) inventory.zone = overrides.zone;
  if (overrides.group !== undefined) inventory.group = overrides.group;
  return inventorySchema.parse(inventory);
}

// inventory.test.ts - what a node reports in hello (agent protocol 3.1 `node`).
import { describe, expect, it } from 'vitest';
import { countNvidiaGpus, countSockets, detectInventory, type InventoryProbes } from './inventory.ts';

const probes = (over: Partial<InventoryProbes> = {}): InventoryProbes => ({
  hostname: () => 'box',
  cores: () => 8,
  memoryBytes: () => 16 * 1024 ** 3 + 5,
  cpuinfo: async () => 'processor\t: 0\nphysical id\t: 0\nprocessor\t: 1\nphysical id\t: 1\n',
  nvidiaSmi: async () => 'GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-1)\n  MIG 1g.5gb Device 0: (UUID: MIG-1)\nGPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-2)\n',
  ...over,
});

describe('3.1 inventory', () => {
  it('detects hostname, cores, sockets, GPUs and memory', async () => {
    expect(await detectInventory({}, probes())).toEqual({ hostname: 'box', cores: 8, sockets: 2, gpus: 2, memoryMB: 16 * 1024, properties: [] });
  });

  it('lets every field be overridden, and skips the probes it does not need', async () => {
    const inv = await detectInventory(
      { hostname: 'n1', cores: 2, sockets: 1, gpus: 0, memoryMB: 100, properties: ['efa'], zone: 'z', group: 'g' },
      probes({ nvidiaSmi: () => Promise.reject(new Error('must not run')), cpuinfo: () => Promise.reject(new Error('must not run')) }),
    );
    expect(inv).toEqual({ hostname: 'n1', cores: 2, sockets: 1, gpus: 0, memoryMB: 100, properties: ['efa'], zone: 'z', group: 'g' });
  });

  it('treats a missing nvidia-smi or /proc/cpuinfo as none', async () => {
    const inv = await detectInventory({}, probes({ nvidiaSmi: async () => null, cpuinfo: async () => null }));
    expect(inv.gpus).toBe(0);
    expect(inv.sockets).toBeUndefined();
    expect(countNvidiaGpus('')).toBe(0);
    expect(countSockets('processor: 0\n')).toBeUndefined();
  });

  it('refuses an override outside the schema', async () => {
    await expect(detectInventory({ cores: 0 }, probes())).rejects.toThrow();
  });

  it('works on this machine', async () => {
    const inv = await detectInventory();
    expect(inv.cores).toBeGreaterThanOrEqual(1);
    expect(inv.memoryMB).toBeGreaterThan(0);
  });
});

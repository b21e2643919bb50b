// sim.test.ts - the sim provider on a virtual clock: boot delays, idempotent creates, finite capacity (partial,
// all-or-nothing with a placement group, ICE), deletes and spot interruptions.
import { describe, expect, it } from 'vitest';
import { isCloudPool } from '../config.ts';
import { twoPools } from '../policy/testing.ts';
import { type LaunchRequest, isInstanceNotFound, isInsufficientCapacity } from '../provider.ts';
import { SimProvider } from './sim.ts';

const pool = twoPools({ sim: { bootDelay: '2m' } }).pools.find(isCloudPool)!;
const req = (over: Partial<LaunchRequest> = {}): LaunchRequest => ({ launchId: 'l-1', pool, instanceType: 'c6i.2xlarge', count: 2, capacityType: 'on-demand', ...over });

describe('SimProvider', () => {
  it('boots instances after the pool boot delay, on the virtual clock', async () => {
    let t = 100;
    const p = new SimProvider({ clock: () => t });
    const [a] = await p.create(req());
    expect(a).toMatchObject({ state: 'pending', launchedAt: 100, pool: 'burst' });
    t = 219;
    expect((await p.get(a!.id)).state).toBe('pending');
    t = 220;
    expect((await p.get(a!.id)).state).toBe('running');
  });

  it('takes per-type boot delays and is idempotent on launchId', async () => {
    const p = new SimProvider({ clock: () => 0, bootDelay: (type) => (type === 'c6i.2xlarge' ? 30 : 300) });
    const a = await p.create(req());
    expect(p.readyAt(a[0]!.id)).toBe(30);
    expect((await p.create(req())).map((i) => i.id)).toEqual(a.map((i) => i.id));
    expect(await p.list()).toHaveLength(2);
  });

  it('launches partially, refuses a placement group it cannot fill, and reports ICE with the offering', async () => {
    const p = new SimProvider({ clock: () => 0, capacity: (o) => (o.instanceType === 'c6i.2xlarge' ? 3 : 0) });
    expect(await p.create(req({ count: 2 }))).toHaveLength(2);
    const pg = await p.create(req({ launchId: 'l-2', count: 2, placementGroup: 'pg' })).catch((e: unknown) => e);
    expect(isInsufficientCapacity(pg)).toBe(true);
    expect(await p.create(req({ launchId: 'l-3', count: 2 }))).toHaveLength(1);
    const none = await p.create(req({ launchId: 'l-4', instanceType: 'c6i.4xlarge' })).catch((e: unknown) => e);
    expect((none as Error).message).toMatch(/insufficient capacity for c6i.4xlarge on-demand/);
  });

  it('deletes idempotently and forgets nothing it launched', async () => {
    let t = 0;
    const p = new SimProvider({ clock: () => t });
    const [a] = await p.create(req({ count: 1 }));
    t = 3600;
    await p.delete(a!.id);
    await p.delete(a!.id);
    expect((await p.get(a!.id)).state).toBe('terminated');
    expect(await p.list()).toEqual([]);
    expect(p.lifetimes(7200)).toEqual([{ id: a!.id, pool: 'burst', instanceType: 'c6i.2xlarge', capacityType: 'on-demand', seconds: 3600 }]);
    expect(isInstanceNotFound(await p.get('i-x').catch((e: unknown) => e))).toBe(true);
  });

  it('interrupts spot instances', async () => {
    const p = new SimProvider({ clock: () => 10 });
    const [a] = await p.create(req({ count: 1, capacityType: 'spot' }));
    p.interrupt(a!.id);
    expect((await p.get(a!.id)).state).toBe('terminated');
  });
});

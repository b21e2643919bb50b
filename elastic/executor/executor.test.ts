// executor.test.ts - the elastic executor with the FakeProvider, a memory store and a memory node table: launches are
// recorded before create and made once, insufficient capacity falls back without a storm, busy nodes are never
// terminated, reconciliation ends never-joined instances and marks vanished ones down, a restart replays records.
import { beforeEach, describe, expect, it } from 'vitest';
import { parseElasticConfig } from '../config.ts';
import { InsufficientCapacityError } from '../provider.ts';
import { FakeProvider } from '../providers/fake.ts';
import { MemoryElasticStore } from '../store.ts';
import { ElasticExecutor } from './executor.ts';
import { FakeSource, MemoryNodes, pendingJob } from './testing.ts';
import type { ExecutorDeps } from './context.ts';

const config = parseElasticConfig({
  batch: { idle: 0, max: 0 },
  insufficientCapacityTTL: 60,
  pools: [
    { name: 'onprem', provider: 'static' },
    { name: 'burst', provider: 'sim', instanceTypes: ['c6i.xlarge', 'c6i.2xlarge'], max: 4, idleTimeout: 10, maxWaitBeforeBurst: 0, joinTimeout: 100 },
  ],
});

let now: number;
let store: MemoryElasticStore;
let nodes: MemoryNodes;
let source: FakeSource;
let provider: FakeProvider;
let changed: string[];
let forgotten: string[];

function executor(over: Partial<ExecutorDeps> = {}): ElasticExecutor {
  return new ElasticExecutor({
    iid: 'i1', config, store, nodes, source, providers: new Map([['burst', provider]]), clock: () => now,
    nodeChanged: (n) => changed.push(n.name), forgetNode: (n) => forgotten.push(n.name), ...over,
  });
}

/** A burst node that joined for instance `id`. */
function burstNode(name: string, id: string, over: Parameters<MemoryNodes['join']>[1] = {}) {
  return nodes.join(name, { pool: 'burst', instanceId: id, inventory: { hostname: name, cores: 2, gpus: 0, memoryMB: 7500, properties: ['c6i.xlarge', 'x86_64'] }, ...over });
}

beforeEach(() => {
  now = 1000;
  store = new MemoryElasticStore();
  nodes = new MemoryNodes();
  source = new FakeSource();
  provider = new FakeProvider({ now: () => now });
  changed = [];
  forgotten = [];
  nodes.join('static0', { inventory: { hostname: 'static0', cores: 1, gpus: 0, memoryMB: 4096, properties: [] } });
  source.usage.set('static0', { jobs: 1, freeCores: 0, freeGpus: 0 });
});

describe('launching', () => {
  it('records the launch before calling create, then records the instances', async () => {
    source.pending = [pendingJob('ƒa', 2, now)];
    const seen: string[] = [];
    const create = provider.create.bind(provider);
    provider.create = async (req) => {
      seen.push(store.launches.get(req.launchId)?.state ?? 'no record');
      return create(req);
    };
    const r = await executor().pass();
    expect(seen).toEqual(['launching']);
    expect(r.launched).toHaveLength(1);
    const rec = [...store.launches.values()][0]!;
    expect(rec).toMatchObject({ pool: 'burst', instanceType: 'c6i.xlarge', count: 1, state: 'launched', instanceIds: r.launched[0]!.instanceIds });
    expect(store.state.decisions.map((d) => d.action)).toEqual(['launch']);
  });

  it('launches nothing new on a repeat pass, nor once the instance has joined', async () => {
    source.pending = [pendingJob('ƒa', 2, now)];
    const ex = executor();
    await ex.pass();
    now += 5;
    expect((await ex.pass()).launched).toEqual([]);
    const [inst] = provider.instances.values();
    burstNode('burst-1', inst!.id);
    now += 5;
    expect((await ex.pass()).launched).toEqual([]);
    expect(provider.callsOf('create')).toHaveLength(1);
    expect(store.launches.size).toBe(0); // every instance joined: the record is done
  });

  it('falls back to the next offering after insufficient capacity, and does not retry the failed one within the TTL', async () => {
    source.pending = [pendingJob('ƒa', 2, now)];
    provider.failNext('create', new InsufficientCapacityError({ instanceType: 'c6i.xlarge', capacityType: 'on-demand' }));
    const ex = executor();
    const first = await ex.pass();
    expect(first.launched).toEqual([]);
    expect(first.again).toBe(true);
    expect(store.state.unavailable).toEqual([{ instanceType: 'c6i.xlarge', capacityType: 'on-demand', until: 1060 }]);
    expect(store.launches.size).toBe(0);
    now += 1;
    const second = await ex.pass();
    expect(second.launched.map((l) => l.instanceType)).toEqual(['c6i.2xlarge']);
    now += 30;
    await ex.pass();
    const types = provider.callsOf('create').map((c) => c.req.instanceType);
    expect(types).toEqual(['c6i.xlarge', 'c6i.2xlarge']);
  });

  it('holds a pool after an account limit instead of retrying every pass', async () => {
    const { LimitExceededError } = await import('../provider.ts');
    source.pending = [pendingJob('ƒa', 2, now)];
    provider.failNext('create', new LimitExceededError('VcpuLimitExceeded'));
    const ex = executor();
    await ex.pass();
    now += 5;
    await ex.pass();
    now += 5;
    await ex.pass();
    expect(provider.callsOf('create')).toHaveLength(1);
    expect(store.state.held).toMatchObject([{ pool: 'burst', until: 1060 }]);
    expect(store.state.decisions.map((d) => d.action)).toEqual(['launch', 'failed', 'refused']);
  });
});

describe('scale-in', () => {
  it('drains an idle burst node (by elastic), then terminates it and removes it; the static node is never touched', async () => {
    source.usage.set('static0', { jobs: 0, freeCores: 1, freeGpus: 0 });
    const [inst] = await provider.create({ launchId: 'l-x', pool: config.pools[1] as never, instanceType: 'c6i.xlarge', count: 1, capacityType: 'on-demand' });
    burstNode('burst-1', inst!.id);
    const ex = executor();
    await ex.pass(); // first sighting: idle from now
    now += 11;
    const drained = await ex.pass();
    expect(drained.drained).toEqual(['burst-1']);
    expect(nodes.items.get('burst-1')!.drained).toMatchObject({ by: 'elastic' });
    expect(changed).toContain('burst-1');
    now += 1;
    const gone = await ex.pass();
    expect(gone.terminated).toEqual([inst!.id]);
    expect(nodes.items.has('burst-1')).toBe(false);
    expect(forgotten).toEqual(['burst-1']);
    expect(nodes.items.get('static0')!.drained).toBeUndefined();
    expect(provider.calls.flatMap((c) => (c.method === 'delete' ? [c.instanceId] : []))).toEqual([inst!.id]);
  });

  it('never terminates a node that holds a job at act time, even when the input said it was idle', async () => {
    const [inst] = await provider.create({ launchId: 'l-x', pool: config.pools[1] as never, instanceType: 'c6i.xlarge', count: 1, capacityType: 'on-demand' });
    burstNode('burst-1', inst!.id, { drained: { reason: 'elastic: idle', at: now, by: 'elastic' } as never });
    const idle = { pending: [], usage: new Map([['static0', { jobs: 1 }]]) };
    const busy = { pending: [], usage: new Map([['static0', { jobs: 1 }], ['burst-1', { jobs: 1, freeCores: 0, freeGpus: 0 }]]) };
    source.next.push(idle, busy);
    const r = await executor().pass();
    expect(r.decisions.terminate.map((t) => t.node)).toEqual(['burst-1']);
    expect(r.terminated).toEqual([]);
    expect(provider.calls.filter((c) => c.method === 'delete')).toEqual([]);
    expect(nodes.items.has('burst-1')).toBe(true);
    expect(store.state.decisions.at(-1)).toMatchObject({ action: 'refused', node: 'burst-1', text: 'not terminating: 1 job(s) running on it' });
  });
});

describe('reconciliation', () => {
  it('terminates an instance that never joined within the join timeout', async () => {
    source.pending = [pendingJob('ƒa', 2, now)];
    const ex = executor();
    const r = await ex.pass();
    const id = r.launched[0]!.instanceIds[0]!;
    source.pending = [];
    now += 101;
    const late = await ex.pass();
    expect(late.terminated).toEqual([id]);
    expect(provider.instances.get(id)!.state).toBe('terminated');
    now += 31;
    await ex.pass();
    expect(store.launches.size).toBe(0);
  });

  it('marks a node whose instance vanished down, and removes it once nothing runs there', async () => {
    burstNode('burst-1', 'i-vanished');
    const ex = executor();
    await ex.pass();
    const item = nodes.items.get('burst-1')!;
    expect(item).toMatchObject({ online: false, downSince: now });
    expect(changed).toEqual(['burst-1']);
    now += 1;
    await ex.pass();
    expect(nodes.items.has('burst-1')).toBe(false);
    expect(store.state.decisions.map((d) => d.action)).toEqual(['down', 'removed']);
  });

  it('after a restart, replays a recorded launch without launching twice', async () => {
    source.pending = [pendingJob('ƒa', 2, now), pendingJob('ƒb', 2, now)];
    // Crash right after create answered, before the answer was recorded.
    store.failNext.updateLaunch = new Error('control plane killed');
    await expect(executor().pass()).rejects.toThrow('control plane killed');
    expect([...store.launches.values()].map((r) => r.state)).toEqual(['launching']);
    expect(provider.instances.size).toBe(2);
    now += 2;
    const restarted = await executor().pass();
    expect(restarted.launched).toEqual([]);
    expect(provider.instances.size).toBe(2);
    const ids = provider.callsOf('create').map((c) => c.req.launchId);
    expect(new Set(ids).size).toBe(1);
    expect([...store.launches.values()][0]).toMatchObject({ state: 'launched', instanceIds: [...provider.instances.keys()] });
  });

  it('counts instances no record names (orphans) as in flight rather than launching more', async () => {
    await provider.create({ launchId: 'l-lost', pool: config.pools[1] as never, instanceType: 'c6i.xlarge', count: 1, capacityType: 'on-demand' });
    source.pending = [pendingJob('ƒa', 2, now)];
    const r = await executor().pass();
    expect(r.input.inFlight).toMatchObject([{ launchId: 'l-lost', count: 1 }]);
    expect(r.launched).toEqual([]);
  });
});

// scale-up.test.ts - the policy's launch decisions: cheapest fit, no duplicate launches for capacity in flight,
// EFA placement groups, min/max, spend cap, unavailable offerings, static pools first, batching.
import { describe, expect, it } from 'vitest';
import { decide } from './index.ts';
import { cfg, cloudNode, input, job, req, staticNode, twoPools } from './testing.ts';
import type { InFlightLaunch, LaunchDecision, PolicyInput } from './types.ts';

/** What a launch would be in flight as, right after the executor made it. */
function flying(l: LaunchDecision, since = 0): InFlightLaunch {
  const f: InFlightLaunch = { launchId: l.launchId, pool: l.pool, instanceType: l.instanceType, count: l.count, since, capacityType: l.capacityType };
  if (l.placementGroup) f.placementGroup = l.placementGroup;
  return f;
}

describe('bin-packing', () => {
  it('picks the cheapest type that fits each job', () => {
    const config = twoPools();
    const d = decide(input(config, { pending: [job('ƒa', req(4))] }));
    expect(d.launch).toHaveLength(1);
    expect(d.launch[0]).toMatchObject({ pool: 'burst', instanceType: 'c6i.2xlarge', count: 1, capacityType: 'on-demand', forJobs: ['ƒa'] });
    expect(d.launch[0]!.reason).toMatch(/1 job \(ƒa\) need 4 slots × 1 core; no static node can ever run it; launching 1 × c6i.2xlarge on-demand in burst \(cheapest fit, \$0.34\/h each/);
  });

  it('packs small jobs together instead of one node each', () => {
    const d = decide(input(twoPools(), { pending: ['a', 'b', 'c', 'd'].map((id) => job(id, req(1))) }));
    // 4 one-core jobs: one c6i.2xlarge (4 cores, $0.34) is as cheap per core as 4 × c6i.large would be, and fewer nodes.
    const nodes = d.launch.reduce((n, l) => n + l.count, 0);
    const cores = d.launch.reduce((n, l) => n + l.count * ({ 'c6i.xlarge': 2, 'c6i.2xlarge': 4, 'c6i.4xlarge': 8 }[l.instanceType] ?? 0), 0);
    expect(cores).toBe(4);
    expect(nodes).toBeLessThanOrEqual(2);
    expect(d.launch.flatMap((l) => l.forJobs).sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('gives an exclusive job a whole node of the smallest type', () => {
    const d = decide(input(twoPools(), { pending: [job('x', req(1, 1, { nodes: 1, exclusive: true })), job('y', req(1))] }));
    // x gets a c6i.xlarge to itself; y another one (same offering, so one launch of 2).
    expect(d.launch).toHaveLength(1);
    expect(d.launch[0]).toMatchObject({ instanceType: 'c6i.xlarge', count: 2, forJobs: ['x', 'y'] });
  });

  it('honours constraints through node properties', () => {
    const config = cfg({
      batch: { idle: 0, max: 0 },
      pools: [
        { name: 'cheap', provider: 'sim', instanceTypes: ['c6i.2xlarge'], max: 4 },
        { name: 'arm', provider: 'sim', instanceTypes: ['c7g.2xlarge'], max: 4, properties: ['graviton'] },
      ],
    });
    const d = decide(input(config, { pending: [job('g', req(4, 1, { constraint: { properties: ['arm64'] } }))] }));
    expect(d.launch[0]).toMatchObject({ pool: 'arm', instanceType: 'c7g.2xlarge' });
  });
});

describe('capacity in flight', () => {
  it('does not launch again for jobs a launch in flight covers', () => {
    const config = twoPools();
    const pending = [job('a', req(4)), job('b', req(4)), job('c', req(4))];
    const first = decide(input(config, { pending }));
    expect(first.launch.length).toBeGreaterThan(0);
    const second = decide(input(config, { now: 30, pending, inFlight: first.launch.map((l) => flying(l)) }));
    expect(second.launch).toEqual([]);
  });

  it('a repeated decision is the same launch (same launchId); a later one is a new launch', () => {
    const i = input(twoPools(), { pending: [job('a', req(4)), job('b', req(2))] });
    const ids = decide(i).launch.map((l) => l.launchId);
    expect(decide(i).launch.map((l) => l.launchId)).toEqual(ids);
    // Same jobs still waiting later (their first launch was taken by other work): a fresh id, so an idempotent
    // provider does not answer with the old instances.
    expect(decide({ ...i, now: 600 }).launch.map((l) => l.launchId)).not.toEqual(ids);
  });

  it('within one batching window the launch id depends on the window, not the hour it closes', () => {
    const config = twoPools({}, { batch: { idle: '1s', max: '10s' } });
    const opened = { openedAt: 100, lastTriggerAt: 100, seen: ['a'] };
    const at = (now: number) => decide(input(config, { now, pending: [job('a', req(4))], batcher: opened })).launch.map((l) => l.launchId);
    expect(at(101)).toEqual(at(105));
  });

  it('launches only for the job that in-flight capacity cannot cover', () => {
    const config = twoPools();
    const first = decide(input(config, { pending: [job('a', req(4))] }));
    const d = decide(input(config, { now: 10, pending: [job('a', req(4)), job('b', req(4), { waitingSince: 10 })], inFlight: first.launch.map((l) => flying(l)) }));
    expect(d.launch.flatMap((l) => l.forJobs)).toEqual(['b']);
  });

  it('counts joining nodes as capacity', () => {
    const d = decide(input(twoPools(), { pending: [job('a', req(4))], nodes: [cloudNode('burst-1', 'c6i.2xlarge', { state: 'joining', idleSince: undefined })] }));
    expect(d.launch).toEqual([]);
  });
});

describe('EFA', () => {
  const config = cfg({
    batch: { idle: 0, max: 0 },
    pools: [{ name: 'hpc', provider: 'ec2', instanceTypes: ['hpc6a.48xlarge'], max: 8, efa: true, subnets: [{ id: 'subnet-a', zone: 'us-east-2b' }, 'subnet-b'] }],
  });

  it('launches a multi-node EFA job as one all-or-nothing launch in one placement group and one subnet', () => {
    const d = decide(input(config, { pending: [job('mpi', req(96, 1, { nodes: 4, exclusive: true, constraint: { properties: ['efa'] } }))] }));
    expect(d.launch).toHaveLength(1);
    const l = d.launch[0]!;
    expect(l).toMatchObject({ instanceType: 'hpc6a.48xlarge', count: 4, subnet: 'subnet-a', zone: 'us-east-2b', forJobs: ['mpi'] });
    expect(l.placementGroup).toBe(`flurry-${l.launchId}`);
    expect(l.reason).toMatch(/one placement group, all or nothing/);
  });

  it('two EFA jobs get two placement groups', () => {
    const d = decide(input(config, { pending: [job('m1', req(1, 96, { nodes: 2 })), job('m2', req(1, 96, { nodes: 3 }))] }));
    expect(d.launch.map((l) => l.count).sort()).toEqual([2, 3]);
    expect(new Set(d.launch.map((l) => l.placementGroup)).size).toBe(2);
  });

  it('holds a multi-node job that does not fit under max rather than launching part of it', () => {
    const d = decide(input(config, { pending: [job('big', req(1, 96, { nodes: 9 }))] }));
    expect(d.launch).toEqual([]);
    expect(d.notes.join('\n')).toMatch(/big: not launching \(pool hpc is at its max \(8\)\)/);
  });
});

describe('limits', () => {
  it('keeps a pool at its min with no work', () => {
    const d = decide(input(twoPools({ min: 2 })));
    expect(d.launch).toHaveLength(1);
    expect(d.launch[0]).toMatchObject({ count: 2, instanceType: 'c6i.xlarge', forJobs: [] });
    expect(d.launch[0]!.reason).toMatch(/keeps at least 2 nodes and has 0/);
    const again = decide(input(twoPools({ min: 2 }), { inFlight: [flying(d.launch[0]!)] }));
    expect(again.launch).toEqual([]);
  });

  it('never exceeds max, counting nodes and launches in flight', () => {
    const config = twoPools({ max: 3, instanceTypes: ['c6i.2xlarge'] });
    const pending = ['a', 'b', 'c', 'd', 'e'].map((id) => job(id, req(4, 1, { nodes: 1 })));
    const nodes = [cloudNode('burst-1', 'c6i.2xlarge', { runningJobs: 1, idleSince: undefined, busyUntil: 7200 })];
    const inFlight: InFlightLaunch[] = [{ launchId: 'l-x', pool: 'burst', instanceType: 'c6i.2xlarge', count: 1, since: 0 }];
    const d = decide(input(config, { pending, nodes, inFlight }));
    expect(d.launch.reduce((n, l) => n + l.count, 0)).toBe(1);
    expect(d.notes.join('\n')).toMatch(/at its max \(3\)/);
  });

  it('stays under maxSpendPerHour over running and in-flight instances', () => {
    const config = twoPools({ instanceTypes: ['c6i.2xlarge'] }, { maxSpendPerHour: 1.1 });
    const pending = ['a', 'b', 'c', 'd'].map((id) => job(id, req(4)));
    const nodes = [cloudNode('burst-1', 'c6i.2xlarge', { runningJobs: 1, idleSince: undefined, busyUntil: 7200 })];
    // $0.34 running; $0.76 left: 2 more.
    const d = decide(input(config, { pending, nodes }));
    expect(d.launch.reduce((n, l) => n + l.count, 0)).toBe(2);
    expect(d.notes.join('\n')).toMatch(/would pass maxSpendPerHour/);
  });
});

describe('unavailable offerings', () => {
  it('skips an offering that ran out of capacity and falls back to the next cheapest', () => {
    const config = twoPools({ capacityType: 'spot-then-on-demand', instanceTypes: ['c6i.2xlarge', 'c7i.2xlarge'] });
    const base: PolicyInput = input(config, { pending: [job('a', req(4))] });
    expect(decide(base).launch[0]).toMatchObject({ instanceType: 'c6i.2xlarge', capacityType: 'spot' });
    const d = decide({ ...base, unavailableOfferings: [{ instanceType: 'c6i.2xlarge', capacityType: 'spot', until: 180 }] });
    expect(d.launch[0]).toMatchObject({ instanceType: 'c7i.2xlarge', capacityType: 'spot' });
    const both = decide({
      ...base,
      unavailableOfferings: [
        { instanceType: 'c6i.2xlarge', capacityType: 'spot', until: 180 },
        { instanceType: 'c7i.2xlarge', capacityType: 'spot', until: 180 },
      ],
    });
    expect(both.launch[0]).toMatchObject({ instanceType: 'c6i.2xlarge', capacityType: 'on-demand' });
    expect(both.launch[0]!.reason).toMatch(/spot out of capacity/);
    // Once `until` has passed, the offering is tried again.
    expect(decide({ ...base, now: 200, unavailableOfferings: [{ instanceType: 'c6i.2xlarge', capacityType: 'spot', until: 180 }] }).launch[0]).toMatchObject({
      instanceType: 'c6i.2xlarge',
      capacityType: 'spot',
    });
  });

  it('skips a subnet whose zone ran out and uses the next subnet', () => {
    const config = cfg({
      batch: { idle: 0, max: 0 },
      pools: [{ name: 'e', provider: 'ec2', instanceTypes: ['c6i.2xlarge'], max: 4, subnets: [{ id: 's-a', zone: 'az-a' }, { id: 's-b', zone: 'az-b' }] }],
    });
    const d = decide(input(config, { pending: [job('a', req(4))], unavailableOfferings: [{ instanceType: 'c6i.2xlarge', capacityType: 'on-demand', zone: 'az-a', until: 60 }] }));
    expect(d.launch[0]).toMatchObject({ subnet: 's-b', zone: 'az-b' });
  });

  it('launches nothing, and says so, when every fitting offering is out of capacity', () => {
    const config = twoPools({ instanceTypes: ['c6i.2xlarge'] });
    const d = decide(input(config, { pending: [job('a', req(4))], unavailableOfferings: [{ instanceType: 'c6i.2xlarge', capacityType: 'on-demand', until: 60 }] }));
    expect(d.launch).toEqual([]);
    expect(d.notes.join('\n')).toMatch(/a: not launching \(every offering that fits it had no capacity recently\)/);
  });
});

describe('static pools first', () => {
  const config = twoPools({ maxWaitBeforeBurst: '60s' });

  it('does not burst for a job an idle static node can run', () => {
    const d = decide(input(config, { pending: [job('a', req(4))], nodes: [staticNode('n1', 8)] }));
    expect(d.launch).toEqual([]);
  });

  it('does not burst when the static pool frees up within maxWaitBeforeBurst', () => {
    const nodes = [staticNode('n1', 8, { runningJobs: 1, idleSince: undefined, busyUntil: 40 })];
    expect(decide(input(config, { pending: [job('a', req(4))], nodes })).launch).toEqual([]);
  });

  it('bursts when the static pool is busy beyond maxWaitBeforeBurst, and says why', () => {
    const nodes = [staticNode('n1', 8, { runningJobs: 1, idleSince: undefined, busyUntil: 2400 })];
    const d = decide(input(config, { pending: [job('a', req(4))], nodes }));
    expect(d.launch).toHaveLength(1);
    expect(d.launch[0]!.reason).toMatch(/static pools cannot start it within maxWaitBeforeBurst 1m \(busy until \+40m\)/);
  });

  it('counts the time already waited: a job waiting since 0 bursts at 50 when static frees at 70', () => {
    const nodes = [staticNode('n1', 8, { runningJobs: 1, idleSince: undefined, busyUntil: 70 })];
    expect(decide(input(config, { now: 50, pending: [job('a', req(4))], nodes })).launch).toHaveLength(1);
    expect(decide(input(config, { now: 50, pending: [job('a', req(4), { waitingSince: 50 })], nodes })).launch).toEqual([]);
  });

  it('bursts at once for a job no static node can ever run', () => {
    const d = decide(input(config, { pending: [job('a', req(8, 1, { nodes: 1 }))], nodes: [staticNode('n1', 4)] }));
    expect(d.launch[0]).toMatchObject({ instanceType: 'c6i.4xlarge' });
    expect(d.launch[0]!.reason).toMatch(/no static node can ever run it/);
  });

  it('explains a job no cloud pool can run', () => {
    const d = decide(input(config, { pending: [job('e', req(1, 1, { constraint: { properties: ['efa'] } }))] }));
    expect(d.launch).toEqual([]);
    expect(d.notes).toContain('1 job (e) need efa, which no cloud pool offers: waiting for static nodes');
  });

  it('ignores held jobs (priority 0)', () => {
    expect(decide(input(config, { pending: [job('h', req(4), { priority: 0 })] })).launch).toEqual([]);
  });
});

describe('batching', () => {
  const config = twoPools({}, { batch: { idle: '1s', max: '10s' } });

  it('holds launches until the window closes: idle after the last new trigger, or max after it opened', () => {
    let i = input(config, { now: 0, pending: [job('a', req(4))] });
    let d = decide(i);
    expect(d.launch).toEqual([]);
    expect(d.wakeAt).toBe(1);
    // A new job at 0.5 s extends the window to 1.5 s.
    i = { ...i, now: 0.5, batcher: d.batcher, pending: [...i.pending, job('b', req(4), { waitingSince: 0.5 })] };
    d = decide(i);
    expect(d.launch).toEqual([]);
    expect(d.wakeAt).toBe(1.5);
    d = decide({ ...i, now: 1.5, batcher: d.batcher });
    expect(d.launch.flatMap((l) => l.forJobs).sort()).toEqual(['a', 'b']);
    expect(d.batcher).toEqual({ seen: [] });
  });
});

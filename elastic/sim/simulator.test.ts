// simulator.test.ts - the simulator runs workloads through the real graph, queue and policy: every job finishes,
// nothing is killed, kills by a reckless policy are detected, EFA jobs get placement groups, spot losses requeue.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NodeInventory } from '../../control/core/resource/types.ts';
import { type ElasticConfig, parseElasticConfig } from '../config.ts';
import { decide } from '../policy/index.ts';
import type { Decisions, PolicyInput } from '../policy/types.ts';
import { immediatePolicy } from './baseline.ts';
import { simulate } from './simulator.ts';
import { randomWorkload, syntheticDay } from './workload.ts';

const config = (burst: Record<string, unknown> = {}): ElasticConfig =>
  parseElasticConfig({
    batch: { idle: '1s', max: '10s' },
    pools: [
      { name: 'onprem', provider: 'static' },
      { name: 'burst', provider: 'sim', instanceTypes: ['c6i.2xlarge', 'c6i.4xlarge'], max: 20, idleTimeout: '2m', sim: { bootDelay: '90s' }, ...burst },
    ],
  });

const statics = (n: number, cores = 8): Array<{ pool: string; inventory: NodeInventory }> =>
  Array.from({ length: n }, (_, i) => ({ pool: 'onprem', inventory: { hostname: `onprem${i}`, cores, gpus: 0, memoryMB: cores * 4096, properties: ['onprem'] } }));

describe('simulate', () => {
  it('runs a random workload to completion with 0 jobs killed', async () => {
    const r = await simulate({ config: config(), staticNodes: statics(2), jobs: randomWorkload(7, 60, 3600) });
    expect(r.killed).toBe(0);
    expect(r.unfinished).toEqual([]);
    expect(r.finished).toBe(60);
    expect(r.launches).toBeGreaterThan(0);
    expect(r.nodeHours['burst']).toBeGreaterThan(0);
    // Every cloud instance was scaled back in once the work was done.
    expect(r.end).toBeLessThan(3600 * 3);
  });

  it('property: on random workloads, queues and configs, no job is ever killed and all finish', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.nat(1_000_000),
          n: fc.integer({ min: 1, max: 40 }),
          statics: fc.integer({ min: 0, max: 3 }),
          queue: fc.constantFrom('fcfs' as const, 'easy' as const),
          idle: fc.constantFrom(0, 30, 300),
          wait: fc.constantFrom(0, 60, 600),
          spot: fc.boolean(),
        }),
        async (c) => {
          const cfg = config({ idleTimeout: c.idle, maxWaitBeforeBurst: c.wait, capacityType: c.spot ? 'spot-then-on-demand' : 'on-demand' });
          const r = await simulate({ config: cfg, staticNodes: statics(c.statics), jobs: randomWorkload(c.seed, c.n, 1800), queue: c.queue, seed: c.seed });
          expect(r.killed).toBe(0);
          expect(r.unfinished).toEqual([]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('detects kills: a policy that terminates busy nodes is caught', async () => {
    const reckless = (input: PolicyInput): Decisions => {
      const d = decide(input);
      const busy = input.nodes.filter((n) => n.pool === 'burst' && n.runningJobs > 0 && n.instanceId);
      return { ...d, terminate: [...d.terminate, ...busy.map((n) => ({ node: n.name, instanceId: n.instanceId!, reason: 'reckless' }))] };
    };
    const r = await simulate({ config: config(), staticNodes: [], jobs: randomWorkload(3, 10, 600), policy: reckless, until: 20000 });
    expect(r.killed).toBeGreaterThan(0);
    expect(r.killedJobs.length).toBe(r.killed);
  });

  it('launches a multi-node EFA job into one placement group and runs it there', async () => {
    const cfg = parseElasticConfig({
      batch: { idle: 0, max: 0 },
      pools: [{ name: 'hpc', provider: 'sim', instanceTypes: ['hpc6a.48xlarge'], max: 8, efa: true }],
    });
    const launches: Decisions['launch'] = [];
    const jobs = [{ id: 'mpi', submitAt: 0, request: { nodes: 4, slots: 1, coresPerSlot: 96, gpusPerSlot: 0, exclusive: true, constraint: { properties: ['efa'] } }, limit: 3600, runtime: 1800 }];
    const r = await simulate({ config: cfg, staticNodes: [], jobs, onRound: (_i, d) => launches.push(...d.launch) });
    expect(r.finished).toBe(1);
    expect(launches).toHaveLength(1);
    expect(launches[0]).toMatchObject({ count: 4, instanceType: 'hpc6a.48xlarge' });
    expect(launches[0]!.placementGroup).toBeDefined();
  });

  it('falls back to another offering after insufficient capacity, without a storm', async () => {
    const tries: number[] = [];
    const fallbacks: number[] = [];
    const r = await simulate({
      config: config({ instanceTypes: ['c6i.2xlarge', 'c7i.2xlarge'] }),
      staticNodes: [],
      jobs: randomWorkload(5, 12, 600, 4),
      capacity: (o) => (o.instanceType === 'c6i.2xlarge' ? 0 : Infinity),
      onRound: (i, d) => {
        for (const l of d.launch) (l.instanceType === 'c6i.2xlarge' ? tries : fallbacks).push(i.now);
      },
    });
    expect(r.unfinished).toEqual([]);
    expect(r.insufficientCapacity).toBe(tries.length);
    expect(fallbacks.length).toBeGreaterThan(0);
    // The empty offering is retried at most once per insufficientCapacityTTL (180 s), never in a storm.
    for (let i = 1; i < tries.length; i++) expect(tries[i]! - tries[i - 1]!).toBeGreaterThanOrEqual(180);
  });

  it('requeues jobs from interrupted spot nodes and still finishes them, 0 killed', async () => {
    const r = await simulate({
      config: config({ capacityType: 'spot' }),
      staticNodes: [],
      jobs: randomWorkload(11, 30, 1800),
      spotInterruptionsPerHour: 2,
      seed: 4,
    });
    expect(r.requeued).toBeGreaterThan(0);
    expect(r.killed).toBe(0);
    expect(r.unfinished).toEqual([]);
  });

  it('is reproducible, and the baseline also runs', async () => {
    const jobs = syntheticDay(9, { length: 4 * 3600, bursts: 2, burstSize: [5, 10] });
    const a = await simulate({ config: config(), staticNodes: statics(2), jobs });
    const b = await simulate({ config: config(), staticNodes: statics(2), jobs });
    expect(b).toEqual(a);
    const base = await simulate({ config: config({ idleTimeout: 0 }), staticNodes: statics(2), jobs, policy: immediatePolicy, policyName: 'immediate' });
    expect(base.finished).toBe(jobs.length);
    expect(base.killed).toBe(0);
  });
});

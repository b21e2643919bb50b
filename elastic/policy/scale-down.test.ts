// scale-down.test.ts - scale-in drains idle cloud nodes, then terminates them once empty; never a running job, never
// a static node, never below min; broken and never-joined instances are terminated. Includes the property test.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from './index.ts';
import { cloudNode, input, job, req, staticNode, twoPools } from './testing.ts';
import type { PolicyNode } from './types.ts';

const config = twoPools({ idleTimeout: '5m', joinTimeout: '10m' });

describe('scale-in', () => {
  it('drains a cloud node idle longer than idleTimeout, then terminates it once drained and empty', () => {
    const idle = cloudNode('burst-1', 'c6i.2xlarge', { idleSince: 0 });
    expect(decide(input(config, { now: 299, nodes: [idle] })).drain).toEqual([]);
    const d = decide(input(config, { now: 301, nodes: [idle] }));
    expect(d.drain).toEqual([{ node: 'burst-1', reason: 'idle for 5m1s ≥ idleTimeout 5m: draining for scale-in' }]);
    expect(d.terminate).toEqual([]);
    const drained = { ...idle, state: 'drained' as const, drainedBy: 'elastic' as const };
    const t = decide(input(config, { now: 311, nodes: [drained] }));
    expect(t.terminate).toEqual([{ node: 'burst-1', instanceId: 'i-burst-1', reason: 'node burst-1 was drained for scale-in and is empty: terminating' }]);
  });

  it('waits for a drained node to finish its jobs before terminating it', () => {
    const busy = cloudNode('burst-1', 'c6i.2xlarge', { state: 'drained', drainedBy: 'elastic', runningJobs: 1, idleSince: undefined, busyUntil: 900 });
    expect(decide(input(config, { now: 400, nodes: [busy] })).terminate).toEqual([]);
  });

  it('never drains or terminates static nodes', () => {
    const nodes = [staticNode('n1', 8, { idleSince: 0 }), staticNode('n2', 8, { state: 'drained', idleSince: 0 }), staticNode('n3', 8, { state: 'down', instanceId: 'i-x' })];
    const d = decide(input(config, { now: 1e6, nodes }));
    expect(d.drain).toEqual([]);
    expect(d.terminate).toEqual([]);
  });

  it('respects min', () => {
    const nodes = [cloudNode('burst-1', 'c6i.2xlarge'), cloudNode('burst-2', 'c6i.2xlarge', { idleSince: 10 }), cloudNode('burst-3', 'c6i.2xlarge', { idleSince: 20 })];
    const d = decide(input(twoPools({ min: 2, idleTimeout: '5m' }), { now: 1000, nodes }));
    expect(d.drain.map((x) => x.node)).toEqual(['burst-1']);
  });

  it('keeps an idle node the backlog is planned onto', () => {
    const nodes = [cloudNode('burst-1', 'c6i.2xlarge')];
    const d = decide(input(config, { now: 1000, nodes, pending: [job('a', req(4))] }));
    expect(d.drain).toEqual([]);
    expect(d.launch).toEqual([]);
  });

  it('leaves a cloud node an admin drained', () => {
    const n = cloudNode('burst-1', 'c6i.2xlarge', { state: 'drained', drainedBy: 'admin' });
    const d = decide(input(config, { now: 1000, nodes: [n] }));
    expect(d.terminate).toEqual([]);
    expect(d.notes.join('\n')).toMatch(/drained by an admin/);
  });

  it('terminates a down cloud node (broken instance) once its jobs are gone', () => {
    const down = cloudNode('burst-1', 'c6i.2xlarge', { state: 'down' });
    expect(decide(input(config, { now: 5, nodes: [down] })).terminate[0]).toMatchObject({ node: 'burst-1', instanceId: 'i-burst-1' });
    expect(decide(input(config, { now: 5, nodes: [{ ...down, runningJobs: 2 }] })).terminate).toEqual([]);
  });

  it('terminates instances that never joined within joinTimeout', () => {
    const joining = cloudNode('burst-1', 'c6i.2xlarge', { state: 'joining', launchedAt: 0, idleSince: undefined });
    expect(decide(input(config, { now: 599, nodes: [joining] })).terminate).toEqual([]);
    expect(decide(input(config, { now: 601, nodes: [joining] })).terminate[0]!.reason).toMatch(/not joined within joinTimeout 10m/);
    const flight = { launchId: 'l-1', pool: 'burst', instanceType: 'c6i.2xlarge', count: 2, since: 0, instanceIds: ['i-a', 'i-b'] };
    expect(decide(input(config, { now: 601, inFlight: [flight] })).terminate.map((t) => t.instanceId)).toEqual(['i-a', 'i-b']);
  });

  it('drains the excess when a pool is over its max, idle nodes first', () => {
    const nodes = [
      cloudNode('burst-1', 'c6i.2xlarge', { runningJobs: 1, idleSince: undefined, busyUntil: 100 }),
      cloudNode('burst-2', 'c6i.2xlarge', { idleSince: 50 }),
      cloudNode('burst-3', 'c6i.2xlarge', { runningJobs: 1, idleSince: undefined, busyUntil: 50 }),
    ];
    const d = decide(input(twoPools({ max: 1 }), { now: 60, nodes }));
    expect(d.drain.map((x) => x.node)).toEqual(['burst-2', 'burst-3']);
  });
});

describe('property: terminations are always safe', () => {
  const arbNode = fc
    .record({
      cloud: fc.boolean(),
      state: fc.constantFrom('joining', 'up', 'down', 'drained'),
      runningJobs: fc.nat(3),
      idleSince: fc.option(fc.nat(5000), { nil: undefined }),
      busyUntil: fc.option(fc.nat(10000), { nil: undefined }),
      launchedAt: fc.option(fc.nat(5000), { nil: undefined }),
      drainedBy: fc.constantFrom('elastic', 'admin', undefined),
      instance: fc.boolean(),
      type: fc.constantFrom('c6i.xlarge', 'c6i.2xlarge', 'c6i.4xlarge'),
    })
    .map((r) => r);
  const arbCase = fc.record({
    now: fc.nat(20000),
    nodes: fc.array(arbNode, { maxLength: 12 }),
    pending: fc.array(fc.record({ cores: fc.integer({ min: 1, max: 8 }), nodes: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }), duration: fc.nat(7200) }), {
      maxLength: 8,
    }),
    min: fc.nat(3),
  });

  it('no terminate decision ever targets a node with running jobs, a static node, or a node still up', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const nodes: PolicyNode[] = c.nodes.map((n, i) => {
          const base = n.cloud ? cloudNode(`c${i}`, n.type) : staticNode(`s${i}`, 8);
          const node: PolicyNode = { ...base, state: n.state, runningJobs: n.runningJobs, idleSince: n.runningJobs ? undefined : n.idleSince, busyUntil: n.busyUntil };
          if (n.launchedAt !== undefined) node.launchedAt = n.launchedAt;
          if (n.drainedBy) node.drainedBy = n.drainedBy;
          if (n.instance) node.instanceId = `i-${node.name}`;
          else delete node.instanceId;
          return node;
        });
        const pending = c.pending.map((p, i) => job(`j${i}`, req(p.nodes ? 1 : p.cores, p.nodes ? p.cores : 1, p.nodes ? { nodes: p.nodes } : {}), { duration: p.duration }));
        const d = decide(input(twoPools({ min: Math.min(c.min, 10) }), { now: c.now, nodes, pending }));
        const byName = new Map(nodes.map((n) => [n.name, n]));
        const byInstance = new Map(nodes.filter((n) => n.instanceId).map((n) => [n.instanceId!, n]));
        for (const t of d.terminate) {
          const n = (t.node ? byName.get(t.node) : undefined) ?? byInstance.get(t.instanceId);
          expect(n).toBeDefined();
          expect(n!.runningJobs).toBe(0);
          expect(n!.pool).toBe('burst');
          expect(n!.state).not.toBe('up');
        }
        for (const dr of d.drain) expect(byName.get(dr.node)!.pool).toBe('burst');
        // The strategies themselves stay safe: the final guard never had to step in.
        expect(d.notes.filter((x) => x.startsWith('guard:'))).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

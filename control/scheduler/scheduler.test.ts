// scheduler.test.ts - the scheduler's rebuild from the table (restart is replay), against DynamoDB Local.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTable } from '../../test/support/dynamo.ts';
import { submitEvent } from '../core/job/index.ts';
import { buildRv1 } from '../core/resource/rv1.ts';
import type { Rv1 } from '../core/resource/types.ts';
import { MemoryRegistry } from '../agents/memory-registry.ts';
import { LocalNotifier } from '../jobs/notifier.ts';
import { createControlPlane } from '../plane.ts';
import { generateSecrets } from '../security/secrets.ts';
import type { StoreContext } from '../store/context.ts';
import { hex16 } from '../store/keys.ts';
import type { JobItem } from '../store/jobs.ts';

let ctx: StoreContext;
beforeAll(async () => {
  const t = await createTestTable('sched');
  ctx = { doc: t.doc, table: t.tableName };
});

/** The agent link is an adapter at the edge: this one records what would be sent and reaches no agent. */
const silentTransport = { send: async () => true, close: async () => {} };

async function plane(iid: string) {
  return createControlPlane({
    iid,
    store: ctx,
    secrets: await generateSecrets(),
    mode: 'local',
    transport: silentTransport,
    registry: new MemoryRegistry(),
    notifier: new LocalNotifier(),
    publicUri: 'http://test',
    fluidEpochMs: Date.now() - 1000,
    generatorId: 0,
    holder: `test-${iid}`,
  });
}

function running(id: bigint, iid: string, R: Rv1): JobItem {
  const events = [
    submitEvent(1, { userid: 'alice' }),
    { timestamp: 1, name: 'validate' },
    { timestamp: 1, name: 'depend' },
    { timestamp: 1, name: 'priority', context: { priority: 16 } },
    { timestamp: R.execution.starttime, name: 'alloc' },
  ];
  return { id, iid, owner: 'alice', name: 'x', jobspec: {}, urgency: 16, priority: 16, req: { slots: 1, coresPerSlot: 1, gpusPerSlot: 0, exclusive: false }, dur: 0, eventlog: events, ver: 1, st: 'RUN', tsub: 1, R };
}

describe('Scheduler rebuild', () => {
  it('re-applies running allocations; of two that overlap (a crash after an early release), the later one holds the cores', async () => {
    const iid = 'rebuild-overlap';
    const p = await plane(iid);
    await p.tables.nodes.preregister(iid, [{ name: 'n0', inventory: { hostname: 'n0', cores: 2, gpus: 0, memoryMB: 1024, properties: [] } }], 1);
    const on = (core: number, t: number) => buildRv1([{ rank: 0, hostname: 'n0', cores: [core], gpus: [], properties: [] }], t, 0);
    // A held core 0 and exited; B got core 0 durably before A's completion was; C holds core 1.
    await p.tables.jobs.insert([running(10n, iid, on(0, 100)), running(11n, iid, on(0, 200)), running(12n, iid, on(1, 150))]);
    await p.scheduler.trigger();
    const graph = p.scheduler.resources;
    expect(graph.allocationOf(hex16(11n))).toBeDefined();
    expect(graph.allocationOf(hex16(12n))).toBeDefined();
    expect(graph.allocationOf(hex16(10n))).toBeUndefined();
    expect(graph.node(0)?.freeCores).toBe(0);
    await p.stop();
  });

  it('rebuilds the queue from pending jobs and schedules them once nodes are up', async () => {
    const iid = 'rebuild-queue';
    const p = await plane(iid);
    const caller = { user: 'alice', role: 'owner' as const };
    await p.tables.nodes.preregister(iid, [{ name: 'n0', inventory: { hostname: 'n0', cores: 1, gpus: 0, memoryMB: 1024, properties: [] } }], 1);
    await p.scheduler.trigger();
    const jobspec = { version: 1, resources: [{ type: 'slot', count: 1, label: 'task', with: [{ type: 'core', count: 1 }] }], tasks: [{ command: ['true'], slot: 'task', count: { per_slot: 1 } }], attributes: { system: { duration: 0 } } };
    // The node is known but down: the job is accepted and waits.
    const { ids } = await p.services.jobs.submit(caller, { jobspecs: [jobspec] });
    await p.scheduler.settle();
    expect((await p.services.jobs.info(caller, ids[0]!)).state).toBe('SCHED');
    await p.stop();
    // A new control plane (a restart) finds it in the queue, and allocates it when the node comes up.
    const q = await plane(iid);
    await q.scheduler.trigger();
    expect(q.scheduler.queueLength).toBe(1);
    await q.tables.nodes.update(iid, 'n0', { online: true });
    q.scheduler.nodeChanged((await q.tables.nodes.get(iid, 'n0'))!);
    await q.scheduler.settle();
    expect((await q.services.jobs.info(caller, ids[0]!)).state).toBe('RUN');
    await q.stop();
  });
});

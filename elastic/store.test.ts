// store.test.ts - the DynamoDB elastic store on DynamoDB Local: a launch is recorded once (conditional put), updated,
// listed and deleted under the instance's partition; the loop state is written conditionally on its version.
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestTable } from '../test/support/dynamo.ts';
import { DynamoElasticStore, emptyState, type LaunchRecord } from './store.ts';

let store: DynamoElasticStore;

beforeAll(async () => {
  const t = await createTestTable('elastic');
  store = new DynamoElasticStore({ doc: t.doc, table: t.tableName });
});

const rec: LaunchRecord = {
  launchId: 'l-1', pool: 'burst', instanceType: 'c6i.xlarge', count: 2, capacityType: 'on-demand', forJobs: ['ƒa'], reason: 'because',
  pricePerHour: 0.17, since: 100, state: 'launching', attempts: 0,
};

describe('DynamoElasticStore', () => {
  it('records a launch once, updates, lists and deletes it', async () => {
    expect(await store.putLaunch('i1', rec)).toBe(true);
    expect(await store.putLaunch('i1', { ...rec, count: 9 })).toBe(false);
    await store.updateLaunch('i1', 'l-1', { state: 'launched', instanceIds: ['a', 'b'] });
    await store.updateLaunch('i1', 'l-missing', { state: 'launched' });
    expect(await store.listLaunches('i1')).toEqual([{ ...rec, state: 'launched', instanceIds: ['a', 'b'] }]);
    expect(await store.listLaunches('i2')).toEqual([]);
    await store.deleteLaunch('i1', 'l-1');
    expect(await store.listLaunches('i1')).toEqual([]);
  });

  it('writes the loop state conditionally on the version it read', async () => {
    const a = await store.getState('i3');
    expect(a).toEqual(emptyState());
    const b = await store.getState('i3');
    a.idle = { n1: 5 };
    expect(await store.putState('i3', a)).toBe(true);
    expect(a.ver).toBe(1);
    b.idle = { n2: 6 };
    expect(await store.putState('i3', b)).toBe(false);
    expect((await store.getState('i3')).idle).toEqual({ n1: 5 });
  });
});

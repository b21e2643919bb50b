// fake.test.ts - the recording fake honours the CloudProvider contract (idempotent create, all-or-nothing with a
// placement group, partial capacity, typed errors) and fails on demand.
import { describe, expect, it } from 'vitest';
import { twoPools } from '../policy/testing.ts';
import { isCloudPool } from '../config.ts';
import {
  InstanceNotFoundError,
  InsufficientCapacityError,
  LimitExceededError,
  type LaunchRequest,
  ignoreInstanceNotFound,
  isInstanceNotFound,
  isInsufficientCapacity,
  isLimitExceeded,
} from '../provider.ts';
import { FlurryError, withContext } from '../../control/core/errors.ts';
import { FakeProvider } from './fake.ts';

const pool = twoPools().pools.find(isCloudPool)!;
const req = (over: Partial<LaunchRequest> = {}): LaunchRequest => ({ launchId: 'l-1', pool, instanceType: 'c6i.2xlarge', count: 3, capacityType: 'on-demand', ...over });

describe('FakeProvider', () => {
  it('creates idempotently per launchId and records calls', async () => {
    const p = new FakeProvider({ now: () => 42 });
    const a = await p.create(req());
    const b = await p.create(req());
    expect(a).toHaveLength(3);
    expect(b.map((i) => i.id)).toEqual(a.map((i) => i.id));
    expect(a[0]).toMatchObject({ launchId: 'l-1', pool: 'burst', state: 'pending', launchedAt: 42 });
    expect(p.callsOf('create')).toHaveLength(2);
    expect(await p.list()).toHaveLength(3);
  });

  it('fails next when told to, and a failed create does not consume the launchId', async () => {
    const p = new FakeProvider();
    p.failNext('create', new InsufficientCapacityError({ instanceType: 'c6i.2xlarge', capacityType: 'spot', zone: 'az-a' }));
    const err = await p.create(req()).catch((e: unknown) => e);
    expect(isInsufficientCapacity(err)).toBe(true);
    expect((err as InsufficientCapacityError).offering).toEqual({ instanceType: 'c6i.2xlarge', capacityType: 'spot', zone: 'az-a' });
    expect((err as Error).message).toBe('insufficient capacity for c6i.2xlarge spot in az-a');
    expect(await p.create(req())).toHaveLength(3);
  });

  it('launches partially without a placement group, all or nothing with one', async () => {
    const p = new FakeProvider();
    p.capacityPerCall = 2;
    expect(await p.create(req())).toHaveLength(2);
    expect(await p.create(req({ launchId: 'l-2', placementGroup: 'pg' }))).toHaveLength(3);
  });

  it('deletes idempotently; unknown instances are InstanceNotFoundError', async () => {
    const p = new FakeProvider();
    const [i] = await p.create(req({ count: 1 }));
    await p.delete(i!.id);
    await p.delete(i!.id);
    expect((await p.get(i!.id)).state).toBe('terminated');
    expect(await p.list()).toEqual([]);
    const err = await p.delete('i-nope').catch((e: unknown) => e);
    expect(isInstanceNotFound(err)).toBe(true);
    expect(ignoreInstanceNotFound(err)).toBeUndefined();
  });

  it('returns the pool types from the catalog unless told otherwise', async () => {
    const p = new FakeProvider();
    expect((await p.getInstanceTypes(pool)).map((t) => t.name)).toEqual(['c6i.xlarge', 'c6i.2xlarge', 'c6i.4xlarge']);
  });
});

describe('typed errors', () => {
  it('are FlurryErrors with codes, found through cause chains', () => {
    const limit = new LimitExceededError('vCPU quota', '128 of 128 used');
    expect(limit).toBeInstanceOf(FlurryError);
    expect(limit.code).toBe('limit_exceeded');
    expect(isLimitExceeded(new Error('launching', { cause: limit }))).toBe(true);
    expect(isLimitExceeded(new Error('other'))).toBe(false);
    const nf = withContext('terminating', new InstanceNotFoundError('i-1'));
    expect(nf.message).toBe('terminating: instance i-1 not found');
    expect(isInstanceNotFound(nf)).toBe(true);
    expect(isInsufficientCapacity(undefined)).toBe(false);
  });
});

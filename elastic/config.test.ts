// config.test.ts - the pools file: defaults, durations in FSD, and errors that name the field path.
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../control/core/errors.ts';
import { catalogFor, isCloudPool, loadElasticConfig, parseElasticConfig } from './config.ts';

const EXAMPLE = `
batch: { idle: 1s, max: 10s }
maxSpendPerHour: 50
pools:
  - name: onprem
    provider: static
  - name: burst
    provider: ec2
    instanceTypes: [hpc6a.48xlarge, c6i.32xlarge]
    min: 0
    max: 4
    capacityType: on-demand
    efa: true
    subnets: [subnet-aaa, { id: subnet-bbb, zone: us-east-2b }]
    idleTimeout: 5m
    maxWaitBeforeBurst: 60s
    joinTimeout: 10m
    joinUrl: wss://head.example.org:8443
    properties: [burst]
  - name: laptop
    provider: local
    max: 2
    local: { startupDelay: 2s, cores: 4, gpus: 0, memoryMB: 8192 }
`;

function errorOf(fn: () => unknown): InvalidInputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidInputError) return err;
    throw err;
  }
  throw new Error('expected an InvalidInputError');
}

const pool = (over: Record<string, unknown>) => ({ pools: [{ name: 'b', provider: 'sim', instanceTypes: ['c6i.2xlarge'], max: 2, ...over }] });

describe('loadElasticConfig', () => {
  it('reads the documented example', () => {
    const c = loadElasticConfig(EXAMPLE);
    expect(c.batch).toEqual({ idle: 1, max: 10 });
    expect(c.maxSpendPerHour).toBe(50);
    expect(c.pools[0]).toEqual({ name: 'onprem', provider: 'static', properties: [] });
    const burst = c.pools[1]!;
    expect(isCloudPool(burst) && burst).toMatchObject({
      provider: 'ec2',
      max: 4,
      efa: true,
      idleTimeout: 300,
      maxWaitBeforeBurst: 60,
      joinTimeout: 600,
      subnets: [{ id: 'subnet-aaa' }, { id: 'subnet-bbb', zone: 'us-east-2b' }],
      properties: ['burst'],
    });
    const laptop = c.pools[2]!;
    expect(isCloudPool(laptop) && laptop.instanceTypes).toEqual(['local.laptop']);
    expect(catalogFor(c).get('local.laptop')).toMatchObject({ cores: 4, memoryMB: 8192, onDemandPrice: 0 });
  });

  it('reads JSON too, and fills defaults', () => {
    const c = loadElasticConfig(JSON.stringify(pool({})));
    expect(c.batch).toEqual({ idle: 1, max: 10 });
    expect(c.insufficientCapacityTTL).toBe(180);
    expect(c.pools[0]).toMatchObject({ min: 0, capacityType: 'on-demand', efa: false, idleTimeout: 300, maxWaitBeforeBurst: 60, joinTimeout: 600 });
  });

  it.each([
    [pool({ min: 3 }), 'pools[0].max: must be ≥ min (3)'],
    [pool({ max: -1 }), 'pools[0].max: must be ≥ 0'],
    [pool({ max: 1.5 }), 'pools[0].max: must be an integer'],
    [pool({ idleTimeout: 'soon' }), 'pools[0].idleTimeout: must be a duration such as 30s, 5m, 1.5h (RFC 23) or a number of seconds'],
    [pool({ joinTimeout: 'inf' }), 'pools[0].joinTimeout: must be a finite duration ≥ 0'],
    [pool({ instanceTypes: ['c9.huge'] }), 'pools[0].instanceTypes[0]: unknown instance type "c9.huge" (add it under catalog:)'],
    [pool({ efa: true }), 'pools[0].instanceTypes[0]: c6i.2xlarge does not support EFA (the pool has efa: true)'],
    [pool({ capacityType: 'spot', instanceTypes: ['hpc6a.48xlarge'] }), 'pools[0].instanceTypes[0]: hpc6a.48xlarge has no spot offering (capacityType: spot)'],
    [pool({ capacityType: 'cheap' }), 'pools[0].capacityType: must be "on-demand" or "spot" or "spot-then-on-demand"'],
    [pool({ subnets: ['s-1'] }), 'pools[0].subnets: only ec2 pools take subnets'],
    [pool({ maxx: 3 }), 'pools[0].maxx: unknown key'],
    [pool({ provider: 'gce' }), 'pools[0].provider: must be "static" or "local" or "ec2" or "sim"'],
    [pool({ joinUrl: 'http://x' }), 'pools[0].joinUrl: must be a ws:// or wss:// URL'],
    [{ pools: [{ name: 'b', provider: 'sim', max: 2 }] }, 'pools[0].instanceTypes: is required'],
    [{ pools: [{ name: 'l', provider: 'local', max: 2 }] }, 'pools[0].local: is required for a local pool (cores, memoryMB)'],
    [{ pools: [{ name: 'a', provider: 'static' }, { name: 'a', provider: 'static' }] }, 'pools[1].name: duplicate pool name "a" (also pools[0])'],
    [{ pools: [{ name: 'a', provider: 'static', max: 2 }] }, 'pools[0].max: unknown key'],
    [{ pools: [] }, 'pools: must have at least 1 entry'],
    [{ batch: { idle: '20s' }, pools: [{ name: 'a', provider: 'static' }] }, 'batch.idle: must be ≤ batch.max (10s)'],
    [{ catalog: [{ name: 'x1.huge', cores: 4 }], pools: [{ name: 'a', provider: 'static' }] }, 'catalog[0].memoryMB: is required for a type not in the built-in catalog (x1.huge)'],
  ])('rejects %j with "%s"', (obj, message) => {
    expect(errorOf(() => parseElasticConfig(obj)).message).toBe(message);
  });

  it('reports YAML syntax errors', () => {
    expect(errorOf(() => loadElasticConfig('pools: [')).message).toMatch(/^not valid YAML or JSON/);
  });

  it('takes ec2.launchTemplate as an id, a name, or {id | name, version}', () => {
    const lt = (launchTemplate: unknown) => {
      const c = parseElasticConfig({ pools: [{ name: 'c', provider: 'ec2', instanceTypes: ['c6i.large'], max: 1, ec2: { launchTemplate } }] });
      return (c.pools[0] as { ec2?: { launchTemplate?: unknown } }).ec2?.launchTemplate;
    };
    expect(lt('lt-0123456789abcdef0')).toEqual({ id: 'lt-0123456789abcdef0' });
    expect(lt('flurry-agents')).toEqual({ name: 'flurry-agents' });
    expect(lt({ name: 'flurry-agents', version: 3 })).toEqual({ name: 'flurry-agents', version: '3' });
    expect(lt({ id: 'lt-0123456789abcdef0', version: '$Latest' })).toEqual({ id: 'lt-0123456789abcdef0', version: '$Latest' });
    expect(errorOf(() => lt({ version: 2 })).message).toBe('pools[0].ec2.launchTemplate: give exactly one of id and name');
    expect(errorOf(() => lt({ id: 'lt-1', name: 'x' })).message).toBe('pools[0].ec2.launchTemplate: give exactly one of id and name');
  });

  it('merges catalog overrides field by field and accepts new types', () => {
    const c = parseElasticConfig({
      catalog: [{ name: 'c6i.2xlarge', onDemandPrice: 0.3 }, { name: 'x1.huge', cores: 4, memoryMB: 8192, onDemandPrice: 1 }],
      pools: [{ name: 'b', provider: 'sim', instanceTypes: ['x1.huge', 'c6i.2xlarge'], max: 2 }],
    });
    const cat = catalogFor(c);
    expect(cat.get('c6i.2xlarge')).toMatchObject({ cores: 4, onDemandPrice: 0.3, spotPrice: 0.14 });
    expect(cat.get('x1.huge')).toMatchObject({ cores: 4, gpus: 0, efa: false, arch: 'x86_64' });
  });
});

// feasibility.test.ts - which requests elastic pools could ever run, and the words for those they could not: the
// scheduler accepts the first kind and refuses the second with these reasons.
import { describe, expect, it } from 'vitest';
import type { ResourceRequest } from '../control/core/resource/types.ts';
import { parseElasticConfig } from './config.ts';
import { elasticFeasibility } from './feasibility.ts';

const config = parseElasticConfig({
  pools: [
    { name: 'onprem', provider: 'static' },
    { name: 'cpu', provider: 'sim', instanceTypes: ['c6i.2xlarge', 'c6i.8xlarge'], max: 4 },
    { name: 'gpu', provider: 'sim', instanceTypes: ['g5.12xlarge'], max: 2, properties: ['cuda'] },
  ],
});
const f = elasticFeasibility(config);
const req = (over: Partial<ResourceRequest>): ResourceRequest => ({ nodes: 1, slots: 1, coresPerSlot: 1, gpusPerSlot: 0, exclusive: false, ...over });

describe('canGrow', () => {
  it('accepts what one pool could hold on fresh nodes, within its max', () => {
    expect(f.canGrow(req({ coresPerSlot: 16 }))).toBe(true); // c6i.8xlarge: 16 cores
    expect(f.canGrow(req({ nodes: 4, coresPerSlot: 16 }))).toBe(true);
    expect(f.canGrow(req({ gpusPerSlot: 4 }))).toBe(true);
    expect(f.canGrow(req({ nodes: undefined, slots: 64, coresPerSlot: 1 }))).toBe(true); // 4 × 16 cores
    expect(f.canGrow(req({ constraint: { properties: ['cuda'] } }))).toBe(true);
  });

  it('refuses what no pool could ever hold', () => {
    expect(f.canGrow(req({ coresPerSlot: 25 }))).toBe(false); // the biggest type, g5.12xlarge, has 24
    expect(f.canGrow(req({ nodes: 5, coresPerSlot: 16 }))).toBe(false);
    expect(f.canGrow(req({ gpusPerSlot: 8 }))).toBe(false);
    expect(f.canGrow(req({ constraint: { properties: ['fpga'] } }))).toBe(false);
  });
});

describe('whyNot', () => {
  it('names what is missing', () => {
    expect(f.whyNot(req({ gpusPerSlot: 8 }))).toBe("no pool's instance types have 8 GPUs (the most is 4)");
    expect(f.whyNot(req({ coresPerSlot: 48 }))).toBe("no pool's instance types have 48 cores (the most is 24)");
    expect(f.whyNot(req({ nodes: 5, coresPerSlot: 16 }))).toBe('it needs 5 nodes of c6i.8xlarge, and pool cpu has max 4');
    expect(f.whyNot(req({ constraint: { properties: ['fpga'] } }))).toBe("no pool's nodes satisfy the job's constraint");
  });

  it('says when there is no cloud pool at all', () => {
    const none = elasticFeasibility(parseElasticConfig({ pools: [{ name: 'onprem', provider: 'static' }] }));
    expect(none.canGrow(req({}))).toBe(false);
    expect(none.whyNot(req({}))).toBe('no elastic pool is configured that could launch nodes');
  });
});

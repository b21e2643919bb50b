// rv1.test.ts - building, validating and reading R version 1 (RFC 20).
import { describe, expect, it } from 'vitest';
import { buildRv1, coresOnRank, gpusOnRank, hostnames, nodeCount, parseRv1, rankList, rankShares } from './rv1.ts';
import { InvalidInputError } from '../errors.ts';

const R = buildRv1(
  [
    { rank: 3, hostname: 'n3', cores: [0, 1, 2, 3], gpus: [], properties: ['efa'] },
    { rank: 1, hostname: 'n1', cores: [0, 1, 2, 3], gpus: [], properties: ['efa', 'spot'] },
    { rank: 2, hostname: 'n2', cores: [4, 5], gpus: [1], properties: [] },
  ],
  100,
  160,
);

describe('buildRv1', () => {
  it('groups ranks with identical children, in rank order', () => {
    expect(R).toEqual({
      version: 1,
      execution: {
        R_lite: [
          { rank: '1,3', children: { core: '0-3' } },
          { rank: '2', children: { core: '4-5', gpu: '1' } },
        ],
        nodelist: ['n[1-3]'],
        starttime: 100,
        expiration: 160,
        properties: { efa: '1,3', spot: '1' },
      },
    });
  });

  it('reads back ranks, cores, GPUs and hostnames', () => {
    expect(rankList(R)).toEqual([1, 2, 3]);
    expect(nodeCount(R)).toBe(3);
    expect(coresOnRank(R, 3)).toEqual([0, 1, 2, 3]);
    expect(gpusOnRank(R, 2)).toEqual([1]);
    expect(coresOnRank(R, 9)).toEqual([]);
    expect(hostnames(R)).toEqual(['n1', 'n2', 'n3']);
    expect([...rankShares(R).keys()]).toEqual([1, 2, 3]);
  });

  it('omits the nodelist and properties of an empty set', () => {
    expect(buildRv1([], 5, 0).execution).toEqual({ R_lite: [], nodelist: [], starttime: 5, expiration: 0 });
  });
});

describe('parseRv1', () => {
  it('accepts what buildRv1 makes, and a JSON round trip', () => {
    expect(parseRv1(JSON.parse(JSON.stringify(R)))).toEqual(R);
  });

  it('defaults missing nodelist and times', () => {
    const r = parseRv1({ version: 1, execution: { R_lite: [{ rank: '0', children: { core: '0' } }] } });
    expect(r.execution).toEqual({ R_lite: [{ rank: '0', children: { core: '0' } }], nodelist: [], starttime: 0, expiration: 0 });
  });

  it.each([
    [null, 'R'],
    [{ version: 2, execution: { R_lite: [] } }, 'R.version'],
    [{ version: 1 }, 'R.execution'],
    [{ version: 1, execution: { R_lite: {} } }, 'R.execution.R_lite'],
    [{ version: 1, execution: { R_lite: [{ rank: 'x', children: {} }] } }, 'R.execution.R_lite[0].rank'],
    [{ version: 1, execution: { R_lite: [{ rank: '', children: {} }] } }, 'R.execution.R_lite[0].rank'],
    [{ version: 1, execution: { R_lite: [{ rank: '0-1', children: {} }, { rank: '1', children: {} }] } }, 'R.execution.R_lite[1].rank'],
    [{ version: 1, execution: { R_lite: [{ rank: '0', children: { core: '3-1' } }] } }, 'R.execution.R_lite[0].children.core'],
    [{ version: 1, execution: { R_lite: [{ rank: '0', children: 5 }] } }, 'R.execution.R_lite[0].children'],
    [{ version: 1, execution: { R_lite: [{ rank: '0-1', children: {} }], nodelist: ['n0'] } }, 'R.execution.nodelist'],
    [{ version: 1, execution: { R_lite: [], nodelist: [3] } }, 'R.execution.nodelist'],
    [{ version: 1, execution: { R_lite: [], starttime: -1 } }, 'R.execution.starttime'],
    [{ version: 1, execution: { R_lite: [], starttime: 10, expiration: 5 } }, 'R.execution.expiration'],
    [{ version: 1, execution: { R_lite: [], properties: { efa: 'zz' } } }, 'R.execution.properties.efa'],
  ])('rejects %j at %s', (obj, field) => {
    try {
      parseRv1(obj);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).field).toBe(field);
    }
  });
});

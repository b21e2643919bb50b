// elastic.test.ts - `flurry elastic status`: the text layout of a status, the not-configured answer, and the fetch
// (bearer token, error mapping) against a small HTTP server standing in for the API.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { ElasticStatus } from '../../../control/services.ts';
import { fetchElasticStatus, formatElasticStatus } from './elastic.ts';

const NOW = 1_700_000_100;
const STATUS: ElasticStatus = {
  enabled: true,
  pools: [
    { name: 'onprem', provider: 'static', counts: { up: 2, drained: 0, down: 0, joining: 0 }, nodes: [{ name: 'n1', state: 'up' }, { name: 'n2', state: 'up' }] },
    {
      name: 'burst', provider: 'ec2', min: 0, max: 8, instanceTypes: ['c6i.2xlarge'], counts: { up: 0, drained: 1, down: 0, joining: 2 },
      nodes: [{ name: 'burst-1', state: 'drained', instanceId: 'i-1', drainReason: 'elastic: idle for 5m' }],
      held: { why: 'limit exceeded: VcpuLimitExceeded', until: NOW + 90 },
    },
  ],
  launches: [{ launchId: 'l-1', pool: 'burst', instanceType: 'c6i.2xlarge', capacityType: 'spot', count: 2, pending: 2, state: 'launched', since: NOW - 35, instanceIds: ['i-2', 'i-3'], reason: 'r' }],
  decisions: [{ at: NOW - 35, action: 'launch', pool: 'burst', launchId: 'l-1', text: '2 jobs (ƒa, ƒb) need 1 node × 4 cores each' }],
  unavailable: [{ instanceType: 'c6i.xlarge', capacityType: 'spot', subnet: 'subnet-1', until: NOW + 60 }],
  lastPass: { at: NOW - 2, ms: 14, notes: ['batching 1 job (ƒc): window closes at +1s'] },
};

describe('formatElasticStatus', () => {
  it('shows pools, launches in flight, skipped offerings and decisions', () => {
    const text = formatElasticStatus(STATUS, NOW);
    const lines = text.split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'POOL    PROVIDER  UP  DRAINED  DOWN  JOINING  MIN  MAX  NODES',
      'onprem  static     2        0     0        0    -    -  n[1-2]',
      'burst   ec2        0        1     0        2    0    8  burst-1',
    ]);
    expect(text).toContain('  burst: launches held for 90s more: limit exceeded: VcpuLimitExceeded\n');
    expect(text).toContain('  burst-1 drained: elastic: idle for 5m\n');
    expect(text).toContain('LAUNCHES IN FLIGHT\nLAUNCH  POOL   TYPE         CAPACITY  COUNT  PENDING  AGE  STATE\nl-1     burst  c6i.2xlarge  spot          2        2  35s  launched\n');
    expect(text).toContain('SKIPPED OFFERINGS (insufficient capacity)\nc6i.xlarge spot (subnet-1) for 60s more\n');
    expect(text).toMatch(/RECENT DECISIONS \(newest last\)\n\d\d:\d\d:\d\d {2}launch {5}burst l-1: 2 jobs \(ƒa, ƒb\) need 1 node × 4 cores each\n/);
    expect(text).toContain('last pass 2s ago (14 ms); policy notes:\n  batching 1 job (ƒc): window closes at +1s\n');
  });

  it('says when the instance has no elastic loop', () => {
    expect(formatElasticStatus({ enabled: false, pools: [], launches: [], decisions: [], unavailable: [] }, NOW)).toBe(
      'elastic: not configured on this instance (start it with flurry start --elastic FILE)\n',
    );
  });
});

describe('fetchElasticStatus', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  async function serve(status: number, body: unknown): Promise<{ uri: string; seen: Array<{ url?: string; auth?: string }> }> {
    const seen: Array<{ url?: string; auth?: string }> = [];
    server = createServer((req, res) => {
      seen.push({ url: req.url, auth: req.headers.authorization });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const addr = server.address() as { port: number };
    return { uri: `http://127.0.0.1:${addr.port}`, seen };
  }

  it('GETs /v1/elastic with the bearer token', async () => {
    const { uri, seen } = await serve(200, STATUS);
    expect(await fetchElasticStatus({ uri }, { FLURRY_TOKEN: 'tok' })).toEqual(STATUS);
    expect(seen).toEqual([{ url: '/v1/elastic', auth: 'Bearer tok' }]);
  });

  it("prints the server's refusal", async () => {
    const { uri } = await serve(403, { error: { code: 'forbidden', message: 'only the instance owner may see the elastic status' } });
    await expect(fetchElasticStatus({ uri }, { FLURRY_TOKEN: 'tok' })).rejects.toThrow('only the instance owner may see the elastic status');
  });
});

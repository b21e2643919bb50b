// host.test.ts - the elastic host's scheduling (a trigger runs a pass soon, passes never overlap, a batch window's
// close runs one at once), which requests only cloud pools can serve, and the pools-file reader's errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseElasticConfig } from './config.ts';
import { FakeSource, MemoryNodes, pendingJob } from './executor/testing.ts';
import { ElasticHost, elasticCanServe, readElasticConfigFile, type PassReport } from './host.ts';
import { FakeProvider } from './providers/fake.ts';
import { MemoryElasticStore } from './store.ts';

const config = parseElasticConfig({
  batch: { idle: '0.3s', max: '2s' },
  pools: [
    { name: 'onprem', provider: 'static' },
    { name: 'hpc', provider: 'sim', instanceTypes: ['hpc6a.48xlarge'], efa: true, max: 4, maxWaitBeforeBurst: 0 },
  ],
});

const hosts: ElasticHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop();
});

function host(source: FakeSource, reports: PassReport[]): ElasticHost {
  const h = new ElasticHost({
    iid: 'i1', config, store: new MemoryElasticStore(), nodes: new MemoryNodes(), source, providers: new Map([['hpc', new FakeProvider({ now: () => Date.now() / 1000 })]]),
    clock: () => Date.now() / 1000, intervalSeconds: 60, debounceMs: 20, onPass: (r) => reports.push(r),
  });
  hosts.push(h);
  return h;
}

describe('ElasticHost', () => {
  it('runs a pass soon after a trigger, and again when the batch window closes, without overlapping passes', async () => {
    const source = new FakeSource();
    const reports: PassReport[] = [];
    const h = host(source, reports);
    source.pending = [pendingJob('ƒa', 96, Date.now() / 1000)];
    h.trigger('jobs queued');
    h.trigger('jobs queued');
    const t0 = Date.now();
    while (!reports.some((r) => r.launched.length) && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 10));
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports[0]!.decisions.notes.join()).toContain('batching 1 job');
    const launchedAfter = (Date.now() - t0) / 1000;
    expect(launchedAfter).toBeLessThan(1.5); // the window (0.3 s) closes and a pass runs then, not at the 60 s interval
    for (let i = 1; i < reports.length; i++) expect(reports[i]!.at).toBeGreaterThanOrEqual(reports[i - 1]!.at + reports[i - 1]!.ms / 1000 - 0.01);
  });
});

describe('elasticCanServe', () => {
  it('says whether some cloud pool could ever run a request', () => {
    const can = elasticCanServe(config);
    expect(can({ nodes: 4, slots: 1, coresPerSlot: 96, gpusPerSlot: 0, exclusive: true })).toBe(true);
    expect(can({ nodes: 5, slots: 1, coresPerSlot: 96, gpusPerSlot: 0, exclusive: true })).toBe(false);
    expect(can({ slots: 1, coresPerSlot: 1, gpusPerSlot: 1, exclusive: false })).toBe(false);
    expect(can({ slots: 2, coresPerSlot: 1, gpusPerSlot: 0, exclusive: false, constraint: { properties: ['efa'] } })).toBe(true);
  });
});

describe('readElasticConfigFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flurry-pools-'));

  it('names the file and the field', () => {
    const path = join(dir, 'pools.yaml');
    writeFileSync(path, 'pools:\n  - {name: burst, provider: local, max: 2, idelTimeout: 5s, local: {cores: 1, memoryMB: 64}}\n');
    expect(() => readElasticConfigFile(path)).toThrow(`${path}: `);
    expect(() => readElasticConfigFile(path)).toThrow(/idelTimeout/);
    expect(() => readElasticConfigFile(join(dir, 'missing.yaml'))).toThrow('missing.yaml: no such file');
    rmSync(dir, { recursive: true, force: true });
  });
});

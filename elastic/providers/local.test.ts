// local.test.ts - the local provider with a stand-in for `flurry agent` (a Node process that records its arguments):
// startup delay, idempotency by launch id, the join token in the environment only, SIGTERM on delete, and a restarted
// provider finding the agents it started.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CloudPoolConfig, parseElasticConfig } from '../config.ts';
import { InstanceNotFoundError } from '../provider.ts';
import { LocalProvider } from './local.ts';

const config = parseElasticConfig({
  pools: [{ name: 'burst', provider: 'local', max: 4, properties: ['ssd'], local: { cores: 2, memoryMB: 1024, startupDelay: 0.3 } }],
});
const pool = config.pools[0] as CloudPoolConfig;
/** Writes its argv and FLURRY_JOIN_TOKEN to <state-dir>/seen.json, then waits for SIGTERM. */
const STAND_IN = [
  process.execPath,
  '-e',
  `const a = process.argv.slice(1); const dir = a[a.indexOf('--state-dir') + 1];
   require('node:fs').writeFileSync(dir + '/seen.json', JSON.stringify({ argv: a, token: process.env.FLURRY_JOIN_TOKEN }));
   process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);`,
  '--',
];

let dir: string;
let providers: LocalProvider[];

function make(): LocalProvider {
  const p = new LocalProvider({ uri: 'http://127.0.0.1:9', joinToken: async (pl) => `token-for-${pl.name}`, stateDir: dir, command: STAND_IN, graceMs: 2000 });
  providers.push(p);
  return p;
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flurry-local-provider-'));
  providers = [];
});
afterEach(async () => {
  for (const p of providers) await p.deleteAll().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('LocalProvider', () => {
  it('starts agents after the startup delay, once per launch id, with the inventory and a pool token in the environment', async () => {
    const p = make();
    const req = { launchId: 'l-1', pool, instanceType: 'local.burst', count: 2, capacityType: 'on-demand' as const };
    const made = await p.create(req);
    expect(made.map((i) => [i.id, i.nodeName, i.state])).toEqual([
      ['lc-burst-1', 'burst-1', 'pending'],
      ['lc-burst-2', 'burst-2', 'pending'],
    ]);
    expect((await p.create(req)).map((i) => i.id)).toEqual(['lc-burst-1', 'lc-burst-2']);
    const seenFile = join(dir, 'agents', 'burst-1', 'seen.json');
    expect(existsSync(seenFile)).toBe(false); // still in its startup delay
    await until(() => existsSync(seenFile));
    const seen = JSON.parse(readFileSync(seenFile, 'utf8')) as { argv: string[]; token: string };
    expect(seen.token).toBe('token-for-burst');
    expect(seen.argv.join(' ')).not.toContain('token-for-burst');
    expect(seen.argv).toEqual([
      'agent', '--uri', 'http://127.0.0.1:9', '--hostname', 'burst-1', '--cores', '2', '--gpus', '0', '--memory', '1024',
      '--state-dir', join(dir, 'agents', 'burst-1'), '--property', 'local.burst', '--property', 'x86_64', '--property', 'ssd',
    ]);
    expect((await p.list()).map((i) => i.state)).toEqual(['running', 'running']);
  });

  it('deletes with SIGTERM; deleting again is fine, an unknown id is not found', async () => {
    const p = make();
    const [inst] = await p.create({ launchId: 'l-2', pool, instanceType: 'local.burst', count: 1, capacityType: 'on-demand' });
    const pid = p.pids().get(inst!.id)!;
    await until(() => existsSync(join(dir, 'agents', 'burst-1', 'seen.json')));
    await p.delete(inst!.id);
    expect(() => process.kill(pid, 0)).toThrow();
    expect(await p.list()).toEqual([]);
    await p.delete(inst!.id);
    await expect(p.delete('lc-nope')).rejects.toBeInstanceOf(InstanceNotFoundError);
  });

  it('after a restart, finds the agents it started (and their launch) from its state directory', async () => {
    const first = make();
    await first.create({ launchId: 'l-3', pool, instanceType: 'local.burst', count: 1, capacityType: 'on-demand' });
    const again = make();
    expect((await again.list()).map((i) => [i.id, i.launchId])).toEqual([['lc-burst-1', 'l-3']]);
    expect((await again.create({ launchId: 'l-3', pool, instanceType: 'local.burst', count: 1, capacityType: 'on-demand' })).map((i) => i.id)).toEqual(['lc-burst-1']);
    const [next] = await again.create({ launchId: 'l-4', pool, instanceType: 'local.burst', count: 1, capacityType: 'on-demand' });
    expect(next!.nodeName).toBe('burst-2');
    await again.deleteAll();
    expect(await first.list()).toEqual([]);
  });
});

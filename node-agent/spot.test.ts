// spot.test.ts - the EC2 spot interruption watch (agent protocol 4.4) against a fake IMDSv2 on an ephemeral port.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readMetadata, startSpotWatch } from './spot.ts';

let server: Server;
let base: string;
let notice: string | null;
let tokens = 0;
const seen: string[] = [];

beforeEach(async () => {
  notice = null;
  tokens = 0;
  seen.length = 0;
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.method === 'PUT' && req.url === '/latest/api/token') {
      tokens++;
      return res.end(`token-${tokens}`);
    }
    if (req.headers['x-aws-ec2-metadata-token'] !== `token-${tokens}`) return res.writeHead(401).end();
    if (req.url === '/latest/meta-data/instance-id') return res.end('i-0123');
    if (req.url === '/latest/meta-data/spot/instance-action') return notice ? res.end(notice) : res.writeHead(404).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

/** GET requests the fake IMDS has served. */
const gets = (): number => seen.filter((s) => s.startsWith('GET')).length;

/** Resolves once `predicate()` holds (checked every 5 ms); fails after 1.5 s. */
async function until(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 1500;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met within 1.5 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

afterEach(async () => {
  await new Promise((r) => server.close(r));
});

describe('4.4 spot interruption', () => {
  it('polls with an IMDSv2 token and reports a notice once, with its time', async () => {
    const got: Array<[number, string]> = [];
    const watch = startSpotWatch({ baseUrl: base, intervalMs: 20, onInterruption: (at, action) => got.push([at, action]) });
    await until(() => gets() >= 2);
    expect(got).toEqual([]);
    notice = JSON.stringify({ action: 'terminate', time: '2030-01-01T00:02:00Z' });
    await until(() => got.length > 0);
    const polls = gets();
    await new Promise((r) => setTimeout(r, 60));
    watch.stop();
    expect(got).toEqual([[Date.parse('2030-01-01T00:02:00Z') / 1000, 'terminate']]);
    expect(gets()).toBe(polls); // no polling after the notice
    expect(tokens).toBe(1);
  });

  it('fetches a new token when the old one is refused', async () => {
    const got: number[] = [];
    const watch = startSpotWatch({ baseUrl: base, intervalMs: 20, onInterruption: (at) => got.push(at) });
    await until(() => gets() >= 1);
    tokens += 10; // invalidates the agent's token
    notice = JSON.stringify({ action: 'stop', time: '2030-01-01T00:00:00Z' });
    await until(() => got.length > 0);
    watch.stop();
    expect(got).toEqual([Date.parse('2030-01-01T00:00:00Z') / 1000]);
  });

  it('reads other metadata, such as the instance id', async () => {
    expect(await readMetadata('instance-id', { baseUrl: base })).toBe('i-0123');
    expect(await readMetadata('nothing-here', { baseUrl: base })).toBeNull();
  });
});

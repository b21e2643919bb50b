// watch-link.test.ts - the watch link's wiring on a plain HTTP server with fake services: upgrades routed to it
// become sessions; other paths never reach it.
import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeServices, OWNER } from '../control/api/fake-services.ts';
import { LocalNotifier } from '../control/jobs/notifier.ts';
import { WATCH_PATH, WsWatchLink } from './watch-link.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? (server.closeAllConnections(), server.close(() => r())) : r())));

async function start() {
  const fake = new FakeServices();
  const otherPaths: string[] = [];
  server = createServer();
  const link = new WsWatchLink({ services: fake.services, notifier: new LocalNotifier() });
  // The control server's upgrade router (local/control-server.ts): /v1/watch to this link, other paths elsewhere.
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    if ((req.url ?? '').split('?')[0] === WATCH_PATH) return link.handleUpgrade(req, socket, head);
    otherPaths.push(req.url ?? '');
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const open = (path: string, headers: Record<string, string> = {}) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    const first = new Promise<unknown>((resolve, reject) => {
      ws.once('message', (d) => resolve(JSON.parse(d.toString())));
      ws.once('error', reject);
    });
    return { ws, first };
  };
  return { fake, link, otherPaths, open };
}

describe('WsWatchLink', () => {
  it('serves the upgrades routed to it; a refused path never reaches it', async () => {
    const { open, otherPaths, link } = await start();
    const w = open('/v1/watch', { authorization: 'Bearer tok-owner' });
    expect(await w.first).toEqual({ type: 'ready', user: OWNER.user, role: 'owner' });
    expect(link.connections).toBe(1);
    const a = open('/v1/agent?x=1');
    await expect(a.first).rejects.toThrow(/404/);
    expect(otherPaths).toEqual(['/v1/agent?x=1']);
    expect(link.connections).toBe(1);
    w.ws.close();
  });

});

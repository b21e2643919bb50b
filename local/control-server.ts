// control-server.ts - the control plane as a long-lived Node process (local mode and on-prem head nodes): the Hono
// app on @hono/node-server, the agent link and the clients' watch link on the same port, the in-process scheduler,
// and the reaper timer.
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { createServer as createHttpsServer } from 'node:https';
import { createAdaptorServer } from '@hono/node-server';
import { createApp } from '../control/api/app.ts';
import { MemoryRegistry } from '../control/agents/memory-registry.ts';
import { LocalNotifier } from '../control/jobs/notifier.ts';
import { createControlPlane, type ControlPlane } from '../control/plane.ts';
import type { GrowCapacity } from '../control/scheduler/scheduler.ts';
import type { QueuePolicy } from '../control/core/queue/index.ts';
import type { MatchPolicy } from '../control/core/resource/types.ts';
import type { Secrets } from '../control/security/secrets.ts';
import type { StoreContext } from '../control/store/context.ts';
import { AGENT_PATH, WsAgentLink } from './ws-transport.ts';
import { WATCH_PATH, WsWatchLink } from './watch-link.ts';

export interface ControlServerOptions {
  iid: string;
  store: StoreContext;
  secrets: Secrets;
  fluidEpochMs: number;
  /** 0 picks a free port. */
  port: number;
  /** Interface to listen on (default 127.0.0.1; 0.0.0.0 for agents on other machines). */
  host?: string;
  /** PEM certificate and key: serve https:// and wss:// (agents bursting in from the cloud need it). */
  tls?: { cert: string; key: string };
  /** The URI tasks and remote agents use; default derived from host and port. */
  publicUri?: string;
  heartbeatSeconds?: number;
  queuePolicy?: QueuePolicy;
  matchPolicy?: MatchPolicy;
  version?: string;
  /** What elastic pools could grow (flurry start --elastic): known before the first pass, so a restart does not
   * refuse jobs only a pool could run before the elastic loop attaches. */
  growCapacity?: GrowCapacity;
  log?: (line: string) => void;
}

export interface ControlServer {
  uri: string;
  port: number;
  plane: ControlPlane;
  link: WsAgentLink;
  /** Push subscriptions for clients (/v1/watch). */
  watch: WsWatchLink;
  stop(): Promise<void>;
}

export async function startControlServer(o: ControlServerOptions): Promise<ControlServer> {
  const registry = new MemoryRegistry();
  const link = new WsAgentLink();
  const host = o.host ?? '127.0.0.1';
  const heartbeatSeconds = o.heartbeatSeconds ?? 10;
  // The public URI is needed to build the plane; a free port is found first when 0 is asked for.
  const fetch = (req: Request) => app.fetch(req);
  const server = (
    o.tls
      ? createAdaptorServer({ fetch, createServer: createHttpsServer, serverOptions: { cert: o.tls.cert, key: o.tls.key } })
      : createAdaptorServer({ fetch, createServer: createHttpServer })
  ) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  const scheme = o.tls ? 'https' : 'http';
  const uri = o.publicUri ?? `${scheme}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;

  const notifier = new LocalNotifier();
  const plane = await createControlPlane({
    iid: o.iid,
    store: o.store,
    secrets: o.secrets,
    mode: 'local',
    transport: link,
    registry,
    notifier,
    publicUri: uri,
    fluidEpochMs: o.fluidEpochMs,
    generatorId: 0,
    // One control plane per instance directory (flurry start's lock): a restarted one takes the lease over at once
    // instead of waiting for the killed one's lease to expire.
    holder: `local-${o.iid}`,
    heartbeatSeconds,
    queuePolicy: o.queuePolicy,
    matchPolicy: o.matchPolicy,
    lastSeen: (n) => registry.lastSeen(n.name) ?? n.hb,
    log: o.log,
  });
  const watch = new WsWatchLink({ services: plane.services, notifier, log: o.log });
  // `all-mine` subscriptions hear of every new job, whoever submitted it (the API, or a spot requeue).
  plane.manager.onAdmitted((jobs) => {
    for (const j of jobs) watch.feed.announce(j.item.owner, [j.item.id]);
  });
  const app = createApp(plane.services, { version: o.version, log: o.log });
  link.serve(plane.agents, o.log);
  // One router for WebSocket upgrades: agents on /v1/agent, clients' push subscriptions on /v1/watch.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === AGENT_PATH) link.handleUpgrade(req, socket, head);
    else if (path === WATCH_PATH) watch.handleUpgrade(req, socket, head);
    else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });
  // Keep-alive connections of long polls must not hold shutdown hostage.
  server.keepAliveTimeout = 5_000;

  if (o.growCapacity) plane.scheduler.growWith(o.growCapacity);
  await plane.scheduler.trigger();
  const reaper = setInterval(() => {
    plane.reap().catch((err: Error) => o.log?.(`reaper: ${err.message}`));
    void plane.scheduler.trigger();
  }, heartbeatSeconds * 1000);
  reaper.unref();

  return {
    uri,
    port,
    plane,
    link,
    watch,
    async stop() {
      clearInterval(reaper);
      // 1001 "going away": agents keep their jobs and reconnect to the next control plane.
      link.closeAll(1001, 'control plane stopping');
      watch.closeAll(1001, 'control plane stopping');
      await plane.stop();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// start.ts - brings a whole local instance up and down: instance directory, DynamoDB (Local, or one given), the
// control plane in its own supervised process, and N local agents (`flurry agent` processes node0…node{N-1}).
// Invariants: the directory lock is held from before anything starts until everything has stopped; bring-up either
// completes (all N agents joined) or undoes everything it started; teardown stops agents first (they kill their tasks
// and report), then the control plane, then DynamoDB Local, and runs once however often it is asked for.
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, totalmem, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { QueuePolicy } from '../../control/core/queue/index.ts';
import type { MatchPolicy } from '../../control/core/resource/types.ts';
import { freePort, startDynamoLocal, type DynamoLocal } from '../dynamodb-local.ts';
import { packageRoot } from '../package-root.ts';
import * as instanceDir from './instance-dir.ts';
import { NodeTable } from '../../control/store/nodes.ts';
import { ensureOwnerToken, ensureTable, localStore } from './store-setup.ts';
import { EXIT_WITH_PARENT_PRELOAD, SupervisedChild } from './supervisor.ts';
import { waitForNodes } from './wait-nodes.ts';

export interface StartConfig {
  /** Number of local agents (0: none, agents come from elsewhere). */
  size: number;
  coresPerNode: number;
  gpusPerNode: number;
  memoryPerNodeMB?: number;
  /** The instance directory; with `ephemeral` and no dir, a temporary one is used and removed. */
  dir?: string;
  ephemeral: boolean;
  /** The control plane's port; absent: last session's if free, else a free one. */
  port?: number;
  listen: string;
  tls?: { certFile: string; keyFile: string };
  publicUri?: string;
  queuePolicy?: QueuePolicy;
  matchPolicy?: MatchPolicy;
  heartbeatSeconds?: number;
  /** Use this DynamoDB (Local) instead of starting one. */
  dynamodbEndpoint?: string;
  table?: string;
  joinTimeoutMs: number;
  /** A pools file: the control plane runs the elastic loop with it (docs/elastic.md). */
  elasticFile?: string;
  /** Status lines: restarts, give-ups. */
  notify(line: string): void;
  /** --verbose: every line the children log, prefixed with their name. */
  echo?: (line: string) => void;
}

export interface LocalInstance {
  dir: string;
  uri: string;
  tokenFile: string;
  /** Agent hostnames, node0…node{N-1}. */
  nodes: string[];
  /** Resolves with a reason if the instance stops working by itself (its control plane keeps dying). */
  failed: Promise<string>;
  /** Stops everything in order and releases the directory; the same promise however often it is called. */
  stop(): Promise<void>;
  /** Hurries a stop along: agents kill their tasks at once, the control plane is killed. */
  hurry(): void;
}

const DEFAULT_TABLE = 'flurry';
const RESTARTS = { max: 5, windowMs: 60_000 };
const CONTROL_READY_MS = 30_000;
const AGENT_STOP_MS = 15_000;
const CONTROL_STOP_MS = 12_000;

/** Path of the `flurry` launcher the children run. */
function flurryBin(): string {
  return join(packageRoot(), 'bin', 'flurry.mjs');
}

/** The control plane's port: --port (checked), else last session's if still free, else a free one. */
async function choosePort(cfg: StartConfig, previous: number | undefined): Promise<number> {
  if (cfg.port !== undefined && cfg.port !== 0) {
    if (!(await portIsFree(cfg.port, cfg.listen))) throw new Error(`--port ${cfg.port}: the port is in use on ${cfg.listen}`);
    return cfg.port;
  }
  if (cfg.port === undefined && previous && (await portIsFree(previous, cfg.listen))) return previous;
  return freePort();
}

/** True if nothing listens on `port` at `host`. */
function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, host, () => server.close(() => done(true)));
  });
}

function ownerName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER || process.env.LOGNAME || 'owner';
  }
}

/**
 * Starts a local instance and resolves once its control plane is ready and all its agents have joined.
 * @example const inst = await startLocalInstance(cfg); console.log(inst.uri); await inst.stop();
 */
export async function startLocalInstance(cfg: StartConfig): Promise<LocalInstance> {
  const dir = cfg.ephemeral && cfg.dir === undefined ? mkdtempSync(join(tmpdir(), 'flurry-')) : resolve(cfg.dir ?? '.');
  // An ephemeral instance removes its directory at exit, unless it was given one that already existed.
  const removeDir = cfg.ephemeral && (cfg.dir === undefined || !existsSync(dir));
  const layout = instanceDir.layoutOf(dir);
  const phase = (what: string) => cfg.echo?.(`[start] ${what} at ${(performance.now() / 1000).toFixed(2)} s`);
  let lock: { release(): void };
  try {
    instanceDir.makeInstanceDir(layout);
    lock = instanceDir.acquireLock(layout);
  } catch (err) {
    if (removeDir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const agents: SupervisedChild[] = [];
  let control: SupervisedChild | undefined;
  let dynamoStarting: Promise<DynamoLocal | undefined> | undefined;
  let store: ReturnType<typeof localStore> | undefined;
  let dynamoLog: WriteStream | undefined;
  let tearing: Promise<void> | undefined;
  let reportFailure!: (reason: string) => void;
  const failed = new Promise<string>((r) => (reportFailure = r));
  const teardown = (): Promise<void> =>
    (tearing ??= (async () => {
      await Promise.all(agents.map((a) => a.stop('SIGTERM', AGENT_STOP_MS)));
      await control?.stop('SIGTERM', CONTROL_STOP_MS);
      store?.doc.destroy();
      await (await dynamoStarting?.catch(() => undefined))?.stop();
      dynamoLog?.end();
      rmSync(layout.uri, { force: true });
      lock.release();
      if (removeDir) rmSync(dir, { recursive: true, force: true });
    })());

  try {
    const previous = instanceDir.readInstanceInfo(layout);
    const table = cfg.table ?? previous?.table ?? DEFAULT_TABLE;
    const info: instanceDir.InstanceInfo = { ...(previous ?? instanceDir.newInstanceInfo(table)), table };
    const secrets = await instanceDir.loadOrCreateSecrets(layout);
    const token = instanceDir.loadOrCreateOwnerToken(layout);
    await instanceDir.loadOrCreateJoinToken(layout, info.iid, secrets);

    // DynamoDB Local's JVM (the slowest) and the control plane (it waits for the table) start at once.
    const dynamoPort = cfg.dynamodbEndpoint ? undefined : await freePort();
    const endpoint = cfg.dynamodbEndpoint ?? `http://localhost:${dynamoPort}`;
    if (!cfg.dynamodbEndpoint) dynamoLog = createWriteStream(join(layout.logs, 'dynamodb.log'), { flags: 'a', mode: 0o600 });
    dynamoStarting = cfg.dynamodbEndpoint
      ? Promise.resolve(undefined)
      : startDynamoLocal({
          port: dynamoPort,
          ...(cfg.ephemeral ? {} : { dbPath: layout.db }),
          log: (line) => {
            dynamoLog?.write(line + '\n');
            cfg.echo?.(`[dynamodb] ${line}`);
          },
        });
    dynamoStarting.catch(() => undefined);
    const port = await choosePort(cfg, info.port);
    const queuePolicy = cfg.queuePolicy ?? previous?.queuePolicy;
    const matchPolicy = cfg.matchPolicy ?? previous?.matchPolicy;
    instanceDir.writeInstanceInfo(layout, { ...info, port, ...(queuePolicy ? { queuePolicy } : {}), ...(matchPolicy ? { matchPolicy } : {}) });

    const scheme = cfg.tls ? 'https' : 'http';
    const uri = cfg.publicUri ?? `${scheme}://${cfg.listen === '0.0.0.0' ? '127.0.0.1' : cfg.listen}:${port}`;
    const bin = flurryBin();
    const echoFor = (name: string) => (cfg.echo ? (line: string) => cfg.echo?.(`[${name}] ${line}`) : undefined);
    control = new SupervisedChild({
      name: 'control-plane',
      args: [
        bin, 'control-plane', '--dir', dir, '--dynamodb-endpoint', endpoint, '--port', String(port), '--listen', cfg.listen,
        ...(cfg.tls ? ['--tls-cert', cfg.tls.certFile, '--tls-key', cfg.tls.keyFile] : []),
        ...(cfg.publicUri ? ['--public-uri', cfg.publicUri] : []),
        ...(cfg.heartbeatSeconds !== undefined ? ['--heartbeat', String(cfg.heartbeatSeconds)] : []),
        ...(queuePolicy ? ['--queue-policy', queuePolicy] : []),
        ...(matchPolicy ? ['--match-policy', matchPolicy] : []),
        ...(cfg.elasticFile ? ['--elastic', cfg.elasticFile] : []),
      ],
      logFile: join(layout.logs, 'control-plane.log'),
      echo: echoFor('control-plane'),
      readyTimeoutMs: CONTROL_READY_MS,
      restart: RESTARTS,
      notify: cfg.notify,
      onGiveUp: reportFailure,
    });
    const nodes = Array.from({ length: cfg.size }, (_, i) => `node${i}`);
    const memoryMB = cfg.memoryPerNodeMB ?? Math.max(1, Math.floor(totalmem() / 1048576 / Math.max(1, cfg.size)));
    for (const name of nodes) {
      agents.push(
        new SupervisedChild({
          name,
          args: [
            '--import', EXIT_WITH_PARENT_PRELOAD, bin, 'agent', '--uri', uri, '--token-file', layout.joinToken, '--hostname', name,
            '--cores', String(cfg.coresPerNode), '--gpus', String(cfg.gpusPerNode), '--memory', String(memoryMB),
            '--state-dir', join(layout.agents, name), ...(cfg.tls ? ['--ca', cfg.tls.certFile] : []),
          ],
          logFile: join(layout.logs, `${name}.log`),
          echo: echoFor(name),
          restart: { ...RESTARTS, onlyFailures: true },
          notify: cfg.notify,
        }),
      );
    }
    const controlReady = control.start();
    controlReady.catch(() => undefined);

    await dynamoStarting;
    phase(`DynamoDB ready (${endpoint})`);
    store = localStore(endpoint, table);
    try {
      await ensureTable(store);
      await ensureOwnerToken(store, secrets.tokenPepper, token, ownerName());
      // The instance knows its nodes before they join: node<i> is rank i, and jobs wait for nodes still starting.
      await new NodeTable(store).preregister(
        info.iid,
        nodes.map((name) => ({ name, inventory: { hostname: name, cores: cfg.coresPerNode, gpus: cfg.gpusPerNode, memoryMB, properties: [] } })),
        Date.now() / 1000,
      );
    } catch (err) {
      throw new Error(`DynamoDB at ${endpoint}: ${(err as Error).message}`);
    }
    phase(`table ${table} ready`);
    await controlReady;
    phase('control plane ready');
    // Only now: a node that joins while the scheduler's first rebuild reads the table can be missed by it (the
    // rebuilt graph replaces the one the join went to), and such a node would never show up as up.
    await Promise.all(agents.map((a) => a.start()));
    instanceDir.writePrivateFile(layout.uri, uri + '\n');
    const ca = cfg.tls ? readFileSync(cfg.tls.certFile) : undefined;
    await Promise.race([
      waitForNodes({ uri, token, nodes, timeoutMs: cfg.joinTimeoutMs, ca, logs: layout.logs }),
      failed.then((reason) => Promise.reject(new Error(reason))),
    ]);
    phase(`${nodes.length} agent(s) joined`);
    return {
      dir,
      uri,
      tokenFile: layout.token,
      nodes,
      failed,
      stop: teardown,
      hurry() {
        for (const a of agents) a.signal('SIGTERM');
        setTimeout(() => agents.forEach((a) => a.killGroup()), 3_000).unref();
        control?.killGroup();
      },
    };
  } catch (err) {
    await teardown();
    throw err;
  }
}

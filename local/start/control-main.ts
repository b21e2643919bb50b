// control-main.ts - the main of the control-plane process that `flurry start` supervises (`flurry control-plane`):
// reads the instance directory, serves the control plane on the given port, says when it is ready, stops on a signal.
// Invariants: ready is announced only once the server listens (an IPC message {type:'ready', uri, port} under a
// supervisor, else a line "ready <uri>" on stdout); SIGTERM/SIGINT stop it cleanly (agents are told "going away" and
// keep their jobs); it exits by itself when the supervisor's IPC channel closes; it never writes a secret to its log.
import { readFileSync } from 'node:fs';
import type { QueuePolicy } from '../../control/core/queue/index.ts';
import type { MatchPolicy } from '../../control/core/resource/types.ts';
import { startControlServer, type ControlServer } from '../control-server.ts';
import { layoutOf, readInstanceInfo, readSecrets } from './instance-dir.ts';
import { localStore, waitForTable } from './store-setup.ts';

export interface ControlMainOptions {
  /** The instance directory (instance.json, secrets.json). */
  dir: string;
  dynamodbEndpoint: string;
  port: number;
  host: string;
  tls?: { certFile: string; keyFile: string };
  publicUri?: string;
  heartbeatSeconds?: number;
  queuePolicy?: QueuePolicy;
  matchPolicy?: MatchPolicy;
  version?: string;
  /** A pools file (docs/elastic.md): run the elastic loop in this process. */
  elasticFile?: string;
}

const STOP_TIMEOUT_MS = 10_000;
const TABLE_WAIT_MS = 60_000;

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} control-plane: ${line}\n`);
}

/**
 * Runs the control plane until a signal or the supervisor's death; resolves with the exit status to use.
 * @example process.exitCode = await runControlMain({ dir, dynamodbEndpoint, port: 8080, host: '127.0.0.1' })
 */
export async function runControlMain(o: ControlMainOptions): Promise<number> {
  const layout = layoutOf(o.dir);
  const info = readInstanceInfo(layout);
  if (!info) throw new Error(`${layout.instanceJson}: no such file (is ${o.dir} an instance directory?)`);
  const secrets = readSecrets(layout);
  const store = localStore(o.dynamodbEndpoint, info.table);
  // A bad pools file stops us before anything starts, with the field named.
  const elastic = o.elasticFile !== undefined ? await import('../../elastic/host.ts') : undefined;
  const elasticConfig = elastic && o.elasticFile !== undefined ? elastic.readElasticConfigFile(o.elasticFile) : undefined;

  let server: ControlServer | undefined;
  let stopping: Promise<number> | undefined;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  const stop = (why: string): Promise<number> => {
    stopping ??= (async () => {
      log(`stopping (${why})`);
      const timer = setTimeout(() => {
        log(`did not stop within ${STOP_TIMEOUT_MS / 1000} s; exiting anyway`);
        resolveDone(1);
      }, STOP_TIMEOUT_MS);
      timer.unref();
      let code = 0;
      try {
        await server?.stop();
      } catch (err) {
        log(`stop: ${(err as Error).message}`);
        code = 1;
      }
      store.doc.destroy();
      clearTimeout(timer);
      log('stopped');
      resolveDone(code);
      return code;
    })();
    return stopping;
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // The supervisor died (or closed the channel): nobody will stop us, so stop now.
  if (process.send) process.on('disconnect', () => void stop('supervisor gone'));

  // Under `flurry start` this process may start before DynamoDB Local answers and the table exists.
  await waitForTable(o.dynamodbEndpoint, info.table, TABLE_WAIT_MS);
  if (stopping) return done;
  server = await startControlServer({
    iid: info.iid,
    store,
    secrets,
    fluidEpochMs: info.created,
    port: o.port,
    host: o.host,
    ...(o.tls ? { tls: { cert: readFileSync(o.tls.certFile, 'utf8'), key: readFileSync(o.tls.keyFile, 'utf8') } } : {}),
    ...(o.publicUri ? { publicUri: o.publicUri } : {}),
    ...(o.heartbeatSeconds !== undefined ? { heartbeatSeconds: o.heartbeatSeconds } : {}),
    ...(o.queuePolicy ? { queuePolicy: o.queuePolicy } : {}),
    ...(o.matchPolicy ? { matchPolicy: o.matchPolicy } : {}),
    ...(o.version ? { version: o.version } : {}),
    ...(elastic && elasticConfig ? { growCapacity: (await import('../../elastic/feasibility.ts')).elasticFeasibility(elasticConfig) } : {}),
    log,
  });
  if (stopping) {
    // A signal came while starting: stop what just started.
    await server.stop().catch(() => undefined);
    return done;
  }
  log(`instance ${info.iid} listening on ${server.uri} (pid ${process.pid}, table ${info.table})`);
  if (elastic && elasticConfig) {
    const tls = o.tls ? { certFile: o.tls.certFile, certPem: readFileSync(o.tls.certFile, 'utf8') } : undefined;
    elastic.startElasticHost({ ...elastic.localHostOptions(server, info.iid, store, secrets.joinKey, elasticConfig, layout.dir, tls), log });
    log(`elastic loop running (${o.elasticFile})`);
  }
  if (process.send) process.send({ type: 'ready', uri: server.uri, port: server.port });
  else process.stdout.write(`ready ${server.uri}\n`);
  return done;
}

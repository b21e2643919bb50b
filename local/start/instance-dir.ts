// instance-dir.ts - the instance directory of `flurry start` (default ~/.flurry): its layout, the start.pid lock, and the
// state that persists across restarts (instance.json, secrets.json, the owner's token, the agents' join token).
// Invariants: the directory is 0700 and every secret file 0600, written atomically (temp file, then rename) and created
// once; at most one live `flurry start` holds start.pid; a pid file whose process is gone is taken over.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { QueuePolicy } from '../../control/core/queue/index.ts';
import type { MatchPolicy } from '../../control/core/resource/types.ts';
import { generateSecrets, parseSecrets, type Secrets } from '../../control/security/secrets.ts';
import { newUserToken, signClaims, verifyClaims } from '../../control/security/tokens.ts';

/** Every path of an instance directory. */
export interface InstanceLayout {
  dir: string;
  instanceJson: string;
  secrets: string;
  token: string;
  joinToken: string;
  uri: string;
  db: string;
  logs: string;
  agents: string;
  pidFile: string;
}

/** What instance.json holds: fixed at creation (iid, created, the FLUID epoch) or the last session's choices. */
export interface InstanceInfo {
  version: 1;
  iid: string;
  /** Creation time in ms since the Unix epoch; also the FLUID epoch, so job ids stay valid across restarts. */
  created: number;
  table: string;
  /** The control plane's port in the last session (tried first next time, so exported FLURRY_URIs stay valid). */
  port?: number;
  queuePolicy?: QueuePolicy;
  matchPolicy?: MatchPolicy;
}

/** Thrown when another live `flurry start` holds the directory. */
export class InstanceLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`another "flurry start" (pid ${pid}) is running on ${dir}; stop it first, or use another --dir`);
  }
}

const JOIN_TOKEN_DAYS = 365;
const JOIN_TOKEN_RENEW_DAYS = 30;

/** The paths of the instance directory `dir`. */
export function layoutOf(dir: string): InstanceLayout {
  return {
    dir,
    instanceJson: join(dir, 'instance.json'),
    secrets: join(dir, 'secrets.json'),
    token: join(dir, 'token'),
    joinToken: join(dir, 'join-token'),
    uri: join(dir, 'uri'),
    db: join(dir, 'db'),
    logs: join(dir, 'logs'),
    agents: join(dir, 'agents'),
    pidFile: join(dir, 'start.pid'),
  };
}

/** Creates the directory (0700) and its logs/, agents/ and db/ subdirectories. */
export function makeInstanceDir(layout: InstanceLayout): void {
  mkdirSync(layout.dir, { recursive: true, mode: 0o700 });
  chmodSync(layout.dir, 0o700);
  for (const sub of [layout.logs, layout.agents, layout.db]) mkdirSync(sub, { recursive: true, mode: 0o700 });
}

/** Writes a file readable only by its owner, atomically (a reader sees the old content or the new, never half). */
export function writePrivateFile(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** True if `pid` is a live process that looks like a flurry command (Linux: checked in /proc; elsewhere: alive). */
function isLiveFlurry(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const cmdline = readIfExistsQuiet(`/proc/${pid}/cmdline`);
  return cmdline === undefined || cmdline.includes('flurry');
}

function readIfExistsQuiet(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Takes the directory's start.pid lock for this process, taking over a stale one.
 * @throws InstanceLockedError naming the live holder's pid.
 * @example const lock = acquireLock(layoutOf(dir)); ...; lock.release();
 */
export function acquireLock(layout: InstanceLayout): { release(): void } {
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(layout.pidFile, 'wx', 0o600);
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw err;
      const pid = Number((readIfExists(layout.pidFile) ?? '').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isLiveFlurry(pid)) throw new InstanceLockedError(layout.dir, pid);
      rmSync(layout.pidFile, { force: true }); // stale: its process is gone
    }
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      if ((readIfExistsQuiet(layout.pidFile) ?? '').trim() === String(process.pid)) rmSync(layout.pidFile, { force: true });
    },
  };
}

/** Reads instance.json, or undefined if the instance is new. */
export function readInstanceInfo(layout: InstanceLayout): InstanceInfo | undefined {
  const text = readIfExists(layout.instanceJson);
  if (text === undefined) return undefined;
  let info: InstanceInfo;
  try {
    info = JSON.parse(text) as InstanceInfo;
  } catch (err) {
    throw new Error(`${layout.instanceJson}: not valid JSON (${(err as Error).message})`);
  }
  if (typeof info.iid !== 'string' || typeof info.created !== 'number' || typeof info.table !== 'string') {
    throw new Error(`${layout.instanceJson}: expected iid, created and table`);
  }
  return info;
}

/** Writes instance.json (0600, atomically). */
export function writeInstanceInfo(layout: InstanceLayout, info: InstanceInfo): void {
  writePrivateFile(layout.instanceJson, JSON.stringify(info, null, 2) + '\n');
}

/** A new instance's identity: iid and creation time (the FLUID epoch). */
export function newInstanceInfo(table: string, now = Date.now()): InstanceInfo {
  return { version: 1, iid: `local-${randomUUID().slice(0, 8)}`, created: now, table };
}

/** Reads secrets.json. */
export function readSecrets(layout: InstanceLayout): Secrets {
  const text = readIfExists(layout.secrets);
  if (text === undefined) throw new Error(`${layout.secrets}: no such file (run "flurry start" on this directory first)`);
  try {
    return parseSecrets(JSON.parse(text));
  } catch (err) {
    throw new Error(`${layout.secrets}: ${(err as Error).message}`);
  }
}

/** secrets.json as it is, or newly generated (once: a restart keeps tokens and credentials valid). */
export async function loadOrCreateSecrets(layout: InstanceLayout): Promise<Secrets> {
  if (existsSync(layout.secrets)) return readSecrets(layout);
  const secrets = await generateSecrets();
  writePrivateFile(layout.secrets, JSON.stringify(secrets) + '\n');
  return secrets;
}

/** The owner's bearer token from the token file, or a new one written there (once). */
export function loadOrCreateOwnerToken(layout: InstanceLayout): string {
  const existing = readIfExists(layout.token)?.trim();
  if (existing) {
    chmodSync(layout.token, 0o600);
    return existing;
  }
  const token = newUserToken();
  writePrivateFile(layout.token, token + '\n');
  return token;
}

/** The join token local agents use: kept while it is valid for this instance, renewed a month before it expires. */
export async function loadOrCreateJoinToken(layout: InstanceLayout, iid: string, secrets: Secrets, nowSeconds = Date.now() / 1000): Promise<string> {
  const existing = readIfExists(layout.joinToken)?.trim();
  if (existing) {
    const check = await verifyClaims(existing, secrets.joinKey, nowSeconds + JOIN_TOKEN_RENEW_DAYS * 86400);
    if (check.ok && check.claims.kind === 'join' && check.claims.iid === iid) return existing;
  }
  const token = await signClaims({ kind: 'join', iid, exp: Math.floor(nowSeconds + JOIN_TOKEN_DAYS * 86400) }, secrets.joinKey);
  writePrivateFile(layout.joinToken, token + '\n');
  return token;
}

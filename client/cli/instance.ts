// instance.ts - which Flurry instance a command talks to, and with which token (Node only).
// Order: the program options --uri/--token-file, then FLURRY_URI with FLURRY_TOKEN or FLURRY_TOKEN_FILE, then the
// instance directory ($FLURRY_DIR or ~/.flurry: files `uri` and `token`, written by `flurry start`).
// Invariants: a token is never sent to a URI it was not given for (the directory's token goes only to the
// directory's URI); a token file others can read is used, with a warning; nothing found is a CliError (exit 1).
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { FlurryClient } from '../sdk/client.ts';
import type { FetchLike } from '../sdk/transport.ts';
import { CliError } from './fail.ts';

/** Where to send requests, and the bearer token. `source` says where they came from (for messages). */
export interface Instance {
  uri: string;
  token: string;
  source: string;
}

/** What findInstance reads; tests pass their own. */
export interface InstanceContext {
  env: Readonly<Record<string, string | undefined>>;
  readFile?: (path: string) => string;
  /** File mode bits, or undefined when the file does not exist. */
  modeOf?: (path: string) => number | undefined;
  home?: () => string;
  warn?: (line: string) => void;
}

/** The program's global options. */
export interface InstanceOptions {
  uri?: string;
  tokenFile?: string;
}

export const NO_INSTANCE = 'no Flurry instance found: start one with "flurry start", or set FLURRY_URI and FLURRY_TOKEN';

/** The instance directory: $FLURRY_DIR, or ~/.flurry. */
export function instanceDir(env: Readonly<Record<string, string | undefined>>, home: () => string = homedir): string {
  return env.FLURRY_DIR || join(home(), '.flurry');
}

const defaultModeOf = (path: string): number | undefined => {
  try {
    return statSync(path).mode;
  } catch {
    return undefined;
  }
};

/**
 * Find the instance and token, or throw a CliError saying how to get one.
 * @example findInstance({}, { env: process.env }) // { uri: 'http://127.0.0.1:8080', token: '…', source: '/home/u/.flurry' }
 */
export function findInstance(opts: InstanceOptions, ctx: InstanceContext): Instance {
  const read = ctx.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const modeOf = ctx.modeOf ?? defaultModeOf;
  const warn = ctx.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
  const env = ctx.env;

  const tokenFromFile = (path: string, what: string): string => {
    const mode = modeOf(path);
    if (mode === undefined) throw new CliError(`${what}: cannot read token file ${path}: no such file`);
    if ((mode & 0o077) !== 0) {
      warn(`flurry: warning: token file ${path} is readable by group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); run "chmod 600 ${path}"`);
    }
    let text: string;
    try {
      text = read(path);
    } catch (e) {
      throw new CliError(`${what}: cannot read token file ${path}: ${(e as Error).message}`);
    }
    const token = text.trim();
    if (token === '') throw new CliError(`${what}: token file ${path} is empty`);
    return token;
  };
  /** A token given explicitly (option or environment), or undefined. */
  const explicitToken = (): string | undefined => {
    if (opts.tokenFile) return tokenFromFile(opts.tokenFile, '--token-file');
    if (env.FLURRY_TOKEN) return env.FLURRY_TOKEN.trim();
    if (env.FLURRY_TOKEN_FILE) return tokenFromFile(env.FLURRY_TOKEN_FILE, 'FLURRY_TOKEN_FILE');
    return undefined;
  };

  const dir = instanceDir(env, ctx.home);
  const dirUriPath = join(dir, 'uri');
  const dirUri = (): string | undefined => {
    if (modeOf(dirUriPath) === undefined) return undefined;
    try {
      return read(dirUriPath).split('\n')[0]!.trim() || undefined;
    } catch {
      return undefined;
    }
  };
  const dirToken = (): string | undefined => {
    const path = join(dir, 'token');
    return modeOf(path) === undefined ? undefined : tokenFromFile(path, dir);
  };
  const same = (a: string, b: string | undefined) => b !== undefined && a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

  const given = opts.uri ? { uri: opts.uri, source: '--uri' } : env.FLURRY_URI ? { uri: env.FLURRY_URI, source: 'FLURRY_URI' } : undefined;
  if (given) {
    const token = explicitToken() ?? (same(given.uri, dirUri()) ? dirToken() : undefined);
    if (token === undefined) {
      throw new CliError(`no token for ${given.uri} (from ${given.source}): use --token-file FILE, or set FLURRY_TOKEN or FLURRY_TOKEN_FILE`);
    }
    return { uri: given.uri.trim(), token, source: given.source };
  }
  const uri = dirUri();
  if (uri === undefined) throw new CliError(NO_INSTANCE);
  const token = explicitToken() ?? dirToken();
  if (token === undefined) throw new CliError(`the instance in ${dir} has no token file (${join(dir, 'token')}): set FLURRY_TOKEN, or restart it with "flurry start"`);
  return { uri, token, source: dir };
}

/** Names of the submitter's variables that hold credentials: never copied into a job unless named with --env. */
export const SECRET_ENV_NAMES = ['FLURRY_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY_ID'] as const;

/**
 * The env rules of a submission with the credential variables removed first, so a later explicit `--env NAME` (or
 * `NAME=$NAME`, or an --env-file naming it) still brings one in.
 * @example withoutSecretEnv({ env: ['PATH'] }).env // ['-FLURRY_TOKEN', …, 'PATH']
 */
export function withoutSecretEnv<T extends { env?: string[]; envRemove?: string[]; envFile?: string[] }>(opts: T): T {
  // --env, --env-remove and --env-file share one ordered list (shape-options.ts).
  const rules = opts.env ?? opts.envRemove ?? opts.envFile ?? [];
  return { ...opts, env: [...SECRET_ENV_NAMES.map((n) => `-${n}`), ...rules] };
}

/**
 * A FlurryClient for the instance the command names (global --uri/--token-file, environment, instance directory).
 * @example const client = await connect(cmd); await client.jobs()
 */
export async function connect(
  from: Command | InstanceOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<FlurryClient> {
  const g = 'optsWithGlobals' in from && typeof from.optsWithGlobals === 'function' ? from.optsWithGlobals<InstanceOptions>() : (from as InstanceOptions);
  const inst = findInstance({ uri: g.uri, tokenFile: g.tokenFile }, { env });
  const [{ FlurryClient }, fetch] = await Promise.all([import('../sdk/client.ts'), nodeFetch(inst.uri)]);
  return new FlurryClient({ uri: inst.uri, token: inst.token, fetch });
}

/**
 * A fetch for the SDK over node:http(s) with keep-alive: the CLI's requests skip loading Node's fetch (undici),
 * which costs tens of milliseconds at startup. Idle sockets do not keep the process alive.
 */
export async function nodeFetch(uri: string): Promise<FetchLike> {
  const mod = /^https:/i.test(uri) ? await import('node:https') : await import('node:http');
  const agent = new mod.Agent({ keepAlive: true, maxSockets: 16 });
  return (url, init) =>
    new Promise((resolve, reject) => {
      const options: import('node:http').RequestOptions = { method: init.method, headers: init.headers, agent };
      if (init.signal) options.signal = init.signal;
      const req = mod.request(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status,
            ok: status >= 200 && status < 300,
            statusText: res.statusMessage ?? '',
            headers: { get: (name) => { const v = res.headers[name.toLowerCase()]; return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v; } },
            text: async () => text,
          });
        });
      });
      req.on('error', reject);
      req.end(init.body);
    });
}

// instance.test.ts - finding the instance: option, environment and directory order, token files and their modes,
// the errors, keeping secrets out of jobs, and the node:http fetch against a real local server.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSubmit } from './commands/submit.ts';
import { findInstance, instanceDir, NO_INSTANCE, nodeFetch, SECRET_ENV_NAMES, type InstanceContext } from './instance.ts';

/** An in-memory file system: path → [text, mode]. */
function ctx(files: Record<string, [string, number]>, env: Record<string, string> = {}, warnings: string[] = []): InstanceContext {
  return {
    env,
    home: () => '/home/u',
    readFile: (p) => {
      const f = files[p];
      if (!f) throw new Error('ENOENT');
      return f[0];
    },
    modeOf: (p) => (files[p] ? 0o100000 | files[p]![1] : undefined),
    warn: (line) => warnings.push(line),
  };
}

const DIR_FILES: Record<string, [string, number]> = {
  '/home/u/.flurry/uri': ['http://127.0.0.1:8080\n', 0o644],
  '/home/u/.flurry/token': ['dir-token\n', 0o600],
};

describe('findInstance', () => {
  it('uses the instance directory (~/.flurry, or $FLURRY_DIR)', () => {
    expect(findInstance({}, ctx(DIR_FILES))).toEqual({ uri: 'http://127.0.0.1:8080', token: 'dir-token', source: '/home/u/.flurry' });
    const other = { '/x/uri': ['http://h:1', 0o644], '/x/token': ['t2', 0o600] } as Record<string, [string, number]>;
    expect(findInstance({}, ctx(other, { FLURRY_DIR: '/x' }))).toMatchObject({ uri: 'http://h:1', token: 't2' });
    expect(instanceDir({}, () => '/h')).toBe('/h/.flurry');
  });

  it('prefers the environment to the directory, and the options to both', () => {
    const files = { ...DIR_FILES, '/t/tok': ['file-token', 0o600] } as Record<string, [string, number]>;
    expect(findInstance({}, ctx(files, { FLURRY_URI: 'https://api', FLURRY_TOKEN: 'env-token' }))).toEqual({ uri: 'https://api', token: 'env-token', source: 'FLURRY_URI' });
    expect(findInstance({}, ctx(files, { FLURRY_URI: 'https://api', FLURRY_TOKEN_FILE: '/t/tok' }))).toMatchObject({ token: 'file-token' });
    expect(findInstance({ uri: 'https://opt', tokenFile: '/t/tok' }, ctx(files, { FLURRY_URI: 'https://api', FLURRY_TOKEN: 'env-token' }))).toEqual({
      uri: 'https://opt', token: 'file-token', source: '--uri',
    });
    // FLURRY_TOKEN alone goes to the directory's instance.
    expect(findInstance({}, ctx(files, { FLURRY_TOKEN: 'env-token' }))).toMatchObject({ uri: 'http://127.0.0.1:8080', token: 'env-token' });
  });

  it("never sends the directory's token to another URI", () => {
    expect(() => findInstance({}, ctx(DIR_FILES, { FLURRY_URI: 'https://elsewhere' }))).toThrow(/^no token for https:\/\/elsewhere \(from FLURRY_URI\): use --token-file/);
    expect(findInstance({}, ctx(DIR_FILES, { FLURRY_URI: 'http://127.0.0.1:8080/' }))).toMatchObject({ token: 'dir-token' });
  });

  it('says how to start an instance when there is none', () => {
    expect(() => findInstance({}, ctx({}))).toThrow(NO_INSTANCE);
    try {
      findInstance({}, ctx({}));
    } catch (e) {
      expect((e as { exitCode: number }).exitCode).toBe(1);
    }
  });

  it('warns about a token file others can read, and still uses it', () => {
    const warnings: string[] = [];
    const files = { ...DIR_FILES, '/home/u/.flurry/token': ['dir-token', 0o644] } as Record<string, [string, number]>;
    expect(findInstance({}, ctx(files, {}, warnings)).token).toBe('dir-token');
    expect(warnings).toEqual(['flurry: warning: token file /home/u/.flurry/token is readable by group or others (mode 0644); run "chmod 600 /home/u/.flurry/token"']);
  });

  it('explains missing and empty token files', () => {
    expect(() => findInstance({ uri: 'http://h', tokenFile: '/nope' }, ctx({}))).toThrow('--token-file: cannot read token file /nope: no such file');
    expect(() => findInstance({}, ctx({ ...DIR_FILES, '/home/u/.flurry/token': ['  \n', 0o600] }))).toThrow(/token file \/home\/u\/.flurry\/token is empty/);
    expect(() => findInstance({}, ctx({ '/home/u/.flurry/uri': ['http://h', 0o644] }))).toThrow(/has no token file/);
  });
});

describe('secrets stay out of jobs', () => {
  const env = { PATH: '/bin', FLURRY_TOKEN: 's1', AWS_SECRET_ACCESS_KEY: 's2', AWS_SESSION_TOKEN: 's3', AWS_ACCESS_KEY_ID: 's4', AWS_REGION: 'eu-west-1' };
  const envOf = async (rules?: string[]) =>
    JSON.parse((await runSubmit(['true'], { dryRun: true, ...(rules ? { env: rules } : {}) }, { env, cwd: '/w' })).out).attributes.system.environment;

  it('drops the credential variables by default', async () => {
    expect(await envOf()).toEqual({ PATH: '/bin', AWS_REGION: 'eu-west-1' });
    expect(SECRET_ENV_NAMES).toHaveLength(4);
  });

  it('keeps one named explicitly with --env', async () => {
    expect(await envOf(['AWS_ACCESS_KEY_ID', 'X=$AWS_SECRET_ACCESS_KEY'])).toEqual({ PATH: '/bin', AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 's4', X: 's2' });
  });
});

describe('nodeFetch', () => {
  let server: Server;
  let uri: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json', 'retry-after': '1' });
        res.end(JSON.stringify({ method: req.method, url: req.url, auth: req.headers.authorization, body }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const addr = server.address() as { port: number };
    uri = `http://127.0.0.1:${addr.port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends method, headers and body, and reads status, headers and text', async () => {
    const f = await nodeFetch(uri);
    const res = await f(`${uri}/v1/x?a=1`, { method: 'POST', headers: { authorization: 'Bearer t', 'content-type': 'application/json' }, body: '{"k":1}' });
    expect(res.status).toBe(200);
    expect(res.ok).toBe(true);
    expect(res.headers.get('Retry-After')).toBe('1');
    expect(res.headers.get('x-none')).toBeNull();
    expect(JSON.parse(await res.text())).toEqual({ method: 'POST', url: '/v1/x?a=1', auth: 'Bearer t', body: '{"k":1}' });
    const missing = await f(`${uri}/missing`, { method: 'GET', headers: {} });
    expect(missing).toMatchObject({ status: 404, ok: false });
  });

  it('rejects on connection errors and on abort', async () => {
    const f = await nodeFetch('http://127.0.0.1:1');
    await expect(f('http://127.0.0.1:1/', { method: 'GET', headers: {} })).rejects.toThrow(/ECONNREFUSED/);
    const ac = new AbortController();
    ac.abort();
    await expect((await nodeFetch(uri))(`${uri}/`, { method: 'GET', headers: {}, signal: ac.signal })).rejects.toThrow(/abort/i);
  });
});

describe('the instance directory on disk', () => {
  it('reads the files flurry start writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flurry-inst-'));
    try {
      writeFileSync(join(dir, 'uri'), 'http://127.0.0.1:9\n');
      writeFileSync(join(dir, 'token'), 'tok\n', { mode: 0o600 });
      const warnings: string[] = [];
      expect(findInstance({}, { env: { FLURRY_DIR: dir }, warn: (l) => warnings.push(l) })).toEqual({ uri: 'http://127.0.0.1:9', token: 'tok', source: dir });
      expect(warnings).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

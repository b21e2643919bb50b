// start.test.ts - `flurry start` end to end, as a user runs it: a real `node bin/flurry.mjs start` process with its
// control plane, agents and (in one test) its own DynamoDB Local. Invariant: every test leaves no process behind,
// even when it fails (afterEach SIGKILLs every process the launched supervisors ever had as descendants).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { jobspecFromShape } from '../../control/core/jobspec/index.ts';

const REPO = new URL('../..', import.meta.url).pathname;
const BIN = join(REPO, 'bin/flurry.mjs');

interface Launched {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Every pid seen below this supervisor so far (refreshed by `tree()`). */
  seen: Set<number>;
}

const launched: Launched[] = [];
const dirs: string[] = [];
let tableCounter = 0;

/** pid → [ppid, args] for every process. */
function processTable(): Map<number, { ppid: number; args: string }> {
  const table = new Map<number, { ppid: number; args: string }>();
  for (const line of execFileSync('ps', ['-eo', 'pid=,ppid=,args='], { encoding: 'utf8' }).split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (m) table.set(Number(m[1]), { ppid: Number(m[2]), args: m[3]! });
  }
  return table;
}

/** The live descendants of `pid` (pid → args), also remembered in `l.seen`. */
function tree(l: Launched): Map<number, string> {
  const table = processTable();
  const out = new Map<number, string>();
  const walk = (parent: number) => {
    for (const [pid, p] of table) {
      if (p.ppid === parent && !out.has(pid)) {
        out.set(pid, p.args);
        walk(pid);
      }
    }
  };
  walk(l.child.pid!);
  for (const pid of out.keys()) l.seen.add(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flurry-start-test-'));
  dirs.push(dir);
  return dir;
}

/** Arguments that put the instance on the run's shared DynamoDB Local with a fresh table. */
function sharedDynamo(): string[] {
  return ['--dynamodb-endpoint', inject('dynamoEndpoint'), '--table', `start-${process.pid}-${Date.now().toString(36)}-${tableCounter++}`];
}

function launch(args: string[], env: NodeJS.ProcessEnv = {}): Launched {
  const child = spawn(process.execPath, [BIN, 'start', ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FLURRY_TOKEN: undefined, FLURRY_URI: undefined, ...env },
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  const l: Launched = { child, out: () => out, err: () => err, exited, seen: new Set() };
  launched.push(l);
  return l;
}

async function until<T>(what: string, ms: number, check: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits for the ready banner; returns the URI and token file it names. */
async function ready(l: Launched, ms = 60_000): Promise<{ uri: string; tokenFile: string; token: string }> {
  await until('the ready banner', ms, () => {
    if (l.child.exitCode !== null) throw new Error(`flurry start exited ${l.child.exitCode}:\n${l.out()}\n${l.err()}`);
    return l.out().includes('Ctrl-C to stop');
  });
  const uri = /URI:\s+(\S+)/.exec(l.out())![1]!;
  const tokenFile = /token file:\s+(\S+)/.exec(l.out())![1]!;
  tree(l);
  return { uri, tokenFile, token: readFileSync(tokenFile, 'utf8').trim() };
}

async function api<T>(inst: { uri: string; token: string }, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(inst.uri + path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${inst.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function submit(inst: { uri: string; token: string }, command: string[]): Promise<string> {
  const jobspec = jobspecFromShape(command, { ntasks: 1, cwd: '/tmp' });
  const res = await api<{ ids: string[] }>(inst, '/v1/jobs', { jobspec });
  expect(res.status).toBe(201);
  return res.body.ids[0]!;
}

type Event = { name: string };

/** The whole eventlog once the job is inactive; rides out a control plane that is restarting. */
async function finishedEvents(inst: { uri: string; token: string }, id: string, ms = 40_000): Promise<Event[]> {
  return until(`job ${id} to finish`, ms, async () => {
    try {
      const { body } = await api<{ events: Event[]; done: boolean }>(inst, `/v1/jobs/${encodeURIComponent(id)}/eventlog?from=0&wait=5`);
      return body.done ? body.events : undefined;
    } catch {
      return undefined; // connection refused while the control plane restarts
    }
  });
}

async function output(inst: { uri: string; token: string }, id: string): Promise<string> {
  let cursor = '';
  let text = '';
  for (;;) {
    const { body } = await api<{ entries: Array<{ data: string }>; cursor: string; done: boolean }>(inst, `/v1/jobs/${encodeURIComponent(id)}/output?cursor=${cursor}&wait=5`);
    text += body.entries.map((e) => e.data).join('');
    cursor = body.cursor;
    if (body.done) return text;
  }
}

async function stopAndCheckClean(l: Launched, signal: NodeJS.Signals, dir?: string): Promise<void> {
  const before = tree(l);
  expect(before.size).toBeGreaterThan(0);
  l.child.kill(signal);
  const { code } = await l.exited;
  expect(code, l.err()).toBe(0);
  await until('every child process to be gone', 5_000, () => [...l.seen].every((pid) => !alive(pid)));
  if (dir) {
    expect(existsSync(join(dir, 'start.pid'))).toBe(false);
    const left = [...processTable().values()].filter((p) => p.args.includes(dir) && !p.args.startsWith('ps '));
    expect(left.map((p) => p.args)).toEqual([]);
  }
}

afterEach(async () => {
  for (const l of launched.splice(0)) {
    if (l.child.exitCode === null && l.child.signalCode === null) tree(l);
    for (const pid of [l.child.pid!, ...l.seen]) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // not a group leader, or gone
      }
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('flurry start', () => {
  it('starts N agents, prints the URI and a 0600 token file, and leaves nothing behind on SIGINT', async () => {
    const dir = tempDir();
    const l = launch(['--test-size', '3', '--dir', dir, '--heartbeat', '1', ...sharedDynamo()]);
    const inst = await ready(l);
    expect(inst.uri).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(inst.tokenFile).toBe(join(dir, 'token'));
    expect(statSync(inst.tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(dir, 'uri'), 'utf8').trim()).toBe(inst.uri);
    expect(l.out()).toMatch(/3 nodes × \d+ cores/);
    expect(l.out()).toContain(`export FLURRY_URI=${inst.uri} FLURRY_TOKEN_FILE=${inst.tokenFile}`);

    const res = await api<{ nodes: Array<{ name: string; state: string }>; free: { nnodes: number } }>(inst, '/v1/resources');
    expect(res.status).toBe(200);
    expect(res.body.nodes.map((n) => n.name).sort()).toEqual(['node0', 'node1', 'node2']);
    expect(res.body.free.nnodes).toBe(3);

    // A running task must die with the instance too.
    const id = await submit(inst, ['sleep', '300']);
    await until('the job to run', 20_000, async () => (await api<{ state: string }>(inst, `/v1/jobs/${encodeURIComponent(id)}`)).body.state === 'RUN');
    await until('the task process', 5_000, () => [...tree(l).values()].some((a) => a === 'sleep 300'));
    await stopAndCheckClean(l, 'SIGINT', dir);
  }, 60_000);

  it('stops every child, and the tasks, when the supervisor itself is SIGKILLed', async () => {
    const dir = tempDir();
    // A start.pid left by a dead process is taken over.
    const dead = spawn('true');
    await new Promise((r) => dead.once('exit', r));
    writeFileSync(join(dir, 'start.pid'), `${dead.pid}\n`);
    const l = launch(['-n', '2', '--dir', dir, ...sharedDynamo()]);
    const inst = await ready(l);
    expect(readFileSync(join(dir, 'start.pid'), 'utf8').trim()).toBe(String(l.child.pid));
    const id = await submit(inst, ['sleep', '301']);
    await until('the job to run', 20_000, async () => (await api<{ state: string }>(inst, `/v1/jobs/${encodeURIComponent(id)}`)).body.state === 'RUN');
    await until('the task process', 5_000, () => [...tree(l).values()].some((a) => a === 'sleep 301'));
    process.kill(l.child.pid!, 'SIGKILL');
    await l.exited;
    await until('every child process to be gone', 20_000, () => [...l.seen].every((pid) => !alive(pid)));
  }, 60_000);

  it('runs a command inside the instance and exits with its status, leaving no process', async () => {
    const spy = tempDir();
    const script = [
      `ps -eo pid=,ppid=,args= > ${spy}/ps.txt`,
      `echo "$FLURRY_DIR" > ${spy}/dir.txt`,
      `"${process.execPath}" -e 'const t=require("fs").readFileSync(process.env.FLURRY_TOKEN_FILE,"utf8").trim();` +
        `fetch(process.env.FLURRY_URI+"/v1/resources",{headers:{authorization:"Bearer "+t}}).then(r=>r.json()).then(b=>console.log("nodes="+b.free.nnodes))' > ${spy}/nodes.txt`,
      'exit 7',
    ].join('; ');
    const l = launch(['-n2', '--ephemeral', ...sharedDynamo(), 'sh', '-c', script]);
    const { code } = await l.exited;
    expect(code, l.err()).toBe(7);
    expect(readFileSync(join(spy, 'nodes.txt'), 'utf8').trim()).toBe('nodes=2');
    const instanceDir = readFileSync(join(spy, 'dir.txt'), 'utf8').trim();
    expect(instanceDir).not.toBe('');
    expect(existsSync(instanceDir)).toBe(false); // ephemeral: removed at exit

    // Every process that was below the supervisor while the command ran is gone.
    const rows = readFileSync(join(spy, 'ps.txt'), 'utf8').trim().split('\n').map((r) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(r)!);
    const below = new Set([l.child.pid!]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const r of rows) if (below.has(Number(r[2])) && !below.has(Number(r[1]))) (below.add(Number(r[1])), (grew = true));
    }
    expect(rows.filter((r) => below.has(Number(r[1]))).map((r) => r[3]).join('\n')).toMatch(/control-plane[\s\S]*agent[\s\S]*agent/);
    await until('every child process to be gone', 5_000, () => [...below].every((pid) => !alive(pid)));
  }, 60_000);

  it('restarts a SIGKILLed control plane; the running job completes exactly once', async () => {
    const dir = tempDir();
    const l = launch(['-n', '1', '--dir', dir, ...sharedDynamo()]);
    const inst = await ready(l);
    const id = await submit(inst, ['sh', '-c', 'echo begin; sleep 4; echo end']);
    await until('the job to run', 20_000, async () => (await api<{ state: string }>(inst, `/v1/jobs/${encodeURIComponent(id)}`)).body.state === 'RUN');
    const controlPid = [...tree(l)].find(([, args]) => args.includes(' control-plane '))![0];
    process.kill(controlPid, 'SIGKILL');
    await until('the supervisor to restart the control plane', 20_000, () => /control-plane restarted/.test(l.err()));
    const newPid = [...tree(l)].find(([, args]) => args.includes(' control-plane '))?.[0];
    expect(newPid).toBeDefined();
    expect(newPid).not.toBe(controlPid);

    const names = (await finishedEvents(inst, id)).map((e) => e.name);
    expect(names.filter((n) => n === 'start')).toHaveLength(1);
    expect(names.filter((n) => n === 'finish')).toHaveLength(1);
    expect(names).not.toContain('exception');
    expect(await output(inst, id)).toBe('begin\nend\n');
    const info = await api<{ result: string }>(inst, `/v1/jobs/${encodeURIComponent(id)}`);
    expect(info.body.result).toBe('COMPLETED');
    // The node is back in the new control plane's view.
    await until('node0 up again', 10_000, async () => {
      const res = await api<{ nodes: Array<{ name: string; state: string }> }>(inst, '/v1/resources');
      return res.body.nodes.some((n) => n.name === 'node0' && n.state !== 'down');
    });
    // The new control plane schedules at once: it takes the lease over rather than waiting out the killed one's 30 s
    // lease, so a new job finishes well inside that (the wait below gives up at 20 s).
    const after = await submit(inst, ['true']);
    expect((await finishedEvents(inst, after, 20_000)).map((e) => e.name)).toContain('finish');
    await stopAndCheckClean(l, 'SIGTERM', dir);
  }, 60_000);

  it('keeps jobs across a restart with its own DynamoDB Local, and refuses a second start on the same dir', async () => {
    const dir = tempDir();
    const first = launch(['-n', '1', '--dir', dir]);
    const a = await ready(first);
    const iid = JSON.parse(readFileSync(join(dir, 'instance.json'), 'utf8')).iid as string;
    const id = await submit(a, ['sh', '-c', 'echo persisted; exit 2']);
    await finishedEvents(a, id);
    expect([...tree(first).values()].some((args) => args.includes('DynamoDBLocal.jar') && args.includes(join(dir, 'db')))).toBe(true);
    await stopAndCheckClean(first, 'SIGTERM', dir);

    const second = launch(['-n', '1', '--dir', dir]);
    const b = await ready(second);
    expect(b.token).toBe(a.token);
    expect(JSON.parse(readFileSync(join(dir, 'instance.json'), 'utf8')).iid).toBe(iid);
    const info = await api<{ result: string; exitCode: number }>(b, `/v1/jobs/${encodeURIComponent(id)}`);
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ result: 'FAILED', exitCode: 2 });
    expect(await output(b, id)).toBe('persisted\n');
    const list = await api<{ jobs: Array<{ id: string }> }>(b, '/v1/jobs?filter=inactive');
    expect(JSON.stringify(list.body)).toContain(id);

    const third = launch(['-n', '1', '--dir', dir]);
    const { code } = await third.exited;
    expect(code).toBe(1);
    expect(third.err()).toContain(`pid ${second.child.pid}`);
    await stopAndCheckClean(second, 'SIGINT', dir);
  }, 90_000);

  it('rejects bad options with a message naming the flag', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--test-size', 'x'], /--test-size x/],
      [['--queue-policy', 'lifo'], /--queue-policy lifo: expected one of fcfs, easy/],
      [['--tls-cert', '/nonexistent'], /--tls-cert and --tls-key go together/],
      [['--port', '70000'], /--port 70000/],
    ];
    for (const [args, message] of cases) {
      const l = launch(args);
      const { code } = await l.exited;
      expect(code).toBe(1);
      expect(l.err()).toMatch(message);
    }
  });
});

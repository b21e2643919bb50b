// local.ts - the `local` provider: each "instance" is a real `flurry agent` process on this machine, started after the
// pool's startup delay with the inventory of its `local:` block and a join token scoped to the pool (Karpenter's kwok:
// the real loop, no cloud). Invariants: idempotent on launchId; agents run in their own process group (detached), so
// they survive a control-plane restart and are found again from the state file; `delete` is SIGTERM to the group, then
// SIGKILL after the grace; `list` returns only what this provider started and still lives; the join token travels in
// the environment, never on a command line.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../local/package-root.ts';
import { nodeProperties, type InstanceTypeInfo } from '../catalog.ts';
import type { CloudPoolConfig } from '../config-types.ts';
import { type CloudProvider, type Instance, InstanceNotFoundError, type LaunchRequest } from '../provider.ts';

export interface LocalProviderOptions {
  /** The control plane agents dial (http(s):// or ws(s)://). */
  uri: string;
  /** A join token scoped to the pool (the host signs one with the instance's join key). */
  joinToken(pool: CloudPoolConfig): Promise<string>;
  /** Where the instance list, each agent's state directory and log live; default a new temporary directory. */
  stateDir?: string;
  /** The agent command before `agent …`; default this package's `bin/flurry.mjs` under this Node. */
  command?: string[];
  /** A CA or self-signed certificate (PEM file) for wss://. */
  caFile?: string;
  /** Milliseconds between SIGTERM and SIGKILL on delete (default 5000). */
  graceMs?: number;
  /** Seconds since the epoch. */
  clock?: () => number;
  log?: (line: string) => void;
}

/** What the state file keeps of an instance. */
interface LocalInstance extends Instance {
  pid?: number;
  /** When its agent was (or will be) started, seconds. */
  readyAt: number;
}

const STATE_FILE = 'local-instances.json';

/** Is the process (group leader) `pid` alive? */
function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The local provider.
 * @example const p = new LocalProvider({ uri: server.uri, joinToken: (pool) => sign(pool), stateDir }); await p.create(req)
 */
export class LocalProvider implements CloudProvider {
  readonly name = 'local';
  private readonly dir: string;
  private readonly instances = new Map<string, LocalInstance>();
  private readonly children = new Map<string, ChildProcess>();
  private counter = 0;
  private readonly clock: () => number;
  private readonly creating = new Map<string, Promise<Instance[]>>();

  constructor(private readonly opts: LocalProviderOptions) {
    this.dir = opts.stateDir ?? join(tmpdir(), `flurry-local-provider-${process.pid}-${Date.now().toString(36)}`);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.clock = opts.clock ?? (() => Date.now() / 1000);
    this.load();
  }

  private load(): void {
    const path = join(this.dir, STATE_FILE);
    if (!existsSync(path)) return;
    const saved = JSON.parse(readFileSync(path, 'utf8')) as { counter: number; instances: LocalInstance[] };
    this.counter = saved.counter;
    for (const i of saved.instances) this.instances.set(i.id, i);
  }

  private save(): void {
    const path = join(this.dir, STATE_FILE);
    const live = [...this.instances.values()].filter((i) => i.state !== 'terminated' || this.clock() - i.launchedAt < 3600);
    writeFileSync(`${path}.tmp`, JSON.stringify({ counter: this.counter, instances: live }, null, 1), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }

  /** The instance as callers see it, its state brought up to date. */
  private view(i: LocalInstance): Instance {
    if (i.state === 'pending' || i.state === 'running') {
      const child = this.children.get(i.id);
      const exited = child ? child.exitCode !== null || child.signalCode !== null : !alive(i.pid);
      if (exited) i.state = 'terminated';
      else if (this.clock() >= i.readyAt) i.state = 'running';
    }
    const { pid: _p, readyAt: _r, ...pub } = i;
    return { ...pub };
  }

  async create(req: LaunchRequest): Promise<Instance[]> {
    const existing = [...this.instances.values()].filter((i) => i.launchId === req.launchId);
    if (existing.length) return existing.map((i) => this.view(i));
    // Two concurrent creates of one launch share the first one's answer.
    const running = this.creating.get(req.launchId);
    if (running) return running;
    const p = this.spawnAll(req).finally(() => this.creating.delete(req.launchId));
    this.creating.set(req.launchId, p);
    return p;
  }

  private async spawnAll(req: LaunchRequest): Promise<Instance[]> {
    const local = req.pool.local;
    if (!local) throw new Error(`pool ${req.pool.name}: a local pool needs a local: block (cores, memoryMB)`);
    const token = await this.opts.joinToken(req.pool);
    const now = this.clock();
    const out: Instance[] = [];
    for (let k = 0; k < req.count; k++) {
      const name = `${req.pool.name}-${++this.counter}`;
      const inst: LocalInstance = {
        id: `lc-${name}`, launchId: req.launchId, pool: req.pool.name, instanceType: req.instanceType, capacityType: 'on-demand',
        state: 'pending', launchedAt: now, nodeName: name, readyAt: now + local.startupDelay,
      };
      this.instances.set(inst.id, inst);
      this.save();
      const child = this.spawnAgent(req.pool, name, token, local.startupDelay);
      inst.pid = child.pid;
      this.children.set(inst.id, child);
      this.save();
      out.push(this.view(inst));
    }
    this.opts.log?.(`local provider: started ${out.map((i) => i.nodeName).join(', ')} for launch ${req.launchId}`);
    return out;
  }

  /** `sh -c 'sleep DELAY; exec flurry agent …'` in its own process group, logging to the state directory. */
  private spawnAgent(pool: CloudPoolConfig, name: string, token: string, delay: number): ChildProcess {
    const local = pool.local!;
    const type: InstanceTypeInfo = { name: `local.${pool.name}`, cores: local.cores, gpus: local.gpus, memoryMB: local.memoryMB, efa: false, onDemandPrice: 0, arch: 'x86_64' };
    const stateDir = join(this.dir, 'agents', name);
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const props = nodeProperties(type, { efa: false, capacityType: 'on-demand', properties: pool.properties });
    const command = this.opts.command ?? [process.execPath, join(packageRoot(), 'bin', 'flurry.mjs')];
    const args = [
      ...command, 'agent', '--uri', this.opts.uri, '--hostname', name, '--cores', String(local.cores), '--gpus', String(local.gpus),
      '--memory', String(local.memoryMB), '--state-dir', stateDir, ...props.flatMap((p) => ['--property', p]),
      ...(this.opts.caFile ? ['--ca', this.opts.caFile] : []),
    ];
    const log = openSync(join(this.dir, 'agents', `${name}.log`), 'a', 0o600);
    try {
      const child = spawn('/bin/sh', ['-c', 'sleep "$0" && exec "$@"', String(delay), ...args], {
        env: { ...process.env, FLURRY_JOIN_TOKEN: token },
        stdio: ['ignore', log, log],
        detached: true,
      });
      child.on('error', (err) => this.opts.log?.(`local provider: ${name}: ${err.message}`));
      child.unref();
      return child;
    } finally {
      closeSync(log);
    }
  }

  async delete(instanceId: string): Promise<void> {
    const inst = this.instances.get(instanceId);
    if (!inst) throw new InstanceNotFoundError(instanceId);
    if (inst.state === 'terminated') return;
    inst.state = 'terminating';
    await this.stop(inst);
    inst.state = 'terminated';
    this.children.delete(instanceId);
    this.save();
    this.opts.log?.(`local provider: stopped ${inst.nodeName} (${instanceId})`);
  }

  /** SIGTERM to the process group, SIGKILL after the grace. */
  private async stop(inst: LocalInstance): Promise<void> {
    const pid = inst.pid;
    const child = this.children.get(inst.id);
    const gone = () => (child ? child.exitCode !== null || child.signalCode !== null : !alive(pid));
    if (!pid || gone()) return;
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-pid, sig);
      } catch {
        // already gone
      }
    };
    signal('SIGTERM');
    const deadline = Date.now() + (this.opts.graceMs ?? 5000);
    while (!gone() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!gone()) {
      signal('SIGKILL');
      for (let i = 0; i < 40 && !gone(); i++) await new Promise((r) => setTimeout(r, 50));
    }
  }

  async get(instanceId: string): Promise<Instance> {
    const inst = this.instances.get(instanceId);
    if (!inst) throw new InstanceNotFoundError(instanceId);
    return this.view(inst);
  }

  async list(): Promise<Instance[]> {
    return [...this.instances.values()].map((i) => this.view(i)).filter((i) => i.state !== 'terminated');
  }

  async getInstanceTypes(pool: CloudPoolConfig): Promise<InstanceTypeInfo[]> {
    const l = pool.local;
    if (!l) return [];
    return [{ name: `local.${pool.name}`, cores: l.cores, gpus: l.gpus, memoryMB: l.memoryMB, efa: false, onDemandPrice: 0, spotPrice: 0, arch: 'x86_64' }];
  }

  /** Stop every agent this provider started (an instance shutting down for good). */
  async deleteAll(): Promise<void> {
    await Promise.all([...this.instances.values()].filter((i) => i.state !== 'terminated').map((i) => this.delete(i.id)));
  }

  /** Process ids of the agents still alive, by instance id (tests). */
  pids(): Map<string, number> {
    const out = new Map<string, number>();
    for (const i of this.instances.values()) if (i.pid && this.view(i).state !== 'terminated') out.set(i.id, i.pid);
    return out;
  }
}

// supervisor.ts - one child process of `flurry start` (the control plane, or an agent): spawned with an IPC channel and
// its output in a log file, awaited until it says it is ready, restarted when it dies unexpectedly, stopped in order.
// Invariants: a child runs in its own process group (a terminal's Ctrl-C reaches only the supervisor, which stops
// children in order) and exits when the IPC channel closes, i.e. when the supervisor dies, however abruptly; a child
// that exits while not being stopped is restarted at most `restart.max` times per `restart.windowMs`; stop() resolves
// only once the process has exited (SIGKILL after its timeout).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, createWriteStream, openSync, readFileSync } from 'node:fs';

/**
 * A preload for children that do not watch the IPC channel themselves (`flurry agent`): when the channel closes, the
 * process signals itself SIGTERM, its ordinary clean stop. The channel is unref'd so it never keeps the child alive.
 */
export const EXIT_WITH_PARENT_PRELOAD =
  'data:text/javascript,' +
  encodeURIComponent("process.on('disconnect',()=>process.kill(process.pid,'SIGTERM'));process.channel?.unref();");

export interface ChildSpec {
  /** Short name for messages and log prefixes: "control-plane", "node0". */
  name: string;
  /** Arguments to `node` (process.execPath). */
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** The child's stdout and stderr are appended here. */
  logFile: string;
  /** Also receive each line of the child's output (--verbose). */
  echo?: (line: string) => void;
  /** start() waits for an IPC message {type: 'ready'} from the child, at most this long; absent: start() returns at spawn. */
  readyTimeoutMs?: number;
  /** Restart policy for unexpected exits; `onlyFailures` leaves a child that exited 0 alone. */
  restart?: { max: number; windowMs: number; onlyFailures?: boolean };
  /** One line per unexpected exit, restart and give-up. */
  notify(line: string): void;
  /** Called once when the child died unexpectedly and will not be restarted. */
  onGiveUp?(reason: string): void;
}

/** How a process ended, in words: "exit status 3", "signal SIGKILL". */
function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `exit status ${code}`;
}

/** The last lines of a log file, for an error message. */
export function logTail(path: string, lines = 5): string {
  try {
    const text = readFileSync(path, 'utf8').trimEnd();
    return text.split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export class SupervisedChild {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopping = false;
  private restarts: number[] = [];
  private gaveUp = false;
  /** The payload of the child's last ready message. */
  ready: Record<string, unknown> | undefined;

  constructor(readonly spec: ChildSpec) {}

  /** The current process id, while there is a process. */
  get pid(): number | undefined {
    return this.child && this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** Spawns the child and (with readyTimeoutMs) waits until it is ready; throws with the log's tail if it is not. */
  async start(): Promise<void> {
    this.stopping = false;
    await this.spawnOnce();
  }

  private spawnOnce(): Promise<void> {
    const s = this.spec;
    const out = s.echo ? 'pipe' : openSync(s.logFile, 'a', 0o600);
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, s.args, { env: s.env ?? process.env, stdio: ['ignore', out, out, 'ipc'], detached: true });
    } finally {
      if (typeof out === 'number') closeSync(out);
    }
    this.child = child;
    if (s.echo) this.tee(child);
    let isReady = s.readyTimeoutMs === undefined;
    this.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => {
      if (this.stopping || !isReady || this.child !== child) return;
      void this.unexpectedExit(describeExit(code, signal), code === 0);
    });
    child.on('error', (err) => s.notify(`${s.name}: ${err.message}`));
    if (isReady) return Promise.resolve();

    return new Promise<void>((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        const tail = logTail(s.logFile);
        reject(new Error(`${s.name} ${why} (log: ${s.logFile})${tail ? `:\n${tail}` : ''}`));
      };
      const onMessage = (msg: unknown) => {
        if (!msg || typeof msg !== 'object' || (msg as { type?: unknown }).type !== 'ready') return;
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        this.ready = msg as Record<string, unknown>;
        isReady = true;
        resolve();
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => fail(`exited while starting (${describeExit(code, signal)})`);
      const timer = setTimeout(() => fail(`was not ready within ${Math.round((s.readyTimeoutMs ?? 0) / 1000)} s`), s.readyTimeoutMs);
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  }

  /** Copies piped output to the log file and to `echo`, line by line. */
  private tee(child: ChildProcess): void {
    const file = createWriteStream(this.spec.logFile, { flags: 'a', mode: 0o600 });
    let pending = '';
    const onData = (chunk: Buffer) => {
      file.write(chunk);
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) this.spec.echo?.(line);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', () => {
      if (pending) this.spec.echo?.(pending);
      file.end();
    });
  }

  private async unexpectedExit(how: string, clean: boolean): Promise<void> {
    const s = this.spec;
    const policy = s.restart;
    if (!policy || (clean && policy.onlyFailures)) {
      s.notify(`${s.name} exited (${how}); not restarting it (log: ${s.logFile})`);
      if (!policy) this.giveUp(`${s.name} exited (${how})`);
      return;
    }
    for (;;) {
      const now = Date.now();
      this.restarts = this.restarts.filter((t) => now - t < policy.windowMs);
      if (this.restarts.length >= policy.max) {
        s.notify(`${s.name} exited (${how}) ${policy.max} times within ${Math.round(policy.windowMs / 1000)} s; giving up (log: ${s.logFile})`);
        return this.giveUp(`${s.name} keeps exiting (${how})`);
      }
      // A short pause after a quick repeat, so a child that cannot start does not spin.
      if (this.restarts.length > 0) await new Promise((r) => setTimeout(r, 250 * this.restarts.length));
      if (this.stopping) return;
      this.restarts.push(Date.now());
      s.notify(`${s.name} exited (${how}); restarting it (${this.restarts.length} of ${policy.max} within ${Math.round(policy.windowMs / 1000)} s)`);
      try {
        await this.spawnOnce();
        if (!this.stopping) s.notify(`${s.name} restarted (pid ${this.child?.pid})`);
        return;
      } catch (err) {
        if (this.stopping) return;
        how = (err as Error).message.split('\n')[0] ?? 'failed';
      }
    }
  }

  private giveUp(reason: string): void {
    if (this.gaveUp) return;
    this.gaveUp = true;
    this.spec.onGiveUp?.(reason);
  }

  /** Sends a signal to the running process (a second SIGTERM makes an agent kill its tasks at once). */
  signal(sig: NodeJS.Signals): void {
    const pid = this.pid;
    if (pid === undefined) return;
    try {
      process.kill(pid, sig);
    } catch {
      // gone meanwhile
    }
  }

  /** Stops the child for good: `sig`, then SIGKILL to its process group after `timeoutMs`. Resolves once it exited. */
  async stop(sig: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.signal(sig);
    const timer = setTimeout(() => this.killGroup(), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL to the child's process group, at once. */
  killGroup(): void {
    this.stopping = true;
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

// session.ts - `flurry start` in the foreground: bring the instance up, say how to use it, then either wait for Ctrl-C
// or run the given command inside the instance (like `flux start CMD`), and bring everything down.
// Invariants: the result is the exit status to use (the command's, 128+signal if a signal ended it, 0 after Ctrl-C,
// 1 if the instance failed); one Ctrl-C/SIGTERM stops in order, a second hurries it; while a command runs, the
// terminal's Ctrl-C is the command's to handle (the instance stops when the command ends) and SIGTERM/SIGHUP are
// forwarded to it; the command never inherits a FLURRY_TOKEN meant for another instance.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { homedir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { compressHostlist } from '../../control/core/hostlist.ts';
import { startLocalInstance, type LocalInstance, type StartConfig } from './start.ts';

export interface SessionIO {
  /** The banner (stdout). */
  out(text: string): void;
  /** Status lines (stderr). */
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** The directory other shells use when nothing is set ($FLURRY_DIR or ~/.flurry). */
  defaultDir: string;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function tilde(path: string): string {
  const home = homedir();
  return home && path.startsWith(home + '/') ? '~' + path.slice(home.length) : path;
}

/** Single-quotes a word for a POSIX shell when it needs it. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The lines printed once the instance is ready. */
export function banner(inst: LocalInstance, cfg: StartConfig, seconds: number, defaultDir: string): string {
  const n = inst.nodes.length;
  const shape =
    n === 0
      ? 'no local nodes (agents join from elsewhere with the join token in ' + tilde(inst.dir) + '/join-token)'
      : `${n} node${n === 1 ? '' : 's'} × ${cfg.coresPerNode} core${cfg.coresPerNode === 1 ? '' : 's'}` +
        (cfg.gpusPerNode ? ` × ${cfg.gpusPerNode} GPU${cfg.gpusPerNode === 1 ? '' : 's'}` : '') +
        ` (${compressHostlist(inst.nodes)})`;
  const lines = [
    `flurry: instance ready in ${seconds.toFixed(1)} s: ${shape}`,
    `  URI:        ${inst.uri}`,
    `  token file: ${inst.tokenFile} (mode 0600)`,
    `  directory:  ${inst.dir}${cfg.ephemeral ? ' (ephemeral: removed at exit)' : ''}`,
  ];
  if (!cfg.ephemeral && inst.dir === defaultDir) {
    lines.push(`flurry commands in other shells use it by default (${tilde(inst.dir)}); try: flurry resource list`);
  } else {
    lines.push('From another shell:', `  export FLURRY_URI=${shellWord(inst.uri)} FLURRY_TOKEN_FILE=${shellWord(inst.tokenFile)}`);
  }
  lines.push('Ctrl-C to stop.');
  return lines.join('\n') + '\n';
}

/**
 * Runs a whole `flurry start` session; resolves with the exit status.
 * @example process.exitCode = await runStartSession(cfg, ['sh', '-c', 'flurry run hostname'], io)
 */
export async function runStartSession(cfg: StartConfig, command: string[] | undefined, io: SessionIO): Promise<number> {
  let signals = 0;
  let inst: LocalInstance | undefined;
  let onSignal: ((sig: NodeJS.Signals) => void) | undefined;
  const handler = (sig: NodeJS.Signals) => {
    signals++;
    if (onSignal) return onSignal(sig);
    // Still starting: the first signal stops as soon as the start settles, a second one exits at once (children and
    // DynamoDB Local follow us through their IPC channel and stdin pipe).
    if (signals === 1) io.err('flurry start: stopping as soon as the instance has started (Ctrl-C again to quit at once)\n');
    else process.exit(128 + (constants.signals[sig] ?? 2));
  };
  for (const sig of SIGNALS) process.on(sig, handler);
  try {
    try {
      inst = await startLocalInstance(cfg);
    } catch (err) {
      if (signals > 0) return 128 + constants.signals.SIGINT;
      throw err;
    }
    const ready = performance.now() / 1000;
    let stopping: Promise<void> | undefined;
    const quiet = !!command?.length && !cfg.echo;
    const stop = (): Promise<void> => {
      if (!stopping) {
        if (!quiet) io.err('flurry start: stopping (Ctrl-C again to kill the tasks at once)\n');
        stopping = inst!.stop();
      }
      return stopping;
    };
    if (signals > 0) {
      await stop();
      return 0;
    }

    if (!command || command.length === 0) {
      io.out(banner(inst, cfg, ready, io.defaultDir));
      const reason = await new Promise<string | undefined>((resolve) => {
        onSignal = () => {
          if (signals === 1) resolve(undefined);
          else {
            io.err('flurry start: hurrying: agents kill their tasks now\n');
            inst!.hurry();
          }
        };
        void inst!.failed.then(resolve);
      });
      if (reason) io.err(`flurry start: ${reason}; stopping\n`);
      await stop();
      io.err('flurry start: stopped\n');
      return reason ? 1 : 0;
    }

    if (cfg.echo) io.err(`flurry start: instance ready in ${ready.toFixed(1)} s at ${inst.uri}; running ${command.join(' ')}\n`);
    const env: NodeJS.ProcessEnv = { ...io.env, FLURRY_URI: inst.uri, FLURRY_TOKEN_FILE: inst.tokenFile, FLURRY_DIR: inst.dir };
    delete env.FLURRY_TOKEN;
    const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env });
    let stoppedFirst = false;
    onSignal = (sig) => {
      if (stopping) {
        inst!.hurry();
      } else if (sig !== 'SIGINT') {
        child.kill(sig);
      }
    };
    void inst.failed.then((reason) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      io.err(`flurry start: ${reason}; stopping ${command[0]}\n`);
      stoppedFirst = true;
      child.kill('SIGTERM');
    });
    const status = await new Promise<number>((resolve) => {
      child.once('error', (err) => {
        io.err(`flurry start: cannot run ${command[0]}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'command not found' : err.message}\n`);
        resolve(127);
      });
      child.once('exit', (code, sig) => resolve(sig ? 128 + (constants.signals[sig] ?? 1) : (code ?? 1)));
    });
    await stop();
    return stoppedFirst ? Math.max(status, 1) : status;
  } finally {
    for (const sig of SIGNALS) process.off(sig, handler);
  }
}

// testing.ts - runs `flurry ARGV` in-process for the CLI's tests: what main.ts would print on stdout and stderr (commander's
// messages and ours), and the exit code. Test-only (it spies on the process streams with vitest).
import { CommanderError, type Command } from 'commander';
import { vi } from 'vitest';
import { describeFailure } from './fail.ts';
import { buildProgram } from './program.ts';

export interface CliRun {
  out: string;
  err: string;
  code: number;
}

/**
 * @param env variables set for the run (undefined removes one); the environment is restored afterwards.
 * @example const { out, code } = await runCli(['hostlist', '-c', 'n[1-4]']) // out: '4\n', code: 0
 */
export async function runCli(argv: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const program = buildProgram();
  let out = '';
  let err = '';
  const quiet = (c: Command): void => {
    c.exitOverride().configureOutput({ writeOut: (s) => void (out += s), writeErr: (s) => void (err += s) });
    c.commands.forEach(quiet);
  };
  quiet(program);
  const saved = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const w1 = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const w2 = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  process.exitCode = undefined;
  try {
    await program.parseAsync(argv, { from: 'user' });
    return { out, err, code: Number(process.exitCode ?? 0) };
  } catch (e) {
    if (e instanceof CommanderError) return { out, err, code: e.exitCode };
    const f = describeFailure(e);
    return { out, err: `${err}flurry: ${f.message}\n`, code: f.exitCode };
  } finally {
    w1.mockRestore();
    w2.mockRestore();
    process.env = saved;
    process.exitCode = undefined;
  }
}

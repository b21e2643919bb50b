// jobspec.ts - `flurry jobspec validate FILE...`: check jobspec files (YAML or JSON; "-" is stdin) as version 1
// (RFC 25) or, with --canonical, as canonical (RFC 14). Prints "FILE: ok" or "FILE: <error>" for each file;
// exits 0 only if every file is valid.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { FlurryError } from '../../../control/core/errors.ts';

export interface ValidateOptions {
  canonical?: boolean;
}

/** How files are read; tests pass their own. */
export interface ValidateIO {
  readFile(path: string): string;
  readStdin(): Promise<string>;
}

const processIO: ValidateIO = {
  readFile: (path) => readFileSync(path, 'utf8'),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

/**
 * Validate each file; returns the report and the exit code (1 if any file is invalid or unreadable).
 * @example await runValidate(['job.yaml'], {}, io) // { out: 'job.yaml: ok\n', exitCode: 0 }
 */
export async function runValidate(files: string[], opts: ValidateOptions, io: ValidateIO = processIO): Promise<{ out: string; exitCode: number }> {
  // Loaded here, not at the top: the validators bring zod and yaml, which other commands start without.
  const { parseJobspecText, validateCanonicalJobspec, validateJobspecV1 } = await import('../../../control/core/jobspec/index.ts');
  const validate = opts.canonical ? validateCanonicalJobspec : validateJobspecV1;
  let out = '';
  let exitCode = 0;
  for (const file of files) {
    let line: string;
    try {
      const text = file === '-' ? await io.readStdin() : readOrExplain(io, file);
      validate(parseJobspecText(text));
      line = 'ok';
    } catch (e) {
      if (!(e instanceof FlurryError)) throw e;
      line = e.message;
      exitCode = 1;
    }
    out += `${file}: ${line}\n`;
  }
  return { out, exitCode };
}

function readOrExplain(io: ValidateIO, file: string): string {
  try {
    return io.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new FlurryError('unreadable', `cannot read: ${why}`);
  }
}

export function register(program: Command): void {
  const jobspec = program.command('jobspec').description('work with jobspec files (RFC 14, RFC 25)');
  jobspec
    .command('validate')
    .description('check jobspec files: version 1 (RFC 25) by default, or canonical (RFC 14)')
    .argument('<file...>', 'YAML or JSON jobspec files; "-" reads stdin')
    .option('--canonical', 'validate as a canonical jobspec (RFC 14) instead of version 1')
    .action(async (files: string[], opts: ValidateOptions) => {
      const { out, exitCode } = await runValidate(files, opts);
      process.stdout.write(out);
      if (exitCode !== 0) process.exitCode = exitCode;
    });
}

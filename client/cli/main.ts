// main.ts - entry point of the `flurry` CLI bundle (dist/flurry.mjs): parse, run, map failures to exit codes.
import { CommanderError } from 'commander';
import { buildProgram } from './program.ts';
import { describeFailure } from './fail.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `flurry jobs --json | head`: the reader went away; stop quietly, as other Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its message (or the help/version text).
      process.exitCode = err.exitCode;
      return;
    }
    const { message, exitCode } = describeFailure(err);
    process.stderr.write(`flurry: ${message}\n`);
    process.exitCode = exitCode;
  }
}

await main(process.argv);

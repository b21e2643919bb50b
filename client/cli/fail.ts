// fail.ts - how CLI commands report failure: throw CliError, and main prints "flurry: <message>" and exits.
import { FlurryError } from '../../control/core/errors.ts';

/** A failure the user should read; `exitCode` defaults to 1. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Turn anything thrown into the line we print and the exit code; stack traces only with FLURRY_DEBUG=1. */
export function describeFailure(err: unknown): { message: string; exitCode: number } {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof FlurryError) return { message: err.message, exitCode: 1 };
  if (err instanceof Error) {
    const debug = process.env.FLURRY_DEBUG ? `\n${err.stack ?? ''}` : '';
    return { message: `${err.message}${debug}`, exitCode: 1 };
  }
  return { message: String(err), exitCode: 1 };
}

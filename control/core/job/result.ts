// result.ts - wait statuses (POSIX waitpid encoding) and the job result Flux derives from finish and exceptions.
// Invariant: pure arithmetic; a wait status is `exitCode << 8` for a normal exit, or the signal number (| 0x80 for a core dump).
import type { JobException, Result } from './types.ts';

/** What a wait status says: exactly one of exitCode / signal is set (neither for a stopped-process status). */
export interface DecodedWaitStatus {
  exitCode?: number;
  signal?: number;
  coreDumped?: boolean;
}

/**
 * Decode a wait status as WIFEXITED/WEXITSTATUS and WIFSIGNALED/WTERMSIG would.
 * @example decodeWaitStatus(3 << 8) // { exitCode: 3 }
 * @example decodeWaitStatus(9)      // { signal: 9 }
 */
export function decodeWaitStatus(status: number): DecodedWaitStatus {
  const low = status & 0x7f;
  if (low === 0) return { exitCode: (status >> 8) & 0xff };
  if (low === 0x7f) return {}; // stopped, not terminated
  return (status & 0x80) !== 0 ? { signal: low, coreDumped: true } : { signal: low };
}

/**
 * The wait status of a process that exited with `code`.
 * @example waitStatusFromExit(3) // 768
 */
export function waitStatusFromExit(code: number): number {
  return (code & 0xff) << 8;
}

/**
 * The wait status of a process killed by signal `signo`.
 * @example waitStatusFromSignal(9) // 9
 */
export function waitStatusFromSignal(signo: number, coreDumped = false): number {
  return (signo & 0x7f) | (coreDumped ? 0x80 : 0);
}

/**
 * The result a fatal exception of this type gives (Flux: `cancel` → CANCELED, `timeout` → TIMEOUT, others FAILED).
 * RFC 21 names the time-limit exception `timelimit` while flux-core raises `timeout`: both give TIMEOUT.
 * @example resultOfException('cancel') // 'CANCELED'
 */
export function resultOfException(type: string): Result {
  if (type === 'cancel') return 'CANCELED';
  if (type === 'timeout' || type === 'timelimit') return 'TIMEOUT';
  return 'FAILED';
}

/**
 * A job's result as Flux computes it: COMPLETED when `finish` reported status 0 before any fatal exception;
 * otherwise from the first fatal exception's type; otherwise FAILED (non-zero finish status).
 * @example deriveResult({ success: true }) // 'COMPLETED'
 * @example deriveResult({ success: false, exception: { type: 'cancel', severity: 0, note: '' } }) // 'CANCELED'
 */
export function deriveResult(v: { success?: boolean; exception?: JobException }): Result {
  if (v.success === true) return 'COMPLETED';
  if (v.exception !== undefined && v.exception.severity === 0) return resultOfException(v.exception.type);
  return 'FAILED';
}

/**
 * Flux's `returncode`: the exit code, or minus the signal number, or -128 for a job canceled before it finished
 * without a wait status; undefined when there is no wait status otherwise.
 * @example returncodeOf({ waitstatus: 9 }, 'FAILED') // -9
 */
export function returncodeOf(v: { waitstatus?: number }, result: Result): number | undefined {
  if (v.waitstatus !== undefined) {
    const d = decodeWaitStatus(v.waitstatus);
    if (d.exitCode !== undefined) return d.exitCode;
    if (d.signal !== undefined) return -d.signal;
    return undefined;
  }
  return result === 'CANCELED' ? -128 : undefined;
}

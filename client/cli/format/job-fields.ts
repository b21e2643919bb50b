// job-fields.ts - the fields `flurry jobs --format` knows, computed from the API's JobSummary as `flux jobs` names
// them (id.f58, username, status_abbrev, contextual_info, ...), their column headers, and the named formats.
// Invariants: pure; a field absent for a job renders as "" (the template's `h` turns it into "-").
import { decodeFluid, encodeFluid, type FluidEncoding } from '../../../control/core/fluid.ts';
import type { JobSummary } from '../../sdk/types.ts';
import type { FieldValue } from './template.ts';

/** Flux's default `flux jobs` format. */
export const DEFAULT_JOBS_FORMAT =
  '{id.f58:>12} {username:<8.8} {name:<10.10+} {status_abbrev:>2.2} {ntasks:>6} {nnodes:>6h} {contextual_time!F:>8h} {contextual_info}';

/** Named formats for `--format NAME`. */
export const JOBS_FORMATS: Readonly<Record<string, string>> = {
  default: DEFAULT_JOBS_FORMAT,
  long:
    '{id.f58:>12} {username:<8.8} {urgency:>3} {priority:>12h} {name:<10.10+} {status:<9.9} {ntasks:>6} {nnodes:>6h} ' +
    '{runtime!F:>8h} {duration!F:>8h} {t_submit!D:<19} {contextual_info}',
  deps: '{id.f58:>12} {username:<8.8} {name:<10.10+} {status_abbrev:>2.2} {contextual_info}',
};

const PENDING = new Set(['NEW', 'DEPEND', 'PRIORITY', 'SCHED']);

type Getter = (j: JobSummary, now: number) => FieldValue;

const idAs = (to: FluidEncoding): Getter => (j) => {
  try {
    return encodeFluid(decodeFluid(j.id), to);
  } catch {
    return j.id;
  }
};

/** Flux's returncode: exit code, -signal, or -128 for a job canceled before it ran; "" while active. */
function returncode(j: JobSummary): FieldValue {
  if (j.state !== 'INACTIVE') return undefined;
  if (j.signal !== undefined) return -j.signal;
  if (j.exitCode !== undefined) return j.exitCode;
  return j.result === 'CANCELED' ? -128 : undefined;
}

/** The INFO column: where it ran, else why it waits, else what stopped it. */
export function contextualInfo(j: JobSummary): string {
  if (j.nodelist) return j.nodelist;
  if (PENDING.has(j.state)) {
    if (j.urgency === 0) return 'held';
    if (j.state === 'DEPEND') return 'depends';
    if (j.state === 'PRIORITY') return 'priority-wait';
    return '';
  }
  if (j.exception) return `${j.exception.type}${j.exception.note ? `: ${j.exception.note}` : ''}`;
  return '';
}

/** Why an inactive job ended, as Flux's inactive_reason. */
function inactiveReason(j: JobSummary): FieldValue {
  if (j.state !== 'INACTIVE') return undefined;
  if (j.result === 'CANCELED') return `Canceled${j.exception?.note ? `: ${j.exception.note}` : ''}`;
  if (j.result === 'TIMEOUT') return 'Timeout';
  if (j.exception && j.exception.severity === 0) return `Exception: type=${j.exception.type} note=${j.exception.note}`;
  if (j.signal !== undefined) return `Killed by signal ${j.signal}`;
  if (j.exitCode !== undefined) return `Exit ${j.exitCode}`;
  return undefined;
}

const FIELDS: Record<string, { header: string; get: Getter }> = {
  id: { header: 'JOBID', get: idAs('dec') },
  'id.dec': { header: 'JOBID', get: idAs('dec') },
  'id.f58': { header: 'JOBID', get: idAs('f58') },
  'id.hex': { header: 'JOBID', get: idAs('hex') },
  'id.dothex': { header: 'JOBID', get: idAs('dothex') },
  'id.words': { header: 'JOBID', get: idAs('words') },
  username: { header: 'USER', get: (j) => j.owner },
  userid: { header: 'UID', get: (j) => j.owner },
  name: { header: 'NAME', get: (j) => j.name },
  urgency: { header: 'URG', get: (j) => j.urgency },
  priority: { header: 'PRI', get: (j) => j.priority },
  state: { header: 'STATE', get: (j) => j.state },
  state_single: { header: 'S', get: (j) => (j.state === 'INACTIVE' ? 'I' : j.stateCode.slice(0, 1)) },
  status: { header: 'STATUS', get: (j) => (j.state === 'INACTIVE' ? (j.result ?? 'INACTIVE') : j.state) },
  status_abbrev: { header: 'ST', get: (j) => j.stateCode },
  result: { header: 'RESULT', get: (j) => j.result },
  result_abbrev: { header: 'RS', get: (j) => (j.state === 'INACTIVE' ? j.stateCode : undefined) },
  success: { header: 'SUCCESS', get: (j) => (j.state === 'INACTIVE' ? j.result === 'COMPLETED' : undefined) },
  ntasks: { header: 'NTASKS', get: (j) => j.ntasks },
  nnodes: { header: 'NNODES', get: (j) => j.nnodes },
  nodelist: { header: 'NODELIST', get: (j) => j.nodelist },
  waitstatus: { header: 'WSTATUS', get: (j) => j.waitstatus },
  returncode: { header: 'RC', get: returncode },
  'exception.occurred': { header: 'EXCEPTION-OCCURRED', get: (j) => (j.state === 'INACTIVE' || j.exception ? j.exception !== undefined : undefined) },
  'exception.severity': { header: 'EXCEPTION-SEVERITY', get: (j) => j.exception?.severity },
  'exception.type': { header: 'EXCEPTION-TYPE', get: (j) => j.exception?.type },
  'exception.note': { header: 'EXCEPTION-NOTE', get: (j) => j.exception?.note },
  t_submit: { header: 'T_SUBMIT', get: (j) => j.t_submit },
  t_run: { header: 'T_RUN', get: (j) => j.t_run },
  t_inactive: { header: 'T_INACTIVE', get: (j) => j.t_inactive },
  runtime: { header: 'RUNTIME', get: (j) => j.runtime },
  duration: { header: 'DURATION', get: (j) => j.duration },
  expiration: { header: 'EXPIRATION', get: (j) => (j.t_run !== undefined && j.duration > 0 ? j.t_run + j.duration : undefined) },
  t_remaining: {
    header: 'T_REMAINING',
    get: (j, now) => (j.t_run !== undefined && j.duration > 0 && j.state === 'RUN' ? Math.max(0, j.t_run + j.duration - now) : undefined),
  },
  contextual_info: { header: 'INFO', get: contextualInfo },
  contextual_time: { header: 'TIME', get: (j) => (PENDING.has(j.state) ? 0 : j.runtime) },
  inactive_reason: { header: 'INACTIVE-REASON', get: inactiveReason },
};

/** Every field name `--format` accepts. */
export const JOB_FIELD_NAMES: readonly string[] = Object.keys(FIELDS);

/** Column headers by field name. */
export const JOB_HEADERS: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(FIELDS).map(([k, v]) => [k, v.header]));

/**
 * A field of a job, for renderRow.
 * @example jobField(job, 'id.f58', Date.now() / 1000) // 'ƒ2MU1GM7V'
 */
export function jobField(j: JobSummary, field: string, now: number): FieldValue {
  return FIELDS[field]?.get(j, now);
}

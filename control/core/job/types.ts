// types.ts - job states, results and the JobView the reducer derives from an eventlog (RFC 21).
// Invariant: a JobView is plain JSON (no undefined-valued keys, no Dates, no Sets) so it can be stored and compared as is.

/** RFC 21 job states, in lifecycle order. */
export const STATES = ['NEW', 'DEPEND', 'PRIORITY', 'SCHED', 'RUN', 'CLEANUP', 'INACTIVE'] as const;
export type State = (typeof STATES)[number];

/** Results an INACTIVE job can have, as Flux derives them. */
export const RESULTS = ['COMPLETED', 'FAILED', 'CANCELED', 'TIMEOUT'] as const;
export type Result = (typeof RESULTS)[number];

/** RFC 21 virtual states. */
export const PENDING_STATES: readonly State[] = ['DEPEND', 'PRIORITY', 'SCHED'];
export const RUNNING_STATES: readonly State[] = ['RUN', 'CLEANUP'];
export const ACTIVE_STATES: readonly State[] = [...PENDING_STATES, ...RUNNING_STATES];

/** An exception as the view keeps it: the most severe one seen, the first among equals. */
export interface JobException {
  type: string;
  /** 0 (fatal) … 7. */
  severity: number;
  note: string;
}

/** Everything the eventlog says about a job, derived by `reduceEventlog`. */
export interface JobView {
  state: State;
  /** Set once INACTIVE. */
  result?: Result;
  /** Flux's `success`: provisional from `finish` (status 0 and no fatal exception before it), final once INACTIVE. */
  success?: boolean;
  /** From `finish`: the largest job-shell wait status, as waitpid(2) encodes it. */
  waitstatus?: number;
  /** Decoded from `waitstatus` when the shells exited normally. */
  exitCode?: number;
  /** Decoded from `waitstatus` when a signal ended them. */
  signal?: number;
  /** Flux's returncode, once INACTIVE: exit code, or -signal, or -128 when canceled before it ran. */
  returncode?: number;
  urgency: number;
  /** From the latest `priority` event. */
  priority?: number;
  /** The submitter (RFC 21 `userid`; we record an owner name). */
  owner: string;
  /** Flags from `submit` and `set-flags` (e.g. `debug`, `waitable`). */
  flags: string[];
  /** Time of entry into each state (the first entry, for states a job can re-enter). Seconds since the epoch. */
  t_submit: number;
  t_depend?: number;
  t_priority?: number;
  t_sched?: number;
  t_run?: number;
  t_cleanup?: number;
  t_inactive?: number;
  exception?: JobException;
  /** Resources were allocated (`alloc` seen). */
  allocated: boolean;
  /** Job shells started (`start` seen). */
  started: boolean;
  /** All resources released by the execution system (`release` with final=true seen). */
  released: boolean;
  /** Resources returned to the scheduler (`free` seen). */
  freed: boolean;
  /** Outstanding dependencies (RFC 26 descriptions), in the order added. */
  dependencies: string[];
  /** Outstanding prolog and epilog actions (their descriptions). */
  prologs: string[];
  epilogs: string[];
  /** Key/values from `memo` events (a null value removes a key). */
  memo?: Record<string, unknown>;
  /** The job was rejected by an `invalidate` event (RFC 21: it would be removed); shown as INACTIVE/FAILED. */
  invalid?: boolean;
  /** Number of events reduced: the eventlog's length, for conditional appends. */
  eventCount: number;
}

/** The `t_*` field recording entry into a state. */
export const STATE_TIME_FIELD = {
  NEW: 't_submit',
  DEPEND: 't_depend',
  PRIORITY: 't_priority',
  SCHED: 't_sched',
  RUN: 't_run',
  CLEANUP: 't_cleanup',
  INACTIVE: 't_inactive',
} as const satisfies Record<State, keyof JobView>;

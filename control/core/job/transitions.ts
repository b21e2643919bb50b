// transitions.ts - the RFC 21 state machine: for each event, the states it may occur in, what it requires, and the view it yields.
// Invariant: `step` never mutates its input and never throws; it returns the next view or the reason the event cannot be appended.
import { checkContext, FATAL, type JobEvent } from './events.ts';
import { decodeWaitStatus, deriveResult, returncodeOf } from './result.ts';
import { ACTIVE_STATES, PENDING_STATES, STATE_TIME_FIELD, type JobView, type State } from './types.ts';

/** The next view, or why the event is refused. */
export type Outcome = JobView | string;
type Ctx = Record<string, unknown>;

interface Rule {
  /** States in which the event may be appended. */
  states: readonly State[];
  /** Given an allowed state and a checked context: the next view, or what is still missing. */
  apply(v: JobView, ev: JobEvent, c: Ctx): Outcome;
}

const NOT_INACTIVE: readonly State[] = ['NEW', ...ACTIVE_STATES];

/** Move to `state`, recording the first time the job entered it. */
function enter(v: JobView, state: State, t: number): JobView {
  const next: JobView = { ...v, state };
  const field = STATE_TIME_FIELD[state];
  if (next[field] === undefined) next[field] = t;
  return next;
}

/** Remove one outstanding perilog action: the one with this description, else the oldest (RFC 21: it SHOULD match). */
function removeAction(list: readonly string[], description: string): string[] {
  const i = list.indexOf(description);
  const at = i >= 0 ? i : 0;
  return [...list.slice(0, at), ...list.slice(at + 1)];
}

function perilogsRunning(v: JobView): string | null {
  if (v.prologs.length > 0) return `prolog "${v.prologs[0]}" is still running`;
  if (v.epilogs.length > 0) return `epilog "${v.epilogs[0]}" is still running`;
  return null;
}

function flagNames(flags: unknown): string[] {
  if (Array.isArray(flags)) return [...new Set(flags.map(String))];
  return typeof flags === 'number' && (flags & 1) !== 0 ? ['debug'] : []; // RFC 21: mask bit 1 = debug
}

function toInactive(v: JobView, t: number): JobView {
  const result = v.invalid ? 'FAILED' : deriveResult(v);
  const next: JobView = { ...enter(v, 'INACTIVE', t), result, success: result === 'COMPLETED' };
  const rc = v.invalid ? undefined : returncodeOf(v, result);
  if (rc !== undefined) next.returncode = rc;
  return next;
}

const RULES = new Map<string, Rule>([
  ['submit', { states: [], apply: () => 'it must be the first event' }],
  ['validate', { states: ['NEW'], apply: (v, ev) => enter(v, 'DEPEND', ev.timestamp) }],
  ['invalidate', { states: ['NEW'], apply: (v, ev) => toInactive({ ...v, invalid: true }, ev.timestamp) }],
  ['jobspec-update', {
    states: NOT_INACTIVE,
    // A pending job goes back to PRIORITY to be re-prioritized, as for urgency (flux-core does the same).
    apply: (v) => (v.state === 'SCHED' ? { ...v, state: 'PRIORITY' } : v),
  }],
  ['set-flags', {
    states: NOT_INACTIVE,
    apply: (v, _ev, c) => ({ ...v, flags: [...new Set([...v.flags, ...flagNames(c.flags)])] }),
  }],
  ['dependency-add', {
    states: ['NEW', 'DEPEND'],
    apply: (v, _ev, c) => {
      const d = c.description as string;
      return v.dependencies.includes(d) ? v : { ...v, dependencies: [...v.dependencies, d] };
    },
  }],
  ['dependency-remove', {
    states: ['NEW', 'DEPEND'],
    apply: (v, _ev, c) => {
      const d = c.description as string;
      if (!v.dependencies.includes(d)) return `no outstanding dependency "${d}"`;
      return { ...v, dependencies: v.dependencies.filter((x) => x !== d) };
    },
  }],
  ['depend', {
    states: ['DEPEND'],
    apply: (v, ev) =>
      v.dependencies.length > 0
        ? `${v.dependencies.length} dependenc${v.dependencies.length === 1 ? 'y is' : 'ies are'} outstanding ("${v.dependencies[0]}")`
        : enter(v, 'PRIORITY', ev.timestamp),
  }],
  ['priority', {
    states: ['PRIORITY', 'SCHED'],
    apply: (v, ev, c) => ({ ...enter(v, 'SCHED', ev.timestamp), priority: c.priority as number }),
  }],
  ['urgency', {
    states: PENDING_STATES,
    apply: (v, _ev, c) => ({ ...v, urgency: c.urgency as number, state: v.state === 'SCHED' ? 'PRIORITY' : v.state }),
  }],
  ['flux-restart', { states: NOT_INACTIVE, apply: (v) => (v.state === 'SCHED' ? { ...v, state: 'PRIORITY' } : v) }],
  ['alloc', { states: ['SCHED'], apply: (v, ev) => ({ ...enter(v, 'RUN', ev.timestamp), allocated: true }) }],
  ['prolog-start', {
    states: ['RUN'],
    apply: (v, _ev, c) => (v.started ? 'the job has already started' : { ...v, prologs: [...v.prologs, c.description as string] }),
  }],
  ['prolog-finish', {
    states: ['RUN', 'CLEANUP'],
    apply: (v, _ev, c) =>
      v.prologs.length === 0 ? 'no prolog is running' : { ...v, prologs: removeAction(v.prologs, c.description as string) },
  }],
  ['start', {
    states: ['RUN'],
    apply: (v) => {
      if (v.started) return 'the job has already started';
      if (v.prologs.length > 0) return `prolog "${v.prologs[0]}" is still running`;
      return { ...v, started: true };
    },
  }],
  ['finish', {
    states: ['RUN', 'CLEANUP'],
    apply: (v, ev, c) => {
      if (!v.started) return 'the job has not started';
      if (v.waitstatus !== undefined) return 'the job has already finished';
      const status = c.status as number;
      const ok = status === 0 && v.exception?.severity !== FATAL;
      const next: JobView = { ...enter(v, 'CLEANUP', ev.timestamp), waitstatus: status, success: ok };
      const { exitCode, signal } = decodeWaitStatus(status);
      if (exitCode !== undefined) next.exitCode = exitCode;
      if (signal !== undefined) next.signal = signal;
      return next;
    },
  }],
  ['release', {
    states: ['RUN', 'CLEANUP'],
    apply: (v, _ev, c) => {
      if (!v.allocated) return 'the job holds no resources';
      if (v.freed) return 'resources were already freed';
      if (v.released) return 'all resources were already released';
      if (c.final === true) {
        if (v.state === 'RUN') return 'a final release must wait for finish or a fatal exception';
        if (v.started && v.waitstatus === undefined) return 'the job shells have not finished';
        return { ...v, released: true };
      }
      return v;
    },
  }],
  ['epilog-start', {
    states: ['CLEANUP'],
    apply: (v, _ev, c) => {
      if (!v.allocated || v.freed) return 'the job holds no resources';
      return { ...v, epilogs: [...v.epilogs, c.description as string] };
    },
  }],
  ['epilog-finish', {
    states: ['CLEANUP'],
    apply: (v, _ev, c) =>
      v.epilogs.length === 0 ? 'no epilog is running' : { ...v, epilogs: removeAction(v.epilogs, c.description as string) },
  }],
  ['free', {
    states: ['CLEANUP'],
    apply: (v) => {
      if (!v.allocated) return 'the job holds no resources';
      if (v.freed) return 'resources were already freed';
      if (v.started && !v.released) return 'resources have not been released (no final release)';
      return perilogsRunning(v) ?? { ...v, freed: true };
    },
  }],
  ['clean', {
    states: ['CLEANUP'],
    apply: (v, ev) => {
      if (v.allocated && !v.freed) return 'resources have not been freed';
      return perilogsRunning(v) ?? toInactive(v, ev.timestamp);
    },
  }],
  ['exception', {
    states: ACTIVE_STATES,
    apply: (v, ev, c) => {
      const severity = c.severity as number;
      const ex = { type: c.type as string, severity, note: c.note as string };
      const next: JobView = v.exception === undefined || severity < v.exception.severity ? { ...v, exception: ex } : v;
      return severity === FATAL && v.state !== 'CLEANUP' ? enter(next, 'CLEANUP', ev.timestamp) : next;
    },
  }],
  ['memo', {
    states: NOT_INACTIVE,
    apply: (v, _ev, c) => {
      const memo: Record<string, unknown> = { ...v.memo };
      for (const [k, val] of Object.entries(c)) {
        if (val === null) delete memo[k];
        else memo[k] = val;
      }
      const next: JobView = { ...v, memo };
      if (Object.keys(memo).length === 0) delete next.memo;
      return next;
    },
  }],
]);

/** Events RFC 21 does not define (and `debug.*`): allowed in any state but INACTIVE, and change nothing. */
const OTHER: Rule = { states: NOT_INACTIVE, apply: (v) => v };

/** Why an entry is not RFC 18 shaped, or null. */
export function checkShape(ev: JobEvent): string | null {
  if (typeof ev !== 'object' || ev === null) return 'an event must be an object';
  if (typeof ev.name !== 'string' || ev.name.length === 0) return 'an event needs a non-empty name';
  if (typeof ev.timestamp !== 'number' || !Number.isFinite(ev.timestamp) || ev.timestamp <= 0) {
    return `event "${ev.name}": timestamp must be a number greater than zero`;
  }
  const c: unknown = ev.context;
  if (c !== undefined && (typeof c !== 'object' || c === null || Array.isArray(c))) return `event "${ev.name}": context must be an object`;
  return null;
}

/** The view after the first event, which must be `submit`. */
export function initial(ev: JobEvent): Outcome {
  const bad = checkShape(ev);
  if (bad) return bad;
  if (ev.name !== 'submit') return `an eventlog must begin with "submit", not "${ev.name}"`;
  const problem = checkContext(ev);
  if (problem) return `event "submit": ${problem}`;
  const c = ev.context as Ctx;
  return {
    state: 'NEW', urgency: c.urgency as number, owner: String(c.userid), flags: flagNames(c.flags), t_submit: ev.timestamp,
    allocated: false, started: false, released: false, freed: false, dependencies: [], prologs: [], epilogs: [], eventCount: 1,
  };
}

/** Apply one event to a view: the next view, or why it cannot be appended. */
export function step(v: JobView, ev: JobEvent): Outcome {
  const bad = checkShape(ev);
  if (bad) return bad;
  const rule = RULES.get(ev.name) ?? OTHER;
  if (!rule.states.includes(v.state)) {
    return ev.name === 'submit' ? 'event "submit" may only be the first event' : `event "${ev.name}" is not valid in state ${v.state}`;
  }
  const problem = checkContext(ev);
  if (problem) return `event "${ev.name}": ${problem}`;
  const out = rule.apply(v, ev, ev.context ?? {});
  if (typeof out === 'string') return `event "${ev.name}" is not valid in state ${v.state}: ${out}`;
  return { ...out, eventCount: v.eventCount + 1 };
}

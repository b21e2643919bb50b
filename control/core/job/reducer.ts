// reducer.ts - the one pure reducer from a job eventlog (RFC 18 entries, RFC 21 events) to a JobView.
// Invariants: replay is deterministic and never mutates its input; reducing a log equals applying its events one by one;
// an invalid event is refused with an InvalidInputError whose message says why.
import { InvalidInputError } from '../errors.ts';
import type { JobEvent } from './events.ts';
import { initial, step } from './transitions.ts';
import type { JobView } from './types.ts';

/**
 * Replay a whole eventlog. Throws InvalidInputError naming the first bad entry (`eventlog[3]: event "alloc" is not valid in state RUN`).
 * @example
 * reduceEventlog([
 *   { timestamp: 1, name: 'submit', context: { userid: 'alice', urgency: 16, flags: 0, version: 1 } },
 *   { timestamp: 2, name: 'validate' },
 * ]).state // 'DEPEND'
 */
export function reduceEventlog(events: readonly JobEvent[]): JobView {
  const first = events[0];
  if (first === undefined) throw new InvalidInputError('an eventlog must begin with "submit": it is empty', 'eventlog');
  let view = initial(first);
  if (typeof view === 'string') throw new InvalidInputError(view, 'eventlog[0]');
  for (let i = 1; i < events.length; i++) {
    const next = step(view, events[i] as JobEvent);
    if (typeof next === 'string') throw new InvalidInputError(next, `eventlog[${i}]`);
    view = next;
  }
  return view;
}

/**
 * Apply one event to a view, returning a new view. Throws InvalidInputError with the reason when the event is not valid now.
 * @example applyEvent(view, { timestamp: 1700000010, name: 'alloc' }) // state RUN when view.state was SCHED
 */
export function applyEvent(view: JobView, ev: JobEvent): JobView {
  const next = step(view, ev);
  if (typeof next === 'string') throw new InvalidInputError(next);
  return next;
}

/**
 * Apply several events in order (one conditional append). Throws like applyEvent, naming the offending event's index.
 * @example applyEvents(view, completionEvents(view, { status: 0, timestamp: 1700000100 })).state // 'INACTIVE'
 */
export function applyEvents(view: JobView, events: readonly JobEvent[]): JobView {
  let v = view;
  for (let i = 0; i < events.length; i++) {
    const next = step(v, events[i] as JobEvent);
    if (typeof next === 'string') throw new InvalidInputError(next, `events[${i}]`);
    v = next;
  }
  return v;
}

/**
 * Whether an event, or a batch of events in order, may be appended to a job in this view: null if so, else the reason
 * (for a batch, prefixed with the index of the first refused event). Lets a writer check before a conditional write.
 * @example canAppend(runningView, { timestamp: 5, name: 'alloc' }) // 'event "alloc" is not valid in state RUN'
 * @example canAppend(schedView, [{ timestamp: 5, name: 'alloc' }, { timestamp: 5, name: 'start' }]) // null
 */
export function canAppend(view: JobView, ev: JobEvent | readonly JobEvent[]): string | null {
  if (!Array.isArray(ev)) {
    const next = step(view, ev as JobEvent);
    return typeof next === 'string' ? next : null;
  }
  let v = view;
  for (let i = 0; i < ev.length; i++) {
    const next = step(v, ev[i] as JobEvent);
    if (typeof next === 'string') return `events[${i}]: ${next}`;
    v = next;
  }
  return null;
}

// batcher.ts - scale-up batching (Karpenter's batcher, made pure): the first trigger opens a window; each new
// trigger extends it by `idle`; it closes `idle` after the last new trigger or `max` after it opened, whichever is
// first, and only then may launches be planned. Invariants: state in, state out, time is `now`; a closed window
// holds nothing; with `idle` 0 there is no batching.
import type { BatcherState } from './types.ts';

/** The closed batcher: the initial state. */
export function emptyBatcher(): BatcherState {
  return { seen: [] };
}

export interface BatcherStep {
  state: BatcherState;
  /** The window has closed: plan launches for every trigger now. */
  ready: boolean;
  /** When the open window will close (seconds), if it is open. */
  closesAt?: number;
}

/**
 * Feed this round's triggers (ids of jobs that need new capacity) to the batcher.
 * @example
 * let s = emptyBatcher();
 * stepBatcher(s, ['a'], 0, { idle: 1, max: 10 });   // opens: ready false, closesAt 1
 * stepBatcher(s1, ['a'], 1, { idle: 1, max: 10 });  // ready true: 1 s with no new trigger
 */
export function stepBatcher(state: BatcherState, triggers: readonly string[], now: number, window: { idle: number; max: number }): BatcherStep {
  if (triggers.length === 0) return { state: emptyBatcher(), ready: false };
  let openedAt = state.openedAt;
  let lastTriggerAt = state.lastTriggerAt ?? openedAt;
  const seen = new Set(state.seen);
  if (openedAt === undefined || lastTriggerAt === undefined) {
    openedAt = now;
    lastTriggerAt = now;
  } else if (triggers.some((id) => !seen.has(id))) {
    lastTriggerAt = now;
  }
  const closesAt = Math.min(lastTriggerAt + window.idle, openedAt + window.max);
  if (now >= closesAt) return { state: emptyBatcher(), ready: true };
  // Keep only ids still waiting, so the state stays as small as the backlog.
  return { state: { openedAt, lastTriggerAt, seen: [...new Set(triggers)] }, ready: false, closesAt };
}

// state-codes.ts - how `flurry jobs` names a job's state, as `flux jobs` does: the ST column codes, the long status, and --filter.
// Invariant: an active job shows its state (D, P, S, R, C; N for NEW); an inactive one shows its result (CD, F, CA, TO).
import { InvalidInputError } from '../errors.ts';
import { ACTIVE_STATES, PENDING_STATES, RESULTS, RUNNING_STATES, STATES, type JobView, type Result, type State } from './types.ts';

const STATE_CODES: Record<State, string> = { NEW: 'N', DEPEND: 'D', PRIORITY: 'P', SCHED: 'S', RUN: 'R', CLEANUP: 'C', INACTIVE: 'I' };
const RESULT_CODES: Record<Result, string> = { COMPLETED: 'CD', FAILED: 'F', CANCELED: 'CA', TIMEOUT: 'TO' };

/**
 * The `flux jobs` ST column (Flux's `status_abbrev`).
 * @example stateCode(reduceEventlog(log)) // 'R' while running, 'CD' once completed
 */
export function stateCode(view: Pick<JobView, 'state' | 'result'>): string {
  if (view.state === 'INACTIVE' && view.result !== undefined) return RESULT_CODES[view.result];
  return STATE_CODES[view.state];
}

/**
 * The long form (Flux's `status`): the state while active, the result once inactive.
 * @example stateName({ state: 'INACTIVE', result: 'CANCELED' }) // 'CANCELED'
 */
export function stateName(view: Pick<JobView, 'state' | 'result'>): string {
  return view.state === 'INACTIVE' && view.result !== undefined ? view.result : view.state;
}

/** What `--filter` selects: a job matches when its state is in `states` or it is inactive with a result in `results`. */
export interface StateFilter {
  states: Set<State>;
  results: Set<Result>;
}

const GROUPS: Record<string, readonly State[]> = {
  pending: PENDING_STATES,
  running: RUNNING_STATES,
  active: ACTIVE_STATES,
  // `flurry jobs -a`: every state, finished jobs included.
  all: STATES,
};

function lookup(word: string): { states?: readonly State[]; result?: Result } | undefined {
  const upper = word.toUpperCase();
  const group = GROUPS[word];
  if (Object.hasOwn(GROUPS, word) && group) return { states: group };
  const state = STATES.find((s) => s === upper || STATE_CODES[s] === upper);
  if (state) return { states: [state] };
  const result = RESULTS.find((r) => r === upper || RESULT_CODES[r] === upper);
  if (result) return { result };
  return undefined;
}

/**
 * Parse `flurry jobs --filter`: comma-separated, case-insensitive state names (new, depend, priority, sched, run, cleanup,
 * inactive), result names (completed, failed, canceled, timeout), the groups pending, running and active, and the ST codes.
 * Throws InvalidInputError naming every unknown word.
 * @example parseStateFilter('pending,FAILED') // { states: {DEPEND, PRIORITY, SCHED}, results: {FAILED} }
 */
export function parseStateFilter(text: string): StateFilter {
  const filter: StateFilter = { states: new Set(), results: new Set() };
  const words = text.split(',').map((w) => w.trim().toLowerCase()).filter((w) => w.length > 0);
  if (words.length === 0) throw new InvalidInputError('must name at least one state or result', 'filter');
  const unknown: string[] = [];
  for (const word of words) {
    const hit = lookup(word);
    if (!hit) unknown.push(word);
    for (const s of hit?.states ?? []) filter.states.add(s);
    if (hit?.result) filter.results.add(hit.result);
  }
  if (unknown.length > 0) {
    const names = unknown.map((w) => `"${w}"`).join(', ');
    throw new InvalidInputError(
      `unknown job state or result ${names} (expected pending, running, active, inactive, ` +
        `${STATES.filter((s) => s !== 'INACTIVE').map((s) => s.toLowerCase()).join(', ')}, ` +
        `${RESULTS.map((r) => r.toLowerCase()).join(', ')})`,
      'filter',
    );
  }
  return filter;
}

/**
 * Whether a job passes a filter from parseStateFilter.
 * @example matchesFilter(view, parseStateFilter('failed,canceled'))
 */
export function matchesFilter(view: Pick<JobView, 'state' | 'result'>, filter: StateFilter): boolean {
  if (filter.states.has(view.state)) return true;
  return view.state === 'INACTIVE' && view.result !== undefined && filter.results.has(view.result);
}

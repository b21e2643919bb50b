// index.ts - the job eventlog reducer (RFC 21, RFC 18) and the views derived from it: the one entry point for other modules.
// Invariant: everything exported here is pure (no I/O, no clock); time arrives in event timestamps or a `now` argument.
export {
  checkContext, DEFAULT_URGENCY, EVENT_NAMES, eventContextSchemas, FATAL, jobEventSchema, submitEvent,
  type EventName, type ExceptionContext, type FinishContext, type JobEvent, type ReleaseContext, type SubmitContext,
} from './events.ts';
export { applyEvent, applyEvents, canAppend, reduceEventlog } from './reducer.ts';
export {
  decodeWaitStatus, deriveResult, resultOfException, returncodeOf, waitStatusFromExit, waitStatusFromSignal,
  type DecodedWaitStatus,
} from './result.ts';
export { matchesFilter, parseStateFilter, stateCode, stateName, type StateFilter } from './state-codes.ts';
export {
  ACTIVE_STATES, PENDING_STATES, RESULTS, RUNNING_STATES, STATES,
  type JobException, type JobView, type Result, type State,
} from './types.ts';
export { isActive, isHeld, isPending, isRunning, runtime } from './view.ts';
export { cancelEvents, completionEvents, exceptionEvents } from './writers.ts';

// try-match.ts - offer one pending job to the graph and record the outcome in the pass's decision.
// Invariant: a malformed request becomes an `unsatisfiable` entry instead of failing the whole pass.

import type { ResourceGraph } from '../resource/graph.ts';
import type { Rv1 } from '../resource/types.ts';
import { InvalidInputError } from '../errors.ts';
import type { PassDecision, PassOptions, PendingJob } from './types.ts';

/**
 * Match `job` now; pushes to `d.alloc` on success. Returns R, null (does not fit now) or 'invalid'.
 * @example if (tryMatch(graph, job, opts, decision) === null) ...
 */
export function tryMatch(graph: ResourceGraph, job: PendingJob, opts: PassOptions, d: PassDecision): Rv1 | null | 'invalid' {
  try {
    const R = graph.match(job.id, job.request, { policy: opts.match, now: opts.now, duration: job.duration });
    if (R) d.alloc.push({ id: job.id, R });
    return R;
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    d.unsatisfiable.push({ id: job.id, reason: `invalid request: ${err.message}` });
    return 'invalid';
  }
}

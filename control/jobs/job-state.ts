// job-state.ts - a job as the control plane holds it in memory (its stored item plus the view its eventlog
// reduces to), and the attributes derived from the view that every write keeps up to date for listing.
import { reduceEventlog, stateCode, type JobView } from '../core/job/index.ts';
import { compressHostlist } from '../core/hostlist.ts';
import { hostnames } from '../core/resource/rv1.ts';
import type { Rv1 } from '../core/resource/types.ts';
import type { ActiveSlot, JobItem } from '../store/jobs.ts';

export interface JobState {
  item: JobItem;
  view: JobView;
}

export function stateOf(item: JobItem): JobState {
  return { item, view: reduceEventlog(item.eventlog) };
}

/** Where a job in this view belongs in the active index. */
export function activeSlot(view: JobView): ActiveSlot {
  if (view.state === 'INACTIVE') return null;
  if (view.state === 'RUN' || view.state === 'CLEANUP') return 'running';
  return 'pending';
}

/** The listing attributes derived from a view (so `flurry jobs` needs no eventlog). */
export function derivedAttributes(view: JobView): Partial<Record<keyof JobItem, unknown>> {
  return {
    st: view.state,
    res: view.result ?? null,
    ws: view.waitstatus ?? null,
    trun: view.t_run ?? null,
    tina: view.t_inactive ?? null,
    priority: view.priority ?? null,
    urgency: view.urgency,
    exc: view.exception && view.exception.severity === 0 ? `${view.exception.type}: ${view.exception.note}` : null,
  };
}

/** Attributes set when R is assigned. */
export function allocationAttributes(R: Rv1): Partial<Record<keyof JobItem, unknown>> {
  const hosts = hostnames(R);
  return { R, nnodes: hosts.length, nodelist: compressHostlist(hosts) };
}

export { stateCode };

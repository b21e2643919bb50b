// requeue.ts - agent protocol 4.4, spot interruption: the agent handler has drained the node already; here each job
// running there gets a fatal exception (`spot interruption`), and is resubmitted as a new job with the same jobspec,
// owner and urgency whose submit event names its predecessor (`context.predecessor`), unless its jobspec says
// `attributes.system.requeue: false` (`flurry submit --no-requeue`). Invariants: the exception is written before the
// resubmission; a repeated notice resubmits nothing twice (the new job is claimed with the client token
// `requeue-<predecessor>`, so a retry gets the same id and writes the job only if it is missing).
import { encodeFluid, type FluidGenerator } from '../../control/core/fluid.ts';
import { exceptionEvents, submitEvent, type JobEvent } from '../../control/core/job/index.ts';
import { describeJobspec } from '../../control/core/jobspec/describe.ts';
import type { JobspecV1 } from '../../control/core/jobspec/v1.ts';
import { priorityFromUrgency } from '../../control/core/queue/index.ts';
import { rankList } from '../../control/core/resource/rv1.ts';
import type { JobManager } from '../../control/jobs/job-manager.ts';
import { stateOf, type JobState } from '../../control/jobs/job-state.ts';
import type { JobItem, JobTable } from '../../control/store/jobs.ts';
import { hex16 } from '../../control/store/keys.ts';
import type { NodeItem } from '../../control/store/nodes.ts';
import type { SubmissionTable } from '../../control/store/submissions.ts';

export interface SpotRequeueDeps {
  iid: string;
  jobs: Pick<JobTable, 'queryActive' | 'insert' | 'insertIfAbsent'>;
  submissions: Pick<SubmissionTable, 'claim'>;
  manager: Pick<JobManager, 'load' | 'committer' | 'hooks' | 'admit'>;
  fluids: FluidGenerator;
  /** Seconds since the epoch. */
  clock: () => number;
  log?: (line: string) => void;
}

/** Does this jobspec ask not to be resubmitted after an interruption (`attributes.system.requeue: false`)? */
export function noRequeue(jobspec: unknown): boolean {
  const system = (jobspec as { attributes?: { system?: Record<string, unknown> } })?.attributes?.system;
  return system?.requeue === false;
}

/** The new job that replaces `old`: same jobspec, owner and urgency; its submit event names the predecessor. */
export function successorItem(old: JobItem, id: bigint, iid: string, t: number): JobItem {
  const jobspec = old.jobspec as JobspecV1;
  const shape = describeJobspec(jobspec);
  const submit = submitEvent(t, { userid: old.owner, urgency: old.urgency });
  submit.context = { ...submit.context, predecessor: encodeFluid(old.id) };
  const events: JobEvent[] = [submit, { timestamp: t, name: 'validate' }];
  if (shape.dependencies.length) {
    for (const d of shape.dependencies) events.push({ timestamp: t, name: 'dependency-add', context: { description: `${d.scheme}:${d.value}` } });
  } else {
    events.push({ timestamp: t, name: 'depend' }, { timestamp: t, name: 'priority', context: { priority: priorityFromUrgency(old.urgency) } });
  }
  const view = stateOf({ eventlog: events } as JobItem).view;
  const item: JobItem = {
    id, iid, owner: old.owner, name: shape.name, jobspec, urgency: old.urgency, req: shape.request, dur: shape.duration,
    ntasks: shape.ntasks, eventlog: events, ver: 1, st: view.state, tsub: t,
  };
  if (view.priority !== undefined) item.priority = view.priority;
  return item;
}

/**
 * The `spotInterruption` hook of the agent handler.
 * @example new AgentHandler({ ..., spotInterruption: spotRequeue({ iid, jobs, submissions, manager, fluids, clock }) })
 */
export function spotRequeue(deps: SpotRequeueDeps): (node: NodeItem, at: number | undefined) => Promise<void> {
  return async (node, at) => {
    const running = await deps.jobs.queryActive(deps.iid, 'running');
    const here = running.filter((r) => r.R && rankList(r.R).includes(node.rank));
    const when = at ? ` (reclaimed at ${new Date(at * 1000).toISOString()})` : '';
    for (const r of here) {
      const note = `spot interruption: node ${node.name} is being reclaimed${when}`;
      const out = await deps.manager.committer.commit(r.id, (job) => {
        if (!job.item.R || !rankList(job.item.R).includes(node.rank)) return null;
        const events = exceptionEvents(job.view, { type: 'node-failure', note, timestamp: deps.clock() });
        return events.length ? { events } : null;
      });
      const job: JobState = 'job' in out ? out.job : await deps.manager.load(r.id);
      if (noRequeue(job.item.jobspec)) {
        deps.log?.(`elastic: ${encodeFluid(r.id)} got a spot interruption on ${node.name}; not resubmitted (requeue: false)`);
        continue;
      }
      const successor = await resubmit(deps, job.item);
      deps.log?.(`elastic: ${encodeFluid(r.id)} got a spot interruption on ${node.name}; resubmitted as ${encodeFluid(successor.item.id)}`);
    }
  };
}

/** Write the successor of `old` (once, whatever the retries) and queue it. */
async function resubmit(deps: SpotRequeueDeps, old: JobItem): Promise<JobState> {
  const t = deps.clock();
  const [fresh] = deps.fluids.nextBatch(1);
  const earlier = await deps.submissions.claim(`requeue-${hex16(old.id)}`, old.owner, [fresh!], t);
  if (earlier) {
    // A repeated notice: write the successor only if the first attempt did not, and queue what is stored.
    const id = earlier.ids[0]!;
    await deps.jobs.insertIfAbsent([successorItem(old, id, deps.iid, t)]);
    const stored = await deps.manager.load(id);
    if (stored.view.state === 'SCHED') deps.manager.hooks.queued([stored]);
    return stored;
  }
  const item = successorItem(old, fresh!, deps.iid, t);
  await deps.jobs.insert([item]);
  const state = stateOf(item);
  deps.manager.admit([state]);
  return state;
}

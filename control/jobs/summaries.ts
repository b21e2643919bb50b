// summaries.ts - what the API shows of a job, built from the stored listing attributes alone (so `flurry jobs`
// reads no eventlogs) or from a full in-memory state.
import { decodeWaitStatus, stateCode, type Result, type State } from '../core/job/index.ts';
import type { JobItem } from '../store/jobs.ts';
import type { JobInfo, JobSummary } from '../services.ts';
import type { JobState } from './job-state.ts';

/** The attributes a summary needs (a BatchGetItem projection). */
export const SUMMARY_ATTRIBUTES = ['owner', 'name', 'st', 'res', 'ws', 'urgency', 'priority', 'ntasks', 'nnodes', 'nodelist', 'tsub', 'trun', 'tina', 'exc', 'dur'];

export function summaryOf(item: JobItem, now: number): JobSummary {
  const state = item.st as State;
  const result = item.res as Result | undefined;
  const summary: JobSummary = {
    id: item.id,
    owner: item.owner,
    name: item.name,
    state,
    stateCode: stateCode({ state, result }),
    urgency: item.urgency,
    t_submit: item.tsub,
    runtime: item.trun === undefined ? 0 : Math.max(0, (item.tina ?? now) - item.trun),
    duration: item.dur,
  };
  if (result) summary.result = result;
  if (item.ws !== undefined) {
    summary.waitstatus = item.ws;
    const decoded = decodeWaitStatus(item.ws);
    if (decoded.exitCode !== undefined) summary.exitCode = decoded.exitCode;
    if (decoded.signal !== undefined) summary.signal = decoded.signal;
  }
  if (item.priority !== undefined) summary.priority = item.priority;
  if (item.ntasks !== undefined) summary.ntasks = item.ntasks;
  if (item.nnodes !== undefined) summary.nnodes = item.nnodes;
  if (item.nodelist) summary.nodelist = item.nodelist;
  if (item.trun !== undefined) summary.t_run = item.trun;
  if (item.tina !== undefined) summary.t_inactive = item.tina;
  if (item.exc) {
    const colon = item.exc.indexOf(': ');
    summary.exception = { type: item.exc.slice(0, colon), severity: 0, note: item.exc.slice(colon + 2) };
  }
  return summary;
}

export function infoOf(job: JobState, now: number): JobInfo {
  const info: JobInfo = { ...summaryOf(job.item, now), jobspec: job.item.jobspec };
  if (job.view.exception) info.exception = { ...job.view.exception };
  if (job.item.R) info.R = job.item.R;
  return info;
}

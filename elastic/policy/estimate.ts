// estimate.ts - when could each pending job start on the capacity we already have (static, cloud, on its way)?
// Jobs are placed in queue order at the earliest time, no later than their burst deadline, when enough is free;
// what cannot start by its deadline is what may burst. Invariants: a slot is never planned beyond what is free on it;
// capacity on its way is available now; time is `now`, never a clock.
import { type Slot, KIND_ORDER, emptyDuring, freeDuring } from './capacity.ts';
import { fmtDuration, fmtIn } from './format.ts';
import { type Demand, type JobShape, accepts, copies, fits, fitsEmpty, scale } from './shape.ts';
import type { PendingJob } from './types.ts';

/** A job to place, with the latest start that still avoids a burst. */
export interface EstimateJob {
  job: PendingJob;
  shape: JobShape;
  /** Latest acceptable start (seconds); Infinity = the job may wait for as long as it takes. */
  deadline: number;
  /** The wait allowed (for reasons): the burst pool's maxWaitBeforeBurst. */
  maxWait: number;
}

export interface Estimate {
  /** Jobs that can start by their deadline: when, and on which slots. */
  placed: Map<string, { start: number; slots: string[] }>;
  /** Jobs that cannot, in queue order, with why in words. */
  unplaced: Array<{ item: EstimateJob; why: string }>;
  /** Slots the plan uses for pending jobs: nodes that must not be scaled in. */
  reserved: Set<string>;
}

/** How many candidate start times are tried per job: enough for a tick's horizon, bounded for big clusters. */
const MAX_TIMES = 48;

type Pick = { slot: Slot; use: Demand };

/** Try to place `shape` on `slots` (already filtered to those it accepts) throughout [start, end). */
function tryAt(shape: JobShape, slots: readonly Slot[], start: number, end: number): Pick[] | undefined {
  const picks: Pick[] = [];
  if (shape.kind === 'nodes') {
    for (const slot of slots) {
      if (shape.exclusive) {
        if (fits(shape.perNode, slot.total) && emptyDuring(slot, start, end)) picks.push({ slot, use: slot.total });
      } else if (fits(shape.perNode, freeDuring(slot, start, end))) {
        picks.push({ slot, use: shape.perNode });
      }
      if (picks.length === shape.nodes) return picks;
    }
    return undefined;
  }
  let left = shape.slots;
  for (const slot of slots) {
    if (shape.exclusive) {
      if (!emptyDuring(slot, start, end)) continue;
      const k = copies(shape.perSlot, slot.total);
      if (k < 1) continue;
      picks.push({ slot, use: slot.total });
      left -= k;
    } else {
      const k = Math.min(copies(shape.perSlot, freeDuring(slot, start, end)), left);
      if (k < 1) continue;
      picks.push({ slot, use: scale(shape.perSlot, k) });
      left -= k;
    }
    if (left <= 0) return picks;
  }
  return undefined;
}

/** Candidate start times for a job: now, then the moments capacity frees up, up to its deadline. */
function candidateTimes(slots: readonly Slot[], now: number, deadline: number): number[] {
  const times = new Set<number>([now]);
  for (const s of slots) {
    if (s.releaseAt > now && s.releaseAt <= deadline) times.add(s.releaseAt);
    for (const r of s.reservations) if (r.end > now && r.end <= deadline) times.add(r.end);
  }
  return [...times].sort((a, b) => a - b).slice(0, MAX_TIMES);
}

/** Why static capacity cannot start the job by its deadline, in words. */
function whyNotStatic(item: EstimateJob, accepted: readonly Slot[], now: number): string {
  const statics = accepted.filter((s) => s.kind === 'static' && fitsEmpty(item.shape, s.total));
  const need = item.shape.kind === 'nodes' ? item.shape.nodes : 1;
  if (statics.length < need) return 'no static node can ever run it';
  const busy = Math.min(...statics.map((s) => Math.max(s.releaseAt, ...s.reservations.map((r) => r.end))));
  const until = Number.isFinite(busy) ? `busy until ${fmtIn(busy, now)}` : 'busy with unlimited jobs';
  return `static pools cannot start it within maxWaitBeforeBurst ${fmtDuration(item.maxWait)} (${until})`;
}

/**
 * Place `jobs` (in queue order) onto `slots`, mutating the slots' reservations.
 * @example estimate([{ job, shape, deadline: now + 60, maxWait: 60 }], buildSlots(...), now).unplaced // what may burst
 */
export function estimate(jobs: readonly EstimateJob[], slots: Slot[], now: number): Estimate {
  const ordered = [...slots].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  const out: Estimate = { placed: new Map(), unplaced: [], reserved: new Set() };
  for (const item of jobs) {
    const accepted = ordered.filter((s) => accepts(item.shape, s.target) && fitsEmpty(item.shape, s.total));
    const dur = item.job.duration > 0 ? item.job.duration : Infinity;
    let placed = false;
    for (const t of candidateTimes(accepted, now, Math.max(now, item.deadline))) {
      const picks = tryAt(item.shape, accepted, t, t + dur);
      if (!picks) continue;
      for (const p of picks) {
        p.slot.reservations.push({ start: t, end: t + dur, use: p.use, exclusive: item.shape.exclusive });
        out.reserved.add(p.slot.key);
      }
      out.placed.set(item.job.id, { start: t, slots: picks.map((p) => p.slot.key) });
      placed = true;
      break;
    }
    if (!placed) out.unplaced.push({ item, why: whyNotStatic(item, accepted, now) });
  }
  return out;
}

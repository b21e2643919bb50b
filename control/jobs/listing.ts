// listing.ts - `flurry jobs`: pages of job summaries, newest first. Active-only listings read the active index
// (so a user with 100,000 finished jobs still lists their 3 running ones with one Query); others page through
// the by-owner or whole-instance index. Summaries come from listing attributes only (BatchGetItem projection).
import { InvalidInputError } from '../core/errors.ts';
import { fromHex16, hex16 } from '../store/keys.ts';
import type { JobItem, JobTable } from '../store/jobs.ts';
import type { JobSummary } from '../services.ts';
import { SUMMARY_ATTRIBUTES, summaryOf } from './summaries.ts';

export interface ListScope {
  table: JobTable;
  iid: string;
  now: number;
}

export interface ListRequest {
  /** One user's jobs, or every user's when undefined. */
  user?: string;
  match: (item: JobItem) => boolean;
  limit: number;
  /** The last id (hex) of the previous page. */
  cursor?: string;
  /** Only active jobs can match: use the active index. */
  activeOnly: boolean;
}

/** Scan at most this many ids for one page of a sparse filter before answering with a cursor. */
const MAX_SCAN = 5000;

export async function listJobs(scope: ListScope, req: ListRequest): Promise<{ jobs: JobSummary[]; cursor?: string }> {
  if (req.cursor !== undefined && !/^[0-9a-f]{16}$/.test(req.cursor)) throw new InvalidInputError('not a cursor from a previous page', 'cursor');
  return req.activeOnly ? listActive(scope, req) : listIndexed(scope, req);
}

async function listActive(scope: ListScope, req: ListRequest): Promise<{ jobs: JobSummary[]; cursor?: string }> {
  const entries = [...(await scope.table.queryActive(scope.iid, 'pending')), ...(await scope.table.queryActive(scope.iid, 'running'))];
  const below = req.cursor === undefined ? undefined : fromHex16(req.cursor);
  const ids = [...new Set(entries
    .filter((e) => (req.user === undefined || e.owner === req.user) && (below === undefined || e.id < below))
    .map((e) => e.id))]
    .sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
  const jobs: JobSummary[] = [];
  let last: bigint | undefined;
  for (let i = 0; i < ids.length && jobs.length < req.limit; i += 100) {
    const items = await scope.table.getMany(ids.slice(i, i + 100), SUMMARY_ATTRIBUTES);
    for (const item of items) {
      last = item.id;
      if (req.match(item)) jobs.push(summaryOf(item, scope.now));
      if (jobs.length === req.limit) break;
    }
  }
  const more = last !== undefined && ids.some((id) => id < last!);
  return { jobs, cursor: more && jobs.length === req.limit ? hex16(last!) : undefined };
}

async function listIndexed(scope: ListScope, req: ListRequest): Promise<{ jobs: JobSummary[]; cursor?: string }> {
  const jobs: JobSummary[] = [];
  let cursor = req.cursor;
  let scanned = 0;
  while (jobs.length < req.limit && scanned < MAX_SCAN) {
    const page = await scope.table.listIds(scope.iid, { owner: req.user, limit: Math.min(500, Math.max(req.limit - jobs.length, 50)), cursor });
    scanned += page.ids.length;
    const items = await scope.table.getMany(page.ids, SUMMARY_ATTRIBUTES);
    let stoppedAt: bigint | undefined;
    for (const item of items) {
      if (req.match(item)) jobs.push(summaryOf(item, scope.now));
      if (jobs.length === req.limit) {
        stoppedAt = item.id;
        break;
      }
    }
    if (stoppedAt !== undefined) return { jobs, cursor: hex16(stoppedAt) };
    if (!page.cursor) return { jobs };
    cursor = page.cursor;
  }
  return { jobs, cursor };
}

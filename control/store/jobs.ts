// jobs.ts - job items in DynamoDB: batched inserts, conditional event appends grouped into transactions,
// the active-jobs index the scheduler reads, and listing for `flurry jobs`.
// Invariants: every write is conditional on the item's write version (`ver`) the writer saw and bumps it, so two
// writers can never both extend a log or overwrite each other's attributes; an allocation is also conditional on
// the scheduler's lease (fencing token).
import {
  BatchGetCommand,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { JobEvent } from '../core/job/index.ts';
import type { ResourceRequest, Rv1 } from '../core/resource/types.ts';
import type { StoreContext } from './context.ts';
import { fromHex16, hex16, instancePk, jobPk } from './keys.ts';
import { backoff, chunk, forEachLimit, isRetryable } from './retry.ts';
import { INDEX } from './table.ts';

/** A job as stored (attribute names are kept short: they are on every item and in every index). */
export interface JobItem {
  id: bigint;
  iid: string;
  owner: string;
  name: string;
  jobspec: unknown;
  urgency: number;
  priority?: number;
  /** Resource request derived from the jobspec at submit (what the scheduler matches). */
  req: ResourceRequest;
  /** Duration in seconds, 0 = unlimited. */
  dur: number;
  ntasks?: number;
  nnodes?: number;
  eventlog: JobEvent[];
  /** Write version: 1 when inserted, +1 on every append; appends are conditional on it. */
  ver: number;
  /** Derived state name (RFC 21) and result; the eventlog is the truth, these are for listing. */
  st: string;
  res?: string;
  /** Wait status from `finish`. */
  ws?: number;
  R?: Rv1;
  tsub: number;
  trun?: number;
  tina?: number;
  nodelist?: string;
  /** Exception note, for `flurry jobs` INFO. */
  exc?: string;
  /** Per-node exit reports: node index (in R's rank order) → wait status, or -1 for a node that was lost. */
  exits?: Record<string, number>;
  /** Per-node count of output chunks the agent sent, from its exit report (output is complete when all are read). */
  oc?: Record<string, number>;
  /** Seconds since the epoch at which DynamoDB's TTL may delete it (purged jobs only). */
  expiresAt?: number;
}

/** Where the job sits in the active index: pending (queue), running (holds resources), or out of it. */
export type ActiveSlot = 'pending' | 'running' | null;

/** One conditional append: the events, the derived attributes they change, and the active-index move. */
export interface JobAppend {
  id: bigint;
  /** The write version the writer's state was read at. */
  expectVer: number;
  events: JobEvent[];
  /** Attributes to set alongside (st, res, R, trun, …). `null` removes the attribute. */
  set?: Partial<Record<keyof JobItem, unknown>>;
  active?: ActiveSlot;
}

export type AppendOutcome = 'ok' | 'conflict' | 'lease-lost' | 'missing';

/** A lease held by the scheduler; allocations are conditional on it still being held. */
export interface LeaseFence {
  iid: string;
  holder: string;
  token: number;
}

const TXN_ITEMS = 10; // DynamoDB Local's limit (AWS allows 100): see STACK.md.
const PARALLEL = 8;

// The jobspec and the events are user data and may hold empty strings, which the DynamoDB Local we ship refuses
// anywhere in an item (AWS accepts them): they are stored as JSON text.
const encodeEvents = (events: readonly JobEvent[]): string[] => events.map((e) => JSON.stringify(e));

function toItem(job: JobItem): Record<string, unknown> {
  const idHex = hex16(job.id);
  const { id: _id, jobspec, eventlog, ...rest } = job;
  return {
    pk: jobPk(job.id),
    sk: 'META',
    ...rest,
    jobspec: JSON.stringify(jobspec),
    eventlog: encodeEvents(eventlog),
    id: idHex,
    apk: job.st === 'INACTIVE' ? undefined : job.iid,
    ask: job.st === 'INACTIVE' ? undefined : `${job.R ? 'R' : 'P'}#${idHex}`,
    opk: `${job.iid}#${job.owner}`,
    osk: idHex,
    ipk: job.iid,
    isk: idHex,
  };
}

export function fromItem(item: Record<string, unknown>): JobItem {
  const { pk: _pk, sk: _sk, apk: _a, ask: _b, opk: _c, osk: _d, ipk: _e, isk: _f, id, jobspec, eventlog, ...rest } = item;
  const job = { ...(rest as Omit<JobItem, 'id' | 'jobspec' | 'eventlog'>), id: fromHex16(String(id)) } as JobItem;
  if (jobspec !== undefined) job.jobspec = JSON.parse(String(jobspec));
  if (eventlog !== undefined) job.eventlog = (eventlog as string[]).map((e) => JSON.parse(e) as JobEvent);
  return job;
}

export class JobTable {
  constructor(private readonly ctx: StoreContext) {}

  /** Inserts new jobs with BatchWriteItem (25 per request, several requests in flight); retries what comes back unprocessed. */
  async insert(jobs: readonly JobItem[]): Promise<void> {
    await forEachLimit(chunk(jobs.map(toItem), 25), PARALLEL, async (batch) => {
      let pending = batch.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; pending.length; attempt++) {
        if (attempt > 0) await backoff(attempt);
        const out = await this.ctx.doc.send(new BatchWriteCommand({ RequestItems: { [this.ctx.table]: pending } }));
        pending = (out.UnprocessedItems?.[this.ctx.table] ?? []) as typeof pending;
        if (attempt > 12 && pending.length) throw new Error(`inserting jobs: ${pending.length} items stayed unprocessed`);
      }
    });
  }

  /**
   * Inserts a few jobs and claims their client token in one transaction (one round trip, all or nothing): what a
   * `flurry run` or a small submit costs. Returns false, writing nothing, if the token was claimed before (a retry).
   */
  async insertWithToken(jobs: readonly JobItem[], token: Record<string, unknown>): Promise<boolean> {
    if (jobs.length > TXN_ITEMS - 1) throw new Error(`insertWithToken: at most ${TXN_ITEMS - 1} jobs`);
    try {
      await this.ctx.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.ctx.table, Item: token, ConditionExpression: 'attribute_not_exists(pk)' } },
            ...jobs.map((j) => ({ Put: { TableName: this.ctx.table, Item: toItem(j), ConditionExpression: 'attribute_not_exists(pk)' } })),
          ],
        }),
      );
      return true;
    } catch (err) {
      const reasons = (err as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons;
      if ((err as Error).name === 'TransactionCanceledException' && reasons?.[0]?.Code === 'ConditionalCheckFailed') return false;
      throw err;
    }
  }

  /** Inserts jobs only where absent (the retry of a submission whose first attempt may have written some). */
  async insertIfAbsent(jobs: readonly JobItem[]): Promise<void> {
    await forEachLimit(jobs, PARALLEL, async (job) => {
      try {
        await this.ctx.doc.send(
          new PutCommand({ TableName: this.ctx.table, Item: toItem(job), ConditionExpression: 'attribute_not_exists(pk)' }),
        );
      } catch (err) {
        if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      }
    });
  }

  async get(id: bigint, consistent = true): Promise<JobItem | undefined> {
    const out = await this.ctx.doc.send(
      new GetCommand({ TableName: this.ctx.table, Key: { pk: jobPk(id), sk: 'META' }, ConsistentRead: consistent }),
    );
    return out.Item ? fromItem(out.Item) : undefined;
  }

  /** Reads many jobs (100 per BatchGetItem), optionally only some attributes; order follows `ids`, missing ones dropped. */
  async getMany(ids: readonly bigint[], attributes?: readonly string[], consistent = false): Promise<JobItem[]> {
    const found = new Map<string, JobItem>();
    const names: Record<string, string> = {};
    const projection = attributes ? ['id', ...attributes].map((a, i) => ((names[`#a${i}`] = a), `#a${i}`)).join(',') : undefined;
    // BatchGetItem refuses duplicate keys (a job moving between index slots can be listed twice).
    await forEachLimit(chunk([...new Set(ids)], 100), PARALLEL, async (batch) => {
      let keys = batch.map((id) => ({ pk: jobPk(id), sk: 'META' }));
      for (let attempt = 0; keys.length; attempt++) {
        if (attempt > 0) await backoff(attempt);
        const out = await this.ctx.doc.send(
          new BatchGetCommand({
            RequestItems: {
              [this.ctx.table]: {
                Keys: keys,
                ConsistentRead: consistent,
                ...(projection ? { ProjectionExpression: projection, ExpressionAttributeNames: names } : {}),
              },
            },
          }),
        );
        for (const item of out.Responses?.[this.ctx.table] ?? []) found.set(String(item.id), fromItem(item));
        keys = (out.UnprocessedKeys?.[this.ctx.table]?.Keys ?? []) as typeof keys;
      }
    });
    return ids.map((id) => found.get(hex16(id))).filter((j): j is JobItem => j !== undefined);
  }

  /**
   * Applies appends in transactions of up to 10 items (9 plus a lease check when `fence` is given), several in
   * flight. A transaction cancelled by one item's condition is retried without that item, so one conflict never
   * blocks the others. Returns each append's outcome, in order.
   */
  async append(appends: readonly JobAppend[], fence?: LeaseFence): Promise<AppendOutcome[]> {
    const outcomes: AppendOutcome[] = new Array(appends.length).fill('ok');
    const perTxn = fence ? TXN_ITEMS - 1 : TXN_ITEMS;
    const groups = chunk(
      appends.map((a, i) => ({ a, i })),
      perTxn,
    );
    await forEachLimit(groups, PARALLEL, async (group) => {
      let live = group;
      for (let attempt = 0; live.length; attempt++) {
        const input = this.transaction(
          live.map((g) => g.a),
          fence,
        );
        try {
          await this.ctx.doc.send(new TransactWriteCommand(input));
          return;
        } catch (err) {
          const reasons = (err as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons;
          if ((err as Error).name === 'TransactionCanceledException' && reasons) {
            const offset = fence ? 1 : 0;
            if (fence && reasons[0]?.Code === 'ConditionalCheckFailed') {
              for (const g of live) outcomes[g.i] = 'lease-lost';
              return;
            }
            const failed = new Set<number>();
            reasons.slice(offset).forEach((r, k) => {
              if (r.Code === 'ConditionalCheckFailed') failed.add(k);
            });
            if (failed.size) {
              for (const k of failed) outcomes[live[k]!.i] = 'conflict';
              live = live.filter((_, k) => !failed.has(k));
              continue;
            }
            // Cancelled for another reason (TransactionConflict with a concurrent writer): retry the same set.
          } else if (!isRetryable(err)) {
            throw err;
          }
          if (attempt >= 8) throw err;
          await backoff(attempt);
        }
      }
    });
    // A conflict on an item that does not exist is reported as missing, so callers can tell the two apart.
    const conflicted = appends.filter((_, i) => outcomes[i] === 'conflict');
    if (conflicted.length) {
      const present = new Set((await this.getMany(conflicted.map((a) => a.id), ['ver'])).map((j) => j.id));
      appends.forEach((a, i) => {
        if (outcomes[i] === 'conflict' && !present.has(a.id)) outcomes[i] = 'missing';
      });
    }
    return outcomes;
  }

  private transaction(appends: readonly JobAppend[], fence?: LeaseFence): TransactWriteCommandInput {
    const items: NonNullable<TransactWriteCommandInput['TransactItems']> = [];
    if (fence) {
      items.push({
        ConditionCheck: {
          TableName: this.ctx.table,
          Key: { pk: instancePk(fence.iid), sk: 'LEASE' },
          ConditionExpression: '#h = :h AND #f = :t',
          ExpressionAttributeNames: { '#h': 'holder', '#f': 'fence' },
          ExpressionAttributeValues: { ':h': fence.holder, ':t': fence.token },
        },
      });
    }
    for (const a of appends) items.push({ Update: { TableName: this.ctx.table, ...appendExpression(a) } });
    return { TransactItems: items };
  }

  /**
   * The instance's active jobs from the `active` index: `pending` ones (the queue) or `running` ones (holding
   * resources). With `afterId`, only pending jobs with a larger id (newer submissions). Eventually consistent on AWS.
   */
  async queryActive(iid: string, which: 'pending' | 'running', afterId?: bigint): Promise<ActiveEntry[]> {
    const prefix = which === 'pending' ? 'P#' : 'R#';
    const out: ActiveEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const res = await this.ctx.doc.send(
        new QueryCommand({
          TableName: this.ctx.table,
          IndexName: INDEX.active.name,
          KeyConditionExpression:
            afterId === undefined ? 'apk = :i AND begins_with(ask, :p)' : 'apk = :i AND ask BETWEEN :from AND :to',
          ExpressionAttributeValues:
            afterId === undefined
              ? { ':i': iid, ':p': prefix }
              : { ':i': iid, ':from': `${prefix}${hex16(afterId + 1n)}`, ':to': `${prefix}g` },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of res.Items ?? []) out.push(activeEntry(item));
      startKey = res.LastEvaluatedKey;
    } while (startKey);
    return out;
  }

  /** The newest job id of the instance, if any (a restarted FLUID generator continues after it). */
  async latestId(iid: string): Promise<bigint | undefined> {
    return (await this.listIds(iid, { limit: 1 })).ids[0];
  }

  /** A page of job ids, newest first: one owner's (`owner` index) or the whole instance's (`all` index). */
  async listIds(iid: string, opts: { owner?: string; limit: number; cursor?: string }): Promise<{ ids: bigint[]; cursor?: string }> {
    const index = opts.owner === undefined ? INDEX.all : INDEX.owner;
    const res = await this.ctx.doc.send(
      new QueryCommand({
        TableName: this.ctx.table,
        IndexName: index.name,
        KeyConditionExpression: `${index.pk} = :p${opts.cursor ? ` AND ${index.sk} < :c` : ''}`,
        ExpressionAttributeValues: { ':p': opts.owner === undefined ? iid : `${iid}#${opts.owner}`, ...(opts.cursor ? { ':c': opts.cursor } : {}) },
        ScanIndexForward: false,
        Limit: opts.limit,
      }),
    );
    const ids = (res.Items ?? []).map((i) => fromHex16(String(i[index.sk])));
    const last = res.Items?.[res.Items.length - 1];
    return { ids, cursor: res.LastEvaluatedKey && last ? String(last[index.sk]) : undefined };
  }
}

/** What the active index projects about a job. */
export interface ActiveEntry {
  id: bigint;
  owner: string;
  urgency: number;
  priority?: number;
  req: ResourceRequest;
  dur: number;
  R?: Rv1;
  ver: number;
  tsub: number;
  st: string;
}

function activeEntry(item: Record<string, unknown>): ActiveEntry {
  return {
    id: fromHex16(String(item.ask).slice(2)),
    owner: String(item.owner),
    urgency: Number(item.urgency),
    priority: item.priority === undefined ? undefined : Number(item.priority),
    req: item.req as ResourceRequest,
    dur: Number(item.dur),
    R: item.R as Rv1 | undefined,
    ver: Number(item.ver),
    tsub: Number(item.tsub),
    st: String(item.st),
  };
}

/** The UpdateItem parts of one append: bump the version, list_append to the eventlog, set/remove attributes, move in the active index. */
export function appendExpression(a: JobAppend): {
  Key: Record<string, string>;
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
} {
  const names: Record<string, string> = { '#ver': 'ver' };
  const values: Record<string, unknown> = { ':nv': a.expectVer + 1, ':v': a.expectVer };
  const sets = ['#ver = :nv'];
  if (a.events.length) {
    names['#log'] = 'eventlog';
    values[':ev'] = encodeEvents(a.events);
    sets.push('#log = list_append(#log, :ev)');
  }
  const removes: string[] = [];
  let k = 0;
  for (const [attr, value] of Object.entries(a.set ?? {})) {
    const n = `#s${k}`;
    names[n] = attr;
    if (value === null) removes.push(n);
    else if (value !== undefined) {
      values[`:s${k}`] = value;
      sets.push(`${n} = :s${k}`);
    }
    k++;
  }
  if (a.active === null) removes.push('apk', 'ask');
  else if (a.active) {
    values[':ask'] = `${a.active === 'pending' ? 'P' : 'R'}#${hex16(a.id)}`;
    sets.push('ask = :ask');
  }
  return {
    Key: { pk: jobPk(a.id), sk: 'META' },
    UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ConditionExpression: '#ver = :v',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

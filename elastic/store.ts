// store.ts - what the elastic loop keeps between passes, in the instance's partition of the one table: one item per
// launch (`I#<iid>` / `LAUNCH#<launchId>`) and one item of loop state (`I#<iid>` / `ELASTIC`: batcher, unavailable
// offerings, held pools, idle times, the last decisions). Invariants: a launch record is created with a conditional
// put before the provider is called, so two passes (or a pass and its replay after a crash) never launch one decision
// twice; the state item is written whole, conditional on the version it was read at; no secret is ever stored here.
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from '../control/store/context.ts';
import { instancePk } from '../control/store/keys.ts';
import { emptyBatcher } from './policy/batcher.ts';
import type { BatcherState, LaunchDecision, UnavailableOffering } from './policy/types.ts';

/** `launching`: recorded, create not yet answered (replayed by the next pass); `launched`: instances known. */
export type LaunchState = 'launching' | 'launched';

/** One launch decision being carried out: the decision, and how far it got. Deleted once every instance has joined or is gone. */
export interface LaunchRecord extends LaunchDecision {
  /** When it was decided (seconds since the epoch). */
  since: number;
  state: LaunchState;
  /** Failed create attempts (transient errors); the launch is given up after a few. */
  attempts: number;
  /** What the provider returned. */
  instanceIds?: string[];
  /** Instances no longer in flight: joined as nodes, terminated, or gone. */
  settled?: string[];
  lastError?: string;
}

/** A pool whose launches are held back until `until` (an account limit, or a launch that kept failing). */
export interface HeldPool {
  pool: string;
  until: number;
  why: string;
}

/** One line of the decision log shown by `flurry elastic status`. */
export interface DecisionEntry {
  /** Seconds since the epoch. */
  at: number;
  action: 'launch' | 'drain' | 'terminate' | 'refused' | 'failed' | 'down' | 'removed' | 'note';
  pool?: string;
  node?: string;
  instanceId?: string;
  launchId?: string;
  text: string;
}

/** The loop's state between passes. */
export interface ElasticState {
  batcher: BatcherState;
  unavailable: UnavailableOffering[];
  held: HeldPool[];
  /** Node name → since when it has run nothing (seconds). */
  idle: Record<string, number>;
  /** Most recent last; at most MAX_DECISIONS. */
  decisions: DecisionEntry[];
  lastPass?: { at: number; ms: number; notes: string[] };
  /** Write version (0 = never written). */
  ver: number;
}

/** Entries kept in the decision log. */
export const MAX_DECISIONS = 100;

/** Persistence of the elastic loop; DynamoDB in the product, memory in tests. */
export interface ElasticStore {
  /** Record a launch before calling the provider; false when a record with this launchId exists already. */
  putLaunch(iid: string, rec: LaunchRecord): Promise<boolean>;
  updateLaunch(iid: string, launchId: string, changes: Partial<LaunchRecord>): Promise<void>;
  deleteLaunch(iid: string, launchId: string): Promise<void>;
  listLaunches(iid: string): Promise<LaunchRecord[]>;
  getState(iid: string): Promise<ElasticState>;
  /** Write the state; false when someone else wrote it since it was read (its `ver` moved). */
  putState(iid: string, state: ElasticState): Promise<boolean>;
}

/** The state of an instance whose loop never ran. */
export function emptyState(): ElasticState {
  return { batcher: emptyBatcher(), unavailable: [], held: [], idle: {}, decisions: [], ver: 0 };
}

const launchSk = (launchId: string): string => `LAUNCH#${launchId}`;
const STATE_SK = 'ELASTIC';

function strip(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest;
}

/**
 * The DynamoDB store (one table, the instance's partition).
 * @example const s = new DynamoElasticStore(ctx); await s.putLaunch('i1', rec) // true, then false for a repeat
 */
export class DynamoElasticStore implements ElasticStore {
  constructor(private readonly ctx: StoreContext) {}

  async putLaunch(iid: string, rec: LaunchRecord): Promise<boolean> {
    try {
      await this.ctx.doc.send(
        new PutCommand({
          TableName: this.ctx.table,
          Item: { pk: instancePk(iid), sk: launchSk(rec.launchId), ...rec },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  async updateLaunch(iid: string, launchId: string, changes: Partial<LaunchRecord>): Promise<void> {
    const entries = Object.entries(changes).filter(([, v]) => v !== undefined);
    if (!entries.length) return;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = entries.map(([k, v], i) => {
      names[`#a${i}`] = k;
      values[`:v${i}`] = v;
      return `#a${i} = :v${i}`;
    });
    try {
      await this.ctx.doc.send(
        new UpdateCommand({
          TableName: this.ctx.table,
          Key: { pk: instancePk(iid), sk: launchSk(launchId) },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      // A record deleted meanwhile (its launch settled): nothing to update.
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
  }

  async deleteLaunch(iid: string, launchId: string): Promise<void> {
    await this.ctx.doc.send(new DeleteCommand({ TableName: this.ctx.table, Key: { pk: instancePk(iid), sk: launchSk(launchId) } }));
  }

  async listLaunches(iid: string): Promise<LaunchRecord[]> {
    const out: LaunchRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.ctx.doc.send(
        new QueryCommand({
          TableName: this.ctx.table,
          KeyConditionExpression: 'pk = :p AND begins_with(sk, :l)',
          ExpressionAttributeValues: { ':p': instancePk(iid), ':l': 'LAUNCH#' },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) out.push(strip(item) as unknown as LaunchRecord);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out;
  }

  async getState(iid: string): Promise<ElasticState> {
    const out = await this.ctx.doc.send(
      new GetCommand({ TableName: this.ctx.table, Key: { pk: instancePk(iid), sk: STATE_SK }, ConsistentRead: true }),
    );
    if (!out.Item) return emptyState();
    return { ...emptyState(), ...(strip(out.Item) as Partial<ElasticState>) };
  }

  async putState(iid: string, state: ElasticState): Promise<boolean> {
    try {
      await this.ctx.doc.send(
        new PutCommand({
          TableName: this.ctx.table,
          Item: { pk: instancePk(iid), sk: STATE_SK, ...state, ver: state.ver + 1 },
          ConditionExpression: 'attribute_not_exists(pk) OR ver = :v',
          ExpressionAttributeValues: { ':v': state.ver },
        }),
      );
      state.ver++;
      return true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }
}

/** The same contract in memory (tests, the bench). Values are copied in and out, as a table would. */
export class MemoryElasticStore implements ElasticStore {
  readonly launches = new Map<string, LaunchRecord>();
  state: ElasticState = emptyState();
  /** Make the next call of this method throw (a crash between two steps). */
  failNext: Partial<Record<'putLaunch' | 'updateLaunch' | 'putState', Error>> = {};

  private maybeFail(m: 'putLaunch' | 'updateLaunch' | 'putState'): void {
    const err = this.failNext[m];
    if (err) {
      delete this.failNext[m];
      throw err;
    }
  }

  async putLaunch(_iid: string, rec: LaunchRecord): Promise<boolean> {
    this.maybeFail('putLaunch');
    if (this.launches.has(rec.launchId)) return false;
    this.launches.set(rec.launchId, structuredClone(rec));
    return true;
  }

  async updateLaunch(_iid: string, launchId: string, changes: Partial<LaunchRecord>): Promise<void> {
    this.maybeFail('updateLaunch');
    const rec = this.launches.get(launchId);
    if (rec) this.launches.set(launchId, { ...rec, ...structuredClone(changes) });
  }

  async deleteLaunch(_iid: string, launchId: string): Promise<void> {
    this.launches.delete(launchId);
  }

  async listLaunches(): Promise<LaunchRecord[]> {
    return [...this.launches.values()].map((r) => structuredClone(r));
  }

  async getState(): Promise<ElasticState> {
    return structuredClone(this.state);
  }

  async putState(_iid: string, state: ElasticState): Promise<boolean> {
    this.maybeFail('putState');
    if (state.ver !== this.state.ver) return false;
    state.ver++;
    this.state = structuredClone(state);
    return true;
  }
}

// instance-meta.ts - what Lambda containers coordinate through the instance's META item: the FLUID epoch and a
// generator id per container (an atomic counter), and the "a tick is requested" flag that coalesces a burst of
// scheduler work into one asynchronous invoke of the tick function.
// Invariants: the epoch is written once (if_not_exists) and never changes; generator ids of containers alive at
// the same time differ unless 16384 containers started in between; a request is flagged before the tick is invoked
// and the tick clears the flag before it reads the table, so work made durable before a request is always seen by
// the tick it requested or by an earlier one that had not read yet.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from '../store/context.ts';
import { instancePk } from '../store/keys.ts';

/** FLUID generator ids are 14 bits (RFC 19). */
export const GENERATOR_IDS = 16384;

/** A request flag older than this is considered lost (its invoke failed) and may be set again. */
export const STALE_REQUEST_SECONDS = 120;

export class InstanceMeta {
  constructor(
    private readonly store: StoreContext,
    private readonly iid: string,
  ) {}

  private key() {
    return { pk: instancePk(this.iid), sk: 'META' };
  }

  /**
   * Cold start: the instance's FLUID epoch (set by the first container ever) and a generator id for this container.
   * @example const { fluidEpochMs, generatorId } = await meta.claimGenerator(Date.now())
   */
  async claimGenerator(nowMs: number): Promise<{ fluidEpochMs: number; generatorId: number }> {
    const out = await this.store.doc.send(
      new UpdateCommand({
        TableName: this.store.table,
        Key: this.key(),
        UpdateExpression: 'SET #e = if_not_exists(#e, :now) ADD #g :one',
        ExpressionAttributeNames: { '#e': 'fluidEpochMs', '#g': 'generators' },
        ExpressionAttributeValues: { ':now': nowMs, ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const epoch = Number(out.Attributes?.fluidEpochMs);
    const count = Number(out.Attributes?.generators);
    if (!Number.isFinite(epoch) || !Number.isInteger(count)) throw new Error(`instance ${this.iid}: META has no usable fluidEpochMs/generators`);
    return { fluidEpochMs: epoch, generatorId: (count - 1) % GENERATOR_IDS };
  }

  /** Flags a tick request; true if this caller set it (and must invoke the tick), false if one is already pending. */
  async flagTickRequest(now: number): Promise<boolean> {
    try {
      await this.store.doc.send(
        new UpdateCommand({
          TableName: this.store.table,
          Key: this.key(),
          UpdateExpression: 'SET #t = :now',
          ConditionExpression: 'attribute_not_exists(#t) OR #t < :stale',
          ExpressionAttributeNames: { '#t': 'tickRequestedAt' },
          ExpressionAttributeValues: { ':now': now, ':stale': now - STALE_REQUEST_SECONDS },
        }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  /** The tick starts: clears the flag and returns when it was set (undefined if no request was pending). */
  async takeTickRequest(): Promise<number | undefined> {
    const out = await this.store.doc.send(
      new UpdateCommand({
        TableName: this.store.table,
        Key: this.key(),
        UpdateExpression: 'REMOVE #t',
        ExpressionAttributeNames: { '#t': 'tickRequestedAt' },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    const at = out.Attributes?.tickRequestedAt;
    return at === undefined ? undefined : Number(at);
  }
}

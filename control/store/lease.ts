// lease.ts - the scheduler lease: one holder per instance at a time, with a fencing token that grows on every
// change of hands, so a holder that lost the lease (paused Lambda, partitioned process) can no longer commit.
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from './context.ts';
import { instancePk } from './keys.ts';
import type { LeaseFence } from './jobs.ts';

export interface LeaseState {
  holder: string;
  fence: number;
  /** Seconds since the epoch. */
  expires: number;
}

export class LeaseTable {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Takes the lease if it is free or expired (the fence grows), or extends it if `holder` already has it with
   * `current` (the fence stays). Returns the fence to use, or undefined if someone else holds it.
   */
  async acquire(iid: string, holder: string, ttlSeconds: number, now: number, current?: LeaseFence): Promise<LeaseFence | undefined> {
    const key = { pk: instancePk(iid), sk: 'LEASE' };
    const names = { '#h': 'holder', '#f': 'fence', '#e': 'expires' };
    if (current && current.holder === holder) {
      try {
        await this.ctx.doc.send(
          new UpdateCommand({
            TableName: this.ctx.table,
            Key: key,
            UpdateExpression: 'SET #e = :e',
            ConditionExpression: '#h = :h AND #f = :f',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':e': now + ttlSeconds, ':h': holder, ':f': current.token },
          }),
        );
        return current;
      } catch (err) {
        if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
        // Lost it meanwhile; fall through and try to take it afresh.
      }
    }
    try {
      const out = await this.ctx.doc.send(
        new UpdateCommand({
          TableName: this.ctx.table,
          Key: key,
          UpdateExpression: 'SET #h = :h, #e = :e ADD #f :one',
          ConditionExpression: 'attribute_not_exists(#h) OR #e < :now OR #h = :h',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':h': holder, ':e': now + ttlSeconds, ':now': now, ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { iid, holder, token: Number(out.Attributes?.fence) };
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return undefined;
      throw err;
    }
  }

  /** Gives the lease up (expires it now) if still held with this fence. */
  async release(fence: LeaseFence, now: number): Promise<void> {
    try {
      await this.ctx.doc.send(
        new UpdateCommand({
          TableName: this.ctx.table,
          Key: { pk: instancePk(fence.iid), sk: 'LEASE' },
          UpdateExpression: 'SET #e = :now',
          ConditionExpression: '#h = :h AND #f = :f',
          ExpressionAttributeNames: { '#h': 'holder', '#f': 'fence', '#e': 'expires' },
          ExpressionAttributeValues: { ':now': now - 1, ':h': fence.holder, ':f': fence.token },
        }),
      );
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
  }

  async read(iid: string): Promise<LeaseState | undefined> {
    const out = await this.ctx.doc.send(new GetCommand({ TableName: this.ctx.table, Key: { pk: instancePk(iid), sk: 'LEASE' }, ConsistentRead: true }));
    if (!out.Item) return undefined;
    return { holder: String(out.Item.holder), fence: Number(out.Item.fence), expires: Number(out.Item.expires) };
  }
}

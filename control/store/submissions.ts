// submissions.ts - client-token records that make submissions idempotent: the first request with a token claims
// it with the ids it will write; a retry with the same token gets those ids back instead of new jobs.
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from './context.ts';
import { fromHex16, hex16 } from './keys.ts';

/** Client tokens are kept a day: long enough for any retry. */
const TOKEN_TTL_SECONDS = 24 * 3600;

export interface SubmissionRecord {
  owner: string;
  ids: bigint[];
  /** All job items were written (a retry of a complete submission writes nothing). */
  complete: boolean;
}

export class SubmissionTable {
  constructor(private readonly ctx: StoreContext) {}

  /** Claims `token` for these ids; returns the existing record instead if the token was used before. */
  async claim(token: string, owner: string, ids: readonly bigint[], now: number): Promise<SubmissionRecord | undefined> {
    try {
      await this.ctx.doc.send(
        new PutCommand({
          TableName: this.ctx.table,
          Item: { pk: `T#${token}`, sk: 'T', owner, ids: ids.map(hex16).join(''), complete: false, expiresAt: Math.floor(now) + TOKEN_TTL_SECONDS },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return undefined;
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      const out = await this.ctx.doc.send(new GetCommand({ TableName: this.ctx.table, Key: { pk: `T#${token}`, sk: 'T' }, ConsistentRead: true }));
      if (!out.Item) throw new Error(`client token ${token}: claimed but unreadable`);
      const packed = String(out.Item.ids);
      const found: bigint[] = [];
      for (let i = 0; i < packed.length; i += 16) found.push(fromHex16(packed.slice(i, i + 16)));
      return { owner: String(out.Item.owner), ids: found, complete: Boolean(out.Item.complete) };
    }
  }

  async markComplete(token: string): Promise<void> {
    await this.ctx.doc.send(
      new UpdateCommand({ TableName: this.ctx.table, Key: { pk: `T#${token}`, sk: 'T' }, UpdateExpression: 'SET complete = :t', ExpressionAttributeValues: { ':t': true } }),
    );
  }
}

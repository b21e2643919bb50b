// submissions.ts - client-token records that make submissions idempotent: the first request with a token claims
// it with the ids it will write; a retry with the same token gets those ids back (and writes whichever of those
// jobs are missing, conditionally) instead of creating new jobs.
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from './context.ts';
import { fromHex16, hex16 } from './keys.ts';

/** Client tokens are kept a day: long enough for any retry. */
const TOKEN_TTL_SECONDS = 24 * 3600;

export interface SubmissionRecord {
  owner: string;
  ids: bigint[];
}

export class SubmissionTable {
  constructor(private readonly ctx: StoreContext) {}

  /** The token's item, for a caller that writes it in a transaction of its own (JobTable.insertWithToken). */
  tokenItem(token: string, owner: string, ids: readonly bigint[], now: number): Record<string, unknown> {
    return { pk: `T#${token}`, sk: 'T', owner, ids: packRuns(ids), expiresAt: Math.floor(now) + TOKEN_TTL_SECONDS };
  }

  /** The record of a token claimed before. */
  async read(token: string): Promise<SubmissionRecord | undefined> {
    const out = await this.ctx.doc.send(new GetCommand({ TableName: this.ctx.table, Key: { pk: `T#${token}`, sk: 'T' }, ConsistentRead: true }));
    return out.Item ? { owner: String(out.Item.owner), ids: unpackRuns(String(out.Item.ids)) } : undefined;
  }

  /** Claims `token` for these ids; returns the existing record instead if the token was used before. */
  async claim(token: string, owner: string, ids: readonly bigint[], now: number): Promise<SubmissionRecord | undefined> {
    try {
      await this.ctx.doc.send(
        new PutCommand({ TableName: this.ctx.table, Item: this.tokenItem(token, owner, ids, now), ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return undefined;
    } catch (err) {
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw err;
      const earlier = await this.read(token);
      if (!earlier) throw new Error(`client token ${token}: claimed but unreadable`);
      return earlier;
    }
  }
}

/**
 * Ids as runs of consecutive values, `<hex16>+<count>` joined by commas: ids made together by one FLUID generator
 * are mostly consecutive, so 10,000 of them take a few runs instead of 160 KB (the item limit is 400 KB).
 */
export function packRuns(ids: readonly bigint[]): string {
  const runs: string[] = [];
  for (let i = 0; i < ids.length; ) {
    let j = i + 1;
    while (j < ids.length && ids[j] === ids[j - 1]! + 1n) j++;
    runs.push(`${hex16(ids[i]!)}+${j - i}`);
    i = j;
  }
  return runs.join(',');
}

export function unpackRuns(text: string): bigint[] {
  const ids: bigint[] = [];
  for (const run of text ? text.split(',') : []) {
    const [start, count] = run.split('+');
    const first = fromHex16(start!);
    for (let k = 0; k < Number(count); k++) ids.push(first + BigInt(k));
  }
  return ids;
}

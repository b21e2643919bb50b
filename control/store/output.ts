// output.ts - job output chunks: one item per `job.output` message, keyed by the job's node index and the
// agent's sequence number, so a resent chunk overwrites itself and readers resume from a per-node cursor.
// Entries are stored as JSON text: output may hold empty strings, which DynamoDB Local refuses in attributes.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from './context.ts';
import { jobPk, outputSk } from './keys.ts';
import { backoff, chunk, forEachLimit } from './retry.ts';

export interface OutputEntry {
  stream: 'stdout' | 'stderr';
  task: number;
  data: string;
}

export interface OutputChunk {
  jobId: bigint;
  /** The node's index in the job's nodelist. */
  node: number;
  seq: number;
  /** Seconds since the epoch, when the control plane received it (orders chunks of different nodes). */
  time: number;
  entries: OutputEntry[];
  truncated?: boolean;
}

/** Where a reader is: for each node index, the next sequence number it has not read. */
export type OutputCursor = Record<number, number>;

export class OutputTable {
  constructor(private readonly ctx: StoreContext) {}

  async put(chunks: readonly OutputChunk[]): Promise<void> {
    await forEachLimit(chunk(chunks, 25), 4, async (batch) => {
      let pending = batch.map((c) => ({
        PutRequest: {
          Item: { pk: jobPk(c.jobId), sk: outputSk(c.node, c.seq), node: c.node, seq: c.seq, t: c.time, e: JSON.stringify(c.entries), tr: c.truncated || undefined },
        },
      }));
      for (let attempt = 0; pending.length; attempt++) {
        if (attempt) await backoff(attempt);
        const out = await this.ctx.doc.send(new BatchWriteCommand({ RequestItems: { [this.ctx.table]: pending } }));
        pending = (out.UnprocessedItems?.[this.ctx.table] ?? []) as typeof pending;
      }
    });
  }

  /**
   * Chunks after `cursor`, for the given node indexes (all of the job's nodes), in arrival order.
   * Returns the chunks and the advanced cursor. Each node's chunks are read in sequence; a gap (a chunk still
   * in flight) stops that node's reading so that nothing is ever skipped.
   */
  async read(jobId: bigint, nodes: readonly number[], cursor: OutputCursor): Promise<{ chunks: OutputChunk[]; cursor: OutputCursor }> {
    const next: OutputCursor = { ...cursor };
    const perNode: OutputChunk[][] = [];
    await Promise.all(
      nodes.map(async (node) => {
        const chunks: OutputChunk[] = [];
        perNode.push(chunks);
        let startKey: Record<string, unknown> | undefined;
        let expected = cursor[node] ?? 0;
        let gap = false;
        do {
          const out = await this.ctx.doc.send(
            new QueryCommand({
              TableName: this.ctx.table,
              KeyConditionExpression: 'pk = :p AND sk BETWEEN :from AND :to',
              ExpressionAttributeValues: { ':p': jobPk(jobId), ':from': outputSk(node, expected), ':to': outputSk(node, 999_999_999) },
              ConsistentRead: true,
              ExclusiveStartKey: startKey,
            }),
          );
          for (const item of out.Items ?? []) {
            if (Number(item.seq) !== expected) {
              gap = true;
              break;
            }
            chunks.push({ jobId, node, seq: expected, time: Number(item.t), entries: JSON.parse(String(item.e)) as OutputEntry[], truncated: Boolean(item.tr) });
            expected++;
          }
          startKey = gap ? undefined : out.LastEvaluatedKey;
        } while (startKey);
        next[node] = expected;
      }),
    );
    return { chunks: mergeByArrival(perNode), cursor: next };
  }
}

/** Merges per-node chunk lists (each in sequence order) by arrival time, never reordering one node's own chunks. */
function mergeByArrival(lists: OutputChunk[][]): OutputChunk[] {
  const heads = lists.map(() => 0);
  const out: OutputChunk[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      const c = lists[i]![heads[i]!];
      if (!c) continue;
      const b = best < 0 ? undefined : lists[best]![heads[best]!];
      if (!b || c.time < b.time || (c.time === b.time && c.node < b.node)) best = i;
    }
    if (best < 0) return out;
    out.push(lists[best]![heads[best]!]!);
    heads[best]!++;
  }
}

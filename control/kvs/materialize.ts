// materialize.ts - writes logged commits into key items and moves the head, in version order. Any reader or writer
// may run it at any time, several at once: a commit that was logged but not materialized (its writer crashed) is
// finished by whoever comes next. Invariants: idempotent (a key item only takes a newer version; an append applies
// only to the state of the version before it); the head moves past a version only once all of it is written.
import { forEachLimit } from '../store/retry.ts';
import type { KvsTable } from '../store/kvs.ts';
import { appendTo } from './effects.ts';
import { ROOT } from './path.ts';
import type { LogEntry } from './types.ts';

const PARALLEL = 8;

/**
 * Materialize every logged commit above the head; returns the head afterwards.
 * @example await materialize(table, pk, Date.now() / 1000)
 */
export async function materialize(table: KvsTable, pk: string, now: number): Promise<number> {
  const head = await table.head(pk);
  return materializeFrom(table, pk, head, await table.log(pk, head), now);
}

/** The same, for a caller that has just read the head and the log entries above it. */
export async function materializeFrom(table: KvsTable, pk: string, from: number, entries: readonly LogEntry[], now: number): Promise<number> {
  let head = from;
  for (const e of entries) {
    if (e.version !== head + 1) throw new Error(`KVS log of ${pk} has a gap: version ${e.version} follows ${head}`);
    await applyEntry(table, pk, e, now);
    await table.advanceHead(pk, e.version);
    head = e.version;
  }
  return head;
}

/** Writes one commit's effects: removed subtrees first (keys the commit sets excepted), then its keys. */
export async function applyEntry(table: KvsTable, pk: string, e: LogEntry, now: number): Promise<void> {
  const explicit = new Set(e.effects.sets.map(([k]) => k));
  for (const tree of e.effects.trees) {
    const own = tree === ROOT ? [] : [...(await table.getKeys(pk, [tree])).values()];
    const doomed = [...own, ...(await table.below(pk, tree))].filter((r) => r.entry !== undefined && r.version < e.version && !explicit.has(r.key));
    await forEachLimit(doomed, PARALLEL, async (r) => {
      await table.writeKey(pk, r.key, undefined, e.version, now);
    });
  }
  await forEachLimit(e.effects.sets, PARALLEL, async ([key, change]) => {
    if (change.op !== 'append') {
      await table.writeKey(pk, key, change.op === 'set' ? change.entry : undefined, e.version, now);
      return;
    }
    // An append applies to the key as the previous version left it; retried if another materializer got there first.
    for (;;) {
      const cur = (await table.getKeys(pk, [key])).get(key);
      if (cur && cur.version >= e.version) return;
      if (await table.replaceKey(pk, key, appendTo(cur?.entry, change.data), e.version, cur?.version, now)) return;
    }
  });
}

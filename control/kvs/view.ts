// view.ts - a namespace as of one version: its materialized keys with the commit-log entries above the head
// replayed on top, so a reader never sees a commit half-applied, whatever materialization is doing meanwhile.
// Invariants: the view's version is fixed when it opens; a key item newer than that version (a commit that landed
// after the view opened) makes the read throw StaleRead, and the caller opens a fresh view and tries again.
import type { KvsTable } from '../store/kvs.ts';
import { keysSetWithin, viewKey } from './effects.ts';
import type { KeyReader } from './plan.ts';
import { ROOT, within } from './path.ts';
import type { KvsDirEntry, LogEntry, Versioned } from './types.ts';

/** A read met a key written after the view's version: open a new view and read again. */
export class StaleRead extends Error {
  constructor() {
    super('the namespace changed during the read');
  }
}

export class NamespaceView implements KeyReader {
  private readonly cache = new Map<string, Versioned | undefined>();

  private constructor(
    /** The namespace's (canonical) name. */
    readonly namespace: string,
    readonly pk: string,
    private readonly table: KvsTable,
    /** Every version up to this one is materialized. */
    readonly head: number,
    /** The logged commits above the head, in order. */
    readonly pending: readonly LogEntry[],
  ) {}

  /**
   * Reads the head and the log above it. `seenHead`, a head this process saw before (heads only move forward),
   * lets both reads go out at once: the log is read from there and trimmed to what is above the real head.
   * @example const view = await NamespaceView.open(table, 'primary', pk); await view.get('a.b')
   */
  static async open(table: KvsTable, namespace: string, pk: string, seenHead?: number): Promise<NamespaceView> {
    if (seenHead === undefined) {
      const head = await table.head(pk);
      return new NamespaceView(namespace, pk, table, head, await table.log(pk, head));
    }
    const [head, log] = await Promise.all([table.head(pk), table.log(pk, seenHead)]);
    return new NamespaceView(namespace, pk, table, head, log.filter((e) => e.version > head));
  }

  /** The version this view is consistent at: the last logged commit. */
  get version(): number {
    return this.pending.at(-1)?.version ?? this.head;
  }

  async prefetch(keys: readonly string[]): Promise<void> {
    const missing = keys.filter((k) => k !== ROOT && !this.cache.has(k));
    if (missing.length === 0) return;
    const found = await this.table.getKeys(this.pk, missing);
    for (const k of missing) {
      const rec = found.get(k);
      if (rec && rec.version > this.version) throw new StaleRead();
      const base = rec?.entry ? { entry: rec.entry, version: rec.version } : undefined;
      this.cache.set(k, viewKey(k, base, this.pending));
    }
  }

  async get(key: string): Promise<Versioned | undefined> {
    if (key === ROOT) return { entry: { type: 'dir' }, version: 0 };
    if (!this.cache.has(key)) await this.prefetch([key]);
    return this.cache.get(key);
  }

  /** The entries below directory `dir`: its children, or every descendant when `recursive`; in key order. */
  async list(dir: string, recursive: boolean): Promise<KvsDirEntry[]> {
    const recs = await this.table.below(this.pk, dir);
    const bases = new Map<string, Versioned | undefined>();
    for (const rec of recs) {
      if (rec.version > this.version) throw new StaleRead();
      bases.set(rec.key, rec.entry ? { entry: rec.entry, version: rec.version } : undefined);
    }
    for (const k of keysSetWithin(this.pending, dir)) if (k !== dir && !bases.has(k)) bases.set(k, undefined);
    const depth = dir === ROOT ? 0 : dir.split('.').length;
    const out: KvsDirEntry[] = [];
    for (const [key, base] of bases) {
      if (!within(key, dir) || key === dir) continue;
      if (!recursive && key.split('.').length !== depth + 1) continue;
      const v = viewKey(key, base, this.pending);
      if (v) out.push({ key, entry: v.entry, modified: v.version });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}

// service.ts - the KVS service (KvsService): Flux's KVS over the DynamoDB commit log. A commit is one conditional
// put of the next log entry (racing commits: one wins, the others re-read and retry), then materialization; reads
// replay unmaterialized log entries over the materialized keys; watches and waits long-poll the log.
// Invariants: a namespace's version advances exactly once per commit; nothing is acknowledged before its log entry
// is durable; a refused commit writes nothing; access is checked on every namespace a request touches.
import { FlurryError } from '../core/errors.ts';
import type { Notifier } from '../jobs/notifier.ts';
import type { Caller, KvsService } from '../services.ts';
import type { KvsTable } from '../store/kvs.ts';
import { backoff } from '../store/retry.ts';
import { changeOf } from './effects.ts';
import { itemBytes, keyItem, logItem } from './items.ts';
import { lookupKey } from './lookup.ts';
import { materializeFrom } from './materialize.ts';
import { Namespaces, type ResolvedNamespace } from './namespaces.ts';
import { normalizeKey, normalizeNamespace } from './path.ts';
import { planCommit, tooLarge } from './plan.ts';
import {
  KVS_LIMITS, type KeyChange, type KvsLookupOptions, type KvsLookupResult, type KvsNamespace, type KvsWatchPage, type LogEntry, type Op,
} from './types.ts';
import { NamespaceView, StaleRead } from './view.ts';

export interface KvsDeps {
  iid: string;
  table: KvsTable;
  notifier: Notifier;
  /** The owner of a job of this instance (job namespaces belong to it), or undefined. */
  jobOwner(id: bigint): Promise<string | undefined>;
  /** Seconds since the epoch. */
  clock?: () => number;
  /** A reader finishes materialization itself when the oldest unmaterialized commit is older than this (default 1000). */
  helpAfterMs?: number;
  log?: (line: string) => void;
}

/** Log entries a watch reads per call. */
const WATCH_PAGE = 100;
/** Commit attempts before answering 503 (each lost race means another commit went through). */
const MAX_ATTEMPTS = 200;
const STALE_RETRIES = 50;

export class Kvs implements KvsService {
  readonly namespaces: Namespaces;
  private readonly clock: () => number;
  /** The highest materialized head this instance saw per partition: lets a view read head and log at once. */
  private readonly heads = new Map<string, number>();

  constructor(private readonly d: KvsDeps) {
    this.clock = d.clock ?? (() => Date.now() / 1000);
    this.namespaces = new Namespaces({ iid: d.iid, table: d.table, jobOwner: d.jobOwner, clock: this.clock });
  }

  listNamespaces(caller: Caller): Promise<KvsNamespace[]> {
    return this.namespaces.list(caller);
  }

  createNamespace(caller: Caller, name: string, owner?: string): Promise<KvsNamespace> {
    return this.namespaces.createNamespace(caller, name, owner);
  }

  async removeNamespace(caller: Caller, name: string): Promise<void> {
    const ns = await this.namespaces.removeNamespace(caller, name);
    this.d.notifier.notify(this.waitKey(ns.name));
    // The record is gone, so nothing reads the old partition again; its items are garbage collected here.
    await this.d.table.deletePartition(ns.pk).catch((err: Error) => this.d.log?.(`kvs: cleaning up namespace ${ns.name}: ${err.message}`));
  }

  async version(caller: Caller, namespace: string): Promise<number> {
    const ns = await this.namespaces.resolve(caller, namespace, 'read');
    return this.d.table.latest(ns.pk);
  }

  async waitVersion(caller: Caller, namespace: string, version: number, waitMs: number, signal?: AbortSignal): Promise<number> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const ns = await this.namespaces.resolve(caller, namespace, 'read');
      // Marked before reading, so a commit landing between the read and the wait is not missed.
      const seen = this.d.notifier.mark(this.waitKey(ns.name));
      const at = await this.d.table.latest(ns.pk);
      const left = deadline - Date.now();
      if (at >= version || left <= 0 || signal?.aborted) return at;
      await this.d.notifier.wait(this.waitKey(ns.name), left, signal, seen);
    }
  }

  async lookup(caller: Caller, namespace: string, key: string, opts: KvsLookupOptions = {}): Promise<KvsLookupResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        const view = await this.open(await this.namespaces.resolve(caller, namespace, 'read'));
        return await lookupKey(view, key, opts, async (other) => this.open(await this.namespaces.resolve(caller, other, 'read')));
      } catch (err) {
        if (!(err instanceof StaleRead) || attempt >= STALE_RETRIES) throw err;
      }
    }
  }

  async commit(caller: Caller, namespace: string, ops: readonly Op[]): Promise<{ version: number }> {
    const { ns, version, view, entry } = await this.logCommit(caller, namespace, ops);
    // Durable from here: a failure to materialize is finished by the next reader or writer.
    await materializeFrom(this.d.table, ns.pk, view.head, [...view.pending, entry], this.clock())
      .then((head) => this.seen(ns.pk, head))
      .catch((err: Error) => this.d.log?.(`kvs: materializing ${ns.name} v${version}: ${err.message}`));
    this.d.notifier.notify(this.waitKey(ns.name));
    return { version };
  }

  /**
   * The first half of a commit: plan it against the latest version and log it, racing other writers for the next
   * version (a lost race re-reads and plans again). Does not materialize: commit() does, and a crash test stops here.
   */
  async logCommit(caller: Caller, namespace: string, ops: readonly Op[]): Promise<{ ns: ResolvedNamespace; version: number; view: NamespaceView; entry: LogEntry }> {
    const ns = await this.namespaces.resolve(caller, namespace, 'write');
    const txn = ops.map((op, i): Op => (op.op === 'link' && op.namespace !== undefined ? { ...op, namespace: normalizeNamespace(op.namespace, `ops[${i}].namespace`) } : op));
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (attempt > 0) await backoff(Math.min(attempt, 3));
      const view = await this.open(ns);
      const version = view.version + 1;
      const now = this.clock();
      let entry: LogEntry;
      try {
        const effects = await planCommit(txn, { namespace: ns.name, reader: view, version, itemBytes: (k, e) => itemBytes(keyItem(ns.pk, k, e, version, now)) });
        entry = { version, timestamp: now, user: caller.user, effects };
      } catch (err) {
        if (err instanceof StaleRead) continue;
        throw err;
      }
      const size = itemBytes(logItem(ns.pk, entry));
      if (size > KVS_LIMITS.itemBytes) throw tooLarge(`the transaction takes ${size} bytes; one commit holds at most ${KVS_LIMITS.itemBytes}`);
      if (await this.d.table.appendLog(ns.pk, entry)) return { ns, version, view, entry };
    }
    throw new FlurryError('unavailable', `namespace ${ns.name} is too busy: the commit lost ${MAX_ATTEMPTS} races; retry`);
  }

  async watch(caller: Caller, namespace: string, key: string, after: number, waitMs: number, signal?: AbortSignal): Promise<KvsWatchPage> {
    const k = normalizeKey(key);
    const deadline = Date.now() + waitMs;
    let from = after;
    for (;;) {
      const ns = await this.namespaces.resolve(caller, namespace, 'read');
      const seen = this.d.notifier.mark(this.waitKey(ns.name));
      const entries = await this.d.table.log(ns.pk, from, WATCH_PAGE);
      const changes: KeyChange[] = [];
      for (const e of entries) {
        const change = changeOf(e.effects, k);
        if (change) changes.push({ version: e.version, ...change });
      }
      from = entries.at(-1)?.version ?? from;
      const left = deadline - Date.now();
      if (changes.length > 0 || entries.length === WATCH_PAGE || left <= 0 || signal?.aborted) return { changes, version: from };
      await this.d.notifier.wait(this.waitKey(ns.name), left, signal, seen);
    }
  }

  /** The namespace at its latest version; finishes a stuck materialization first. */
  private async open(ns: ResolvedNamespace): Promise<NamespaceView> {
    const view = await NamespaceView.open(this.d.table, ns.name, ns.pk, this.heads.get(ns.pk));
    this.seen(ns.pk, view.head);
    const oldest = view.pending[0];
    if (oldest && (this.clock() - oldest.timestamp) * 1000 >= (this.d.helpAfterMs ?? 1000)) {
      this.seen(ns.pk, await materializeFrom(this.d.table, ns.pk, view.head, view.pending, this.clock()));
      return NamespaceView.open(this.d.table, ns.name, ns.pk, this.heads.get(ns.pk));
    }
    return view;
  }

  /** Remembers the highest head seen per partition (bounded: a cache, not state). */
  private seen(pk: string, head: number): void {
    if ((this.heads.get(pk) ?? -1) >= head) return;
    if (this.heads.size >= 10_000) this.heads.clear();
    this.heads.set(pk, head);
  }

  private waitKey(name: string): string {
    return `kvs:${this.d.iid}/${name}`;
  }
}

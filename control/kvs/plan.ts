// plan.ts - turns a transaction's operations into the effects its commit logs, resolved against the namespace as
// of the version before it (Flux's semantics: dotted keys, parents made directories on write, a value or a link in
// the way of a write replaced, put/mkdir over a directory replacing it, links followed in parent components).
// Invariants: no I/O of its own (reads go through the injected KeyReader); operations apply in order and later
// ones see earlier ones; any error means nothing of the transaction is logged.
import { ConflictError, FlurryError, InvalidInputError, NotFoundError } from '../core/errors.ts';
import { appendTo, toBase64 } from './effects.ts';
import { ancestors, components, joinKey, normalizeKey, ROOT, within } from './path.ts';
import { KVS_LIMITS, type Appended, type Change, type Effects, type Entry, type Op, type Versioned } from './types.ts';

/** Reads the namespace at the version a commit builds on. */
export interface KeyReader {
  /** The entry at a normalized key, or undefined. */
  get(key: string): Promise<Versioned | undefined>;
  /** Optional: read these keys in one round trip before they are asked for. */
  prefetch?(keys: readonly string[]): Promise<void>;
}

export interface PlanContext {
  /** The namespace the transaction commits to (links into others cannot be written through). */
  namespace: string;
  reader: KeyReader;
  /** The version this commit will have (what `check` sees for keys written earlier in the transaction). */
  version: number;
  /** Bytes the item holding `entry` under `key` would take; larger than KVS_LIMITS.itemBytes is refused. */
  itemBytes?: (key: string, entry: Entry) => number;
}

/**
 * The effects of `ops`, or an error (InvalidInputError naming `ops[i]…`, NotFoundError, ConflictError for a
 * failed `check`, or a `too_large` FlurryError for a value that would not fit one item).
 * @example await planCommit([{ op: 'put', key: 'a.b', entry: { type: 'json', value: 1 } }], ctx)
 * // { trees: [], sets: [['a', {op:'set', entry:{type:'dir'}}], ['a.b', {op:'set', entry:{type:'json', value:1}}]] }
 */
export async function planCommit(ops: readonly Op[], ctx: PlanContext): Promise<Effects> {
  if (ops.length > KVS_LIMITS.ops) throw new InvalidInputError(`must hold at most ${KVS_LIMITS.ops} operations`, 'ops');
  const tx = new Transaction(ctx);
  const keys = ops.map((op, i) => normalizeKey(op.key, `ops[${i}].key`));
  await ctx.reader.prefetch?.([...new Set(keys.flatMap((k) => [...ancestors(k), k]))]);
  for (const [i, op] of ops.entries()) await tx.apply(op, keys[i]!, `ops[${i}]`);
  return tx.effects();
}

class Transaction {
  private readonly sets = new Map<string, Change>();
  private readonly trees: string[] = [];

  constructor(private readonly ctx: PlanContext) {}

  effects(): Effects {
    return { trees: [...this.trees], sets: [...this.sets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
  }

  async apply(op: Op, key: string, where: string): Promise<void> {
    switch (op.op) {
      case 'put':
      case 'mkdir':
      case 'link': {
        const entry: Entry = op.op === 'put' ? op.entry : op.op === 'mkdir' ? { type: 'dir' } : linkEntry(op.target, op.namespace, where);
        const k = await this.writePath(key, where);
        if ((await this.get(k))?.entry.type === 'dir') this.removeTree(k);
        this.set(k, { op: 'set', entry }, where);
        return;
      }
      case 'append': {
        const k = await this.writePath(key, where);
        const before = await this.get(k);
        const after = appendTo(before?.entry, op.data, `${where}.key`);
        const own = this.sets.get(k);
        const change: Change =
          before !== undefined && own === undefined ? { op: 'append', data: op.data }
          : own?.op === 'append' ? { op: 'append', data: joinAppended(own.data, op.data) }
          : { op: 'set', entry: after };
        this.set(k, change, where, after);
        return;
      }
      case 'unlink': {
        const k = await this.readPath(key);
        const cur = k === undefined ? undefined : await this.get(k);
        if (k === undefined || cur === undefined) {
          if (op.force) return;
          throw new NotFoundError(`${key}: no such key`);
        }
        if (k === ROOT) throw new InvalidInputError('cannot unlink the root directory', `${where}.key`);
        if (cur.entry.type === 'dir') {
          if (!op.recursive) throw new InvalidInputError(`${key} is a directory (unlink it recursively)`, `${where}.key`);
          this.removeTree(k);
        }
        this.sets.set(k, { op: 'unlink' });
        return;
      }
      case 'check': {
        const actual = (await this.get(key))?.version ?? 0;
        if (actual !== op.version) {
          throw new ConflictError(`check failed: ${key} was last written by version ${actual}, not ${op.version}`);
        }
        return;
      }
    }
  }

  /** The key as this transaction sees it so far. */
  private async get(key: string): Promise<Versioned | undefined> {
    if (key === ROOT) return { entry: { type: 'dir' }, version: 0 };
    const own = this.sets.get(key);
    if (own !== undefined) {
      if (own.op === 'unlink') return undefined;
      if (own.op === 'set') return { entry: own.entry, version: this.ctx.version };
      const base = await this.ctx.reader.get(key);
      return { entry: appendTo(base?.entry, own.data), version: this.ctx.version };
    }
    if (this.trees.some((t) => within(key, t))) return undefined;
    return this.ctx.reader.get(key);
  }

  private set(key: string, change: Change, where: string, result?: Entry): void {
    if (key === ROOT) throw new InvalidInputError('cannot replace the root directory', `${where}.key`);
    const entry = result ?? (change.op === 'set' ? change.entry : undefined);
    if (entry !== undefined && this.ctx.itemBytes) {
      const size = this.ctx.itemBytes(key, entry);
      if (size > KVS_LIMITS.itemBytes) throw tooLarge(`${key}: the value would take ${size} bytes; one key holds at most ${KVS_LIMITS.itemBytes}`);
    }
    this.sets.set(key, change);
  }

  /** Remove `key` and everything below it (keys this transaction wrote there included). */
  private removeTree(key: string): void {
    for (const k of this.sets.keys()) if (within(k, key)) this.sets.set(k, { op: 'unlink' });
    if (!this.trees.some((t) => within(key, t))) this.trees.push(key);
  }

  /**
   * Make every parent of `key` a directory (creating missing ones, replacing values in the way) and follow links
   * met on the way; the key to write, after links.
   */
  private async writePath(key: string, where: string): Promise<string> {
    let k = key;
    for (let hops = 0; ; hops++) {
      const next = await this.walk(k, where, true);
      if (next === k) return k;
      if (hops >= KVS_LIMITS.symlinkHops) throw new InvalidInputError(`${key}: too many levels of symbolic links`, `${where}.key`);
      k = next;
    }
  }

  /** The key after following links in its parents, or undefined if a parent does not exist or is no directory. */
  private async readPath(key: string): Promise<string | undefined> {
    let k = key;
    for (let hops = 0; hops <= KVS_LIMITS.symlinkHops; hops++) {
      const next = await this.walk(k, '', false);
      if (next === k || next === undefined) return next;
      k = next;
    }
    return undefined;
  }

  /**
   * One pass over the parents of `key`: returns `key` when they are all directories (after creating them when
   * `create`), the rewritten key when a link is met, or undefined (only when not creating) when one is missing.
   */
  private async walk(key: string, where: string, create: true): Promise<string>;
  private async walk(key: string, where: string, create: false): Promise<string | undefined>;
  private async walk(key: string, where: string, create: boolean): Promise<string | undefined> {
    const parts = components(key);
    for (const [i, parent] of ancestors(key).entries()) {
      const cur = await this.get(parent);
      if (cur?.entry.type === 'dir') continue;
      if (cur?.entry.type === 'symlink') {
        const link = cur.entry;
        if (link.namespace !== undefined && link.namespace !== this.ctx.namespace) {
          if (!create) return undefined;
          throw new InvalidInputError(`${key}: cannot write through ${parent}, a link into namespace ${link.namespace}`, `${where}.key`);
        }
        return joinKey(link.target, parts.slice(i + 1).join('.'));
      }
      if (!create) return undefined;
      this.set(parent, { op: 'set', entry: { type: 'dir' } }, where);
    }
    return key;
  }
}

function linkEntry(target: string, namespace: string | undefined, where: string): Entry {
  const t = normalizeKey(target, `${where}.target`);
  return namespace === undefined ? { type: 'symlink', target: t } : { type: 'symlink', target: t, namespace };
}

/** Two appends to one key within a transaction, as one (text and text stay text; anything else is bytes). */
function joinAppended(a: Appended, b: Appended): Appended {
  if (a.type === 'json' && b.type === 'json') return { type: 'json', value: a.value + b.value };
  const raw: Entry = a.type === 'raw' ? { type: 'raw', data: a.data } : { type: 'raw', data: toBase64(new TextEncoder().encode(a.value)) };
  return { type: 'raw', data: (appendTo(raw, b) as { data: string }).data };
}

/**
 * The error for something that cannot fit one DynamoDB item: `too_large`, which the HTTP edge answers with 413.
 * @example throw tooLarge('the transaction takes 512000 bytes; a commit holds at most 409600')
 */
export function tooLarge(message: string): FlurryError {
  return new FlurryError('too_large', message);
}

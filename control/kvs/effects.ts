// effects.ts - applying logged commit effects to keys: a key's value at a version (materialized item + the log
// entries above it), appends, and which change a commit made to one key. Invariants: pure; applying the same log
// entries in order to the same base always gives the same answer, whatever was already applied (idempotent,
// because every key records the version that wrote it).
import { InvalidInputError } from '../core/errors.ts';
import { within } from './path.ts';
import type { Appended, Change, Effects, Entry, LogEntry, Versioned } from './types.ts';

/**
 * The value after appending `data` to `base` (absent: `data` becomes the value). Text appends to a string value,
 * bytes to a raw value; text and bytes mix as bytes (UTF-8).
 * @example appendTo({ type: 'json', value: 'a' }, { type: 'json', value: 'b' }) // { type: 'json', value: 'ab' }
 */
export function appendTo(base: Entry | undefined, data: Appended, key = 'key'): Entry {
  if (base === undefined) return data.type === 'json' ? { type: 'json', value: data.value } : { type: 'raw', data: data.data };
  if (base.type === 'json' && typeof base.value === 'string' && data.type === 'json') return { type: 'json', value: base.value + data.value };
  if (base.type === 'raw' || (base.type === 'json' && typeof base.value === 'string')) {
    const head = base.type === 'raw' ? fromBase64(base.data) : new TextEncoder().encode(base.value as string);
    const tail = data.type === 'raw' ? fromBase64(data.data) : new TextEncoder().encode(data.value);
    const out = new Uint8Array(head.length + tail.length);
    out.set(head);
    out.set(tail, head.length);
    return { type: 'raw', data: toBase64(out) };
  }
  const what = base.type === 'json' ? 'a JSON value that is not a string' : base.type === 'dir' ? 'a directory' : 'a symbolic link';
  throw new InvalidInputError(`cannot append to ${what}`, key);
}

/**
 * The change commit `effects` made to `key`, or undefined if it left the key alone.
 * A key under a removed subtree (and not written again) reads as unlinked.
 */
export function changeOf(effects: Effects, key: string): Change | undefined {
  for (const [k, change] of effects.sets) if (k === key) return change;
  return effects.trees.some((t) => within(key, t)) ? { op: 'unlink' } : undefined;
}

/**
 * `key` after applying one commit's change to its previous state.
 * @example applyChange({ entry: {type:'json', value:'a'}, version: 1 }, { op: 'append', data: {type:'json', value:'b'} }, 2)
 */
export function applyChange(before: Versioned | undefined, change: Change, version: number): Versioned | undefined {
  switch (change.op) {
    case 'set':
      return { entry: change.entry, version };
    case 'unlink':
      return undefined;
    case 'append':
      return { entry: appendTo(before?.entry, change.data), version };
  }
}

/**
 * `key` as of the last of `log`, from its materialized state `base`: the log entries are replayed in order, and
 * those the base already reflects are harmless to replay (a set or unlink overwrites; an append is skipped when
 * the base was written by that very version or a later one).
 */
export function viewKey(key: string, base: Versioned | undefined, log: readonly LogEntry[]): Versioned | undefined {
  let state = base;
  for (const e of log) {
    const change = changeOf(e.effects, key);
    if (change === undefined) continue;
    if (change.op === 'append' && state !== undefined && state.version >= e.version) continue;
    state = applyChange(state, change, e.version);
  }
  return state;
}

/**
 * The keys a log entry may create or change below `prefix` (or equal to it): those it sets there.
 * A directory listing adds them to the materialized keys before replaying the log.
 */
export function keysSetWithin(log: readonly LogEntry[], prefix: string): string[] {
  const out = new Set<string>();
  for (const e of log) for (const [k] of e.effects.sets) if (within(k, prefix)) out.add(k);
  return [...out];
}

/** Standard base64 of bytes (any JS runtime). */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Bytes of standard base64; anything else is an InvalidInputError. */
export function fromBase64(text: string, field = 'data'): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new InvalidInputError('must be base64', field);
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// items.ts - the KVS's DynamoDB item layout as pure data (no client here; control/store/kvs.ts sends them), and the
// exact size of an item as DynamoDB counts it against its 400 KB limit.
//
//   I#<iid>                  / KNS#<ns>    namespace: owner, generation, created
//   K#<iid>#<ns>#<gen>       / HEAD        h: every log entry up to version h is materialized
//   K#<iid>#<ns>#<gen>       / V#<ver:16>  commit log entry: the commit's resolved effects as JSON text (`fx`)
//   K#<iid>#<ns>#<gen>       / D#<key>     materialized key: v (version that wrote it), t (kind), d (JSON text)
//
// Invariants: values are stored as JSON text (never nested attributes, never an empty string: the DynamoDB Local we
// ship refuses those); a removed key is a tombstone (t = 'x', expiring) so that a late materializer can never
// bring back what a newer version removed; a namespace's generation changes when it is removed and created again.
import type { Effects, Entry, LogEntry } from './types.ts';

export type Item = Record<string, string | number>;

/** Seconds a tombstone is kept: far longer than any materializer can lag behind. */
export const TOMBSTONE_SECONDS = 24 * 3600;

/** The partition of one namespace generation. */
export const partitionKey = (iid: string, ns: string, gen: string): string => `K#${iid}#${ns}#${gen}`;
export const namespaceSk = (ns: string): string => `KNS#${ns}`;
export const logSk = (version: number): string => `V#${String(version).padStart(16, '0')}`;
export const keySk = (key: string): string => `D#${key}`;
export const HEAD_SK = 'HEAD';

const TYPE_CODE = { json: 'j', raw: 'r', dir: 'd', symlink: 'l' } as const;

/** The item that holds `entry` under `key` (undefined: a tombstone), written by commit `version`. */
export function keyItem(pk: string, key: string, entry: Entry | undefined, version: number, now: number): Item {
  const item: Item = { pk, sk: keySk(key), v: version };
  if (entry === undefined) {
    item.t = 'x';
    item.expiresAt = Math.floor(now) + TOMBSTONE_SECONDS;
    return item;
  }
  item.t = TYPE_CODE[entry.type];
  if (entry.type === 'json') item.d = JSON.stringify(entry.value ?? null);
  else if (entry.type === 'raw') item.d = JSON.stringify(entry.data);
  else if (entry.type === 'symlink') item.d = JSON.stringify(entry.namespace === undefined ? { target: entry.target } : { target: entry.target, namespace: entry.namespace });
  return item;
}

/** A key item read back: its key, its entry (undefined for a tombstone) and the version that wrote it. */
export function fromKeyItem(item: Record<string, unknown>): { key: string; entry: Entry | undefined; version: number } {
  const key = String(item.sk).slice(2);
  const version = Number(item.v);
  const d = typeof item.d === 'string' ? (JSON.parse(item.d) as unknown) : undefined;
  switch (item.t) {
    case 'j':
      return { key, version, entry: { type: 'json', value: d } };
    case 'r':
      return { key, version, entry: { type: 'raw', data: String(d) } };
    case 'd':
      return { key, version, entry: { type: 'dir' } };
    case 'l': {
      const l = d as { target: string; namespace?: string };
      return { key, version, entry: l.namespace === undefined ? { type: 'symlink', target: l.target } : { type: 'symlink', target: l.target, namespace: l.namespace } };
    }
    default:
      return { key, version, entry: undefined };
  }
}

/** The commit-log item of one commit. */
export function logItem(pk: string, e: LogEntry): Item {
  return { pk, sk: logSk(e.version), v: e.version, ts: e.timestamp, u: e.user, fx: JSON.stringify(e.effects) };
}

export function fromLogItem(item: Record<string, unknown>): LogEntry {
  return { version: Number(item.v), timestamp: Number(item.ts), user: String(item.u), effects: JSON.parse(String(item.fx)) as Effects };
}

const utf8 = new TextEncoder();

/**
 * The size DynamoDB counts for a flat item of strings and numbers: each attribute's name plus its value (UTF-8
 * bytes of a string; about one byte per two significant digits of a number, plus one).
 * @example itemBytes({ pk: 'K#a', v: 12 }) // 2 + 3 + 1 + 2
 */
export function itemBytes(item: Item): number {
  let n = 0;
  for (const [name, value] of Object.entries(item)) {
    n += utf8.encode(name).length;
    if (typeof value === 'string') n += utf8.encode(value).length;
    else n += Math.ceil(String(Math.abs(value)).replace(/[.e+-]/g, '').replace(/^0+/, '').length / 2) + 1;
  }
  return n;
}

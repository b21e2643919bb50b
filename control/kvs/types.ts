// types.ts - the KVS's data: entries (what a key holds), transaction operations, the effects a commit logs, and the
// answers of lookups and watches. Invariants: pure data, JSON-serializable (raw bytes travel as base64); a version
// counts commits of one namespace from 1 (0: nothing committed yet).

/** What a key holds: a JSON value, raw bytes (base64), a directory, or a symbolic link (RFC 11's val/dir/symlink). */
export type Entry =
  | { type: 'json'; value: unknown }
  | { type: 'raw'; data: string }
  | { type: 'dir' }
  | { type: 'symlink'; target: string; namespace?: string };

/** An entry and the version of the commit that last wrote it. */
export interface Versioned {
  entry: Entry;
  version: number;
}

/** Data appended to a value: text to a string value, bytes to a raw value. */
export type Appended = { type: 'json'; value: string } | { type: 'raw'; data: string };

/** One operation of a transaction; a transaction applies all of its operations, in order, or none. */
export type Op =
  /** Store `entry` under `key`, replacing whatever was there (a directory included, with its contents). */
  | { op: 'put'; key: string; entry: Entry }
  /** Append to a string or raw value; creates the key when absent (an RFC 18 eventlog grows this way). */
  | { op: 'append'; key: string; data: Appended }
  /** Remove `key`; a directory needs `recursive`; an absent key is an error unless `force`. */
  | { op: 'unlink'; key: string; recursive?: boolean; force?: boolean }
  /** Make `key` a symbolic link to `target` (in `namespace`, default the same one); the target need not exist. */
  | { op: 'link'; key: string; target: string; namespace?: string }
  /** Make `key` an empty directory (replacing what was there, as Flux does). */
  | { op: 'mkdir'; key: string }
  /** Fail the transaction (409) unless `key` was last written by commit `version` (0: unless it does not exist). */
  | { op: 'check'; key: string; version: number };

/** How a commit changed one key. */
export type Change = { op: 'set'; entry: Entry } | { op: 'append'; data: Appended } | { op: 'unlink' };

/**
 * What a commit does, resolved against the namespace as it was just before it: the form the commit log stores.
 * Applied as: every key under (or equal to) a `trees` prefix that is not in `sets` is removed; then `sets` apply.
 */
export interface Effects {
  /** Subtrees removed (the key itself and everything below it). */
  trees: string[];
  /** The final change of each key the transaction wrote. */
  sets: Array<[key: string, change: Change]>;
}

/** One commit-log entry. */
export interface LogEntry {
  version: number;
  /** Seconds since the epoch. */
  timestamp: number;
  user: string;
  effects: Effects;
}

/** A change of one watched key, at the version of the commit that made it. */
export type KeyChange = { version: number } & Change;

/** Limits: DynamoDB items are at most 400 KB (key and attribute names included). */
export const KVS_LIMITS = {
  /** Bytes of one DynamoDB item. */
  itemBytes: 400 * 1024,
  /** UTF-8 bytes of a key (the sort key holds it, and sort keys are at most 1024 bytes). */
  keyBytes: 900,
  /** Components of a key. */
  keyDepth: 64,
  /** Symbolic links followed by one lookup, as Flux's limit. */
  symlinkHops: 10,
  /** Operations of one transaction. */
  ops: 1000,
} as const;

/** A KVS namespace as listed. */
export interface KvsNamespace {
  name: string;
  owner: string;
  /** Seconds since the epoch; absent for `primary`, which always exists. */
  created?: number;
}

/** One entry of a directory listing. */
export interface KvsDirEntry {
  /** Full dotted key. */
  key: string;
  entry: Entry;
  /** Version of the commit that last wrote it. */
  modified: number;
}

/** The answer of a lookup, consistent at `version`. */
export interface KvsLookupResult {
  /** Where the key was found (a symbolic link may lead to another namespace). */
  namespace: string;
  /** The key as found, after following links. */
  key: string;
  /** The namespace version the answer is consistent at. */
  version: number;
  /** Version of the commit that last wrote the key (0 for the root directory). */
  modified: number;
  entry: Entry;
  /** With `readdir`: the directory's entries (all descendants when `recursive`), in key order. */
  entries?: KvsDirEntry[];
}

export interface KvsLookupOptions {
  /** Expect a directory and list it (an error for anything else). */
  readdir?: boolean;
  /** With `readdir`: every descendant, not only the children. */
  recursive?: boolean;
  /** With `readdir`: include values (default true). */
  values?: boolean;
  /** Return a symbolic link itself, not what it points to (an error for anything else). */
  readlink?: boolean;
}

/** The answer of a watch: the key's changes in commits after `after`, up to and including `version`. */
export interface KvsWatchPage {
  changes: KeyChange[];
  /** Pass as `after` next time. */
  version: number;
}

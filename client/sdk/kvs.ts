// kvs.ts - KvsClient: the SDK's client of the KVS routes (/v1/kvs): namespaces, lookups, transactions, version,
// wait, watches and RFC 18 eventlogs. Invariants: fetch only (no node:* imports); raw bytes are base64 strings;
// only reads are retried (a commit is not idempotent); a watch never skips a change (it resumes from `version`).
import { EventlogReader, formatEvent, type KvsEvent } from '../../control/kvs/eventlog.ts';
import { errorFromResponse, FlurryApiError } from './errors.ts';
import { abortableSleep, baseUri, type FetchInit, type FetchLike } from './transport.ts';

/** What a key holds. */
export type KvsEntry =
  | { type: 'json'; value?: unknown }
  | { type: 'raw'; data?: string }
  | { type: 'dir' }
  | { type: 'symlink'; target: string; namespace?: string };

export interface KvsDirEntry {
  key: string;
  modified: number;
  entry: KvsEntry;
}

export interface KvsLookup {
  namespace: string;
  key: string;
  version: number;
  modified: number;
  entry: KvsEntry;
  entries?: KvsDirEntry[];
}

/** One operation of a transaction (see POST /v1/kvs/namespaces/{ns}/commit). */
export type KvsOp =
  | { op: 'put'; key: string; value?: unknown; data?: string }
  | { op: 'append'; key: string; value?: string; data?: string }
  | { op: 'unlink'; key: string; recursive?: boolean; force?: boolean }
  | { op: 'link'; key: string; target: string; namespace?: string }
  | { op: 'mkdir'; key: string }
  | { op: 'check'; key: string; version: number };

export type KvsChange =
  | { version: number; op: 'set'; entry: KvsEntry }
  | { version: number; op: 'append'; data: KvsEntry }
  | { version: number; op: 'unlink' };

export interface KvsNamespaceInfo {
  name: string;
  owner: string;
  created?: number;
}

export interface KvsClientOptions {
  uri: string;
  token: string;
  fetch?: FetchLike;
}

export interface KvsWaitOptions {
  /** Seconds the server may hold each request (it clamps to its maximum). Default 30. */
  wait?: number;
  signal?: AbortSignal;
}

export type { KvsEvent };

const RETRIES = 3;

/**
 * A client of one instance's KVS.
 * @example const kvs = new KvsClient({ uri, token }); await kvs.commit('primary', [{ op: 'put', key: 'a.b', value: 1 }])
 */
export class KvsClient {
  readonly base: string;
  readonly #token: string;
  readonly #fetch: FetchLike;

  constructor(o: KvsClientOptions) {
    this.base = baseUri(o.uri);
    this.#token = o.token;
    this.#fetch = o.fetch ?? ((url, init) => globalThis.fetch(url, init));
  }

  async namespaces(): Promise<KvsNamespaceInfo[]> {
    return (await this.#call<{ namespaces: KvsNamespaceInfo[] }>('GET', '/v1/kvs/namespaces')).namespaces;
  }

  createNamespace(name: string, owner?: string): Promise<KvsNamespaceInfo> {
    return this.#call('POST', '/v1/kvs/namespaces', undefined, owner === undefined ? { name } : { name, owner });
  }

  async removeNamespace(name: string): Promise<void> {
    await this.#call('DELETE', this.#ns(name));
  }

  async version(ns: string): Promise<number> {
    return (await this.#call<{ version: number }>('GET', `${this.#ns(ns)}/version`)).version;
  }

  /** Waits (one long poll) for the namespace to reach `version`; `reached` false when the wait ran out first. */
  waitVersion(ns: string, version: number, o: KvsWaitOptions = {}): Promise<{ version: number; reached: boolean }> {
    return this.#call('GET', `${this.#ns(ns)}/wait`, { version, wait: o.wait ?? 30 }, undefined, o.signal);
  }

  lookup(ns: string, key: string, o: { readdir?: boolean; recursive?: boolean; readlink?: boolean; values?: boolean; signal?: AbortSignal } = {}): Promise<KvsLookup> {
    const q = { key, readdir: flag(o.readdir), recursive: flag(o.recursive), readlink: flag(o.readlink), values: o.values === false ? 'false' : undefined };
    return this.#call('GET', `${this.#ns(ns)}/lookup`, q, undefined, o.signal);
  }

  /** Applies all of `ops`, in order, as one new version of the namespace, or none of them. */
  commit(ns: string, ops: KvsOp[]): Promise<{ namespace: string; version: number }> {
    return this.#call('POST', `${this.#ns(ns)}/commit`, undefined, { ops });
  }

  /** One long poll for changes of `key` after version `after`; pass the answer's `version` as the next `after`. */
  watch(ns: string, key: string, after: number, o: KvsWaitOptions = {}): Promise<{ changes: KvsChange[]; version: number }> {
    return this.#call('GET', `${this.#ns(ns)}/watch`, { key, after, wait: o.wait ?? 30 }, undefined, o.signal);
  }

  /** Every change of `key` after `after`, in commit order, for as long as the caller iterates (or `signal`). */
  async *changes(ns: string, key: string, after: number, o: KvsWaitOptions = {}): AsyncGenerator<KvsChange> {
    let from = after;
    while (!o.signal?.aborted) {
      const page = await this.watch(ns, key, from, o);
      for (const c of page.changes) yield c;
      from = page.version;
    }
  }

  /** Appends one RFC 18 event to the eventlog at `key` (creating it); the commit's version. */
  async eventlogAppend(ns: string, key: string, event: { name: string; context?: Record<string, unknown>; timestamp?: number }): Promise<number> {
    const line = formatEvent({ timestamp: event.timestamp ?? Date.now() / 1000, name: event.name, ...(event.context ? { context: event.context } : {}) });
    return (await this.commit(ns, [{ op: 'append', key, value: line }])).version;
  }

  /** The events of the eventlog at `key`, and the version they are consistent at. */
  async eventlog(ns: string, key: string, signal?: AbortSignal): Promise<{ events: KvsEvent[]; version: number; reader: EventlogReader }> {
    const r = await this.lookup(ns, key, { signal });
    const reader = new EventlogReader();
    return { events: reader.feed(entryText(r.entry)), version: r.version, reader };
  }

  #ns(name: string): string {
    return `/v1/kvs/namespaces/${encodeURIComponent(name)}`;
  }

  async #call<T>(method: string, path: string, query?: Record<string, string | number | undefined>, body?: unknown, signal?: AbortSignal): Promise<T> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) qs.set(k, String(v));
    const url = `${this.base}${path}${qs.toString() ? `?${qs}` : ''}`;
    const init: FetchInit = { method, headers: { authorization: `Bearer ${this.#token}`, accept: 'application/json' } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers['content-type'] = 'application/json';
    }
    if (signal) init.signal = signal;
    const attempts = method === 'GET' ? RETRIES + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      let status = 0;
      let text = '';
      let statusText = '';
      try {
        const res = await this.#fetch(url, init);
        status = res.status;
        statusText = res.statusText;
        text = await res.text();
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        if (attempt >= attempts) throw new FlurryApiError(0, 'unreachable', `cannot reach Flurry at ${this.base}: ${(err as Error).message}`, undefined, { cause: err });
      }
      if (status >= 200 && status < 300) return JSON.parse(text) as T;
      if (attempt >= attempts || (status !== 0 && status !== 502 && status !== 503 && status !== 504)) throw errorFromResponse(status, text, statusText);
      await abortableSleep(100 * 2 ** attempt, signal);
    }
  }
}

/**
 * The text of a string or raw value (UTF-8), as `flurry kvs get` prints it; other JSON values as JSON.
 * @example entryText({ type: 'json', value: 'hi' }) // 'hi'; entryText({ type: 'json', value: [1] }) // '[1]'
 */
export function entryText(e: KvsEntry): string {
  if (e.type === 'raw') return new TextDecoder().decode(base64Bytes(e.data ?? ''));
  if (e.type === 'json') return typeof e.value === 'string' ? e.value : JSON.stringify(e.value ?? null);
  return '';
}

/** Bytes of a base64 string. */
export function base64Bytes(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function flag(b: boolean | undefined): string | undefined {
  return b ? 'true' : undefined;
}

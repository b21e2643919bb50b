// protocol.ts - the messages of the push-subscription link (docs/rest-api.md, "Push subscriptions"): what a client
// may send, checked here with one clear error each, what the server pushes, the limits and the close codes.
// Invariants: pure (no I/O); a parsed message is fully validated (ids decoded, sizes bounded); nothing pushed holds
// a bigint (job ids travel as f58 strings).
import { decodeFluid, encodeFluid } from '../core/fluid.ts';

/** Per-connection bounds; the link may lower or raise them (tests do). */
export interface WatchLimits {
  /** Largest client message, in bytes. */
  maxMessageBytes: number;
  /** Subscriptions open at once on one connection. */
  maxSubscriptions: number;
  /** Jobs followed at once on one connection, over all its subscriptions. */
  maxJobs: number;
  /** KVS keys watched by one subscription. */
  maxKvs: number;
  /** Bytes the socket may hold unsent before the connection is closed (the client is not reading). */
  maxBufferedBytes: number;
  /** Reads (eventlog, output, KVS log) in flight at once for one connection. */
  maxReads: number;
  /** Time allowed for the `auth` message when the upgrade carried no token. */
  authTimeoutMs: number;
}

export const DEFAULT_WATCH_LIMITS: WatchLimits = {
  maxMessageBytes: 64 * 1024,
  maxSubscriptions: 16,
  maxJobs: 1000,
  maxKvs: 16,
  maxBufferedBytes: 8 * 1024 * 1024,
  maxReads: 8,
  authTimeoutMs: 10_000,
};

/** WebSocket close codes the link uses (4000–4999 are the application's). */
export const CLOSE_CODES = {
  /** The server is stopping (RFC 6455 "going away"). */
  goingAway: 1001,
  /** The server has too many watch connections; try again later (RFC 6455). */
  tryAgainLater: 1013,
  internal: 1011,
  /** A message that is not valid JSON or not a known message. */
  badMessage: 4400,
  /** A missing, late or unknown token. */
  unauthorized: 4401,
  /** The client did not read its pushes: the server's send buffer passed maxBufferedBytes. */
  backpressure: 4429,
} as const;

/** A subscription's id, chosen by the client and echoed in every push for it. */
export type SubscriptionId = string | number;

/** A job to follow, with where to resume (the `index` after the last event seen, the last output `cursor`). */
export interface JobTarget {
  id: bigint;
  from?: number;
  cursor?: string;
}

/** A KVS key to watch, after version `after` (default: the namespace's version when the subscription starts). */
export interface KvsTarget {
  namespace: string;
  key: string;
  after?: number;
}

export type ClientMessage =
  | { type: 'auth'; token: string }
  | { type: 'subscribe'; id: SubscriptionId; jobs: JobTarget[] | 'all-mine' | undefined; events: boolean; output: boolean; kvs: KvsTarget[] }
  | { type: 'unsubscribe'; id: SubscriptionId };

/** What the server pushes (each `id` is the subscription's). */
export type ServerMessage =
  | { type: 'ready'; user: string; role: string }
  | { type: 'subscribed'; id: SubscriptionId }
  | { type: 'event'; id: SubscriptionId; jobid: string; index: number; event: unknown }
  | { type: 'output'; id: SubscriptionId; jobid: string; entries: unknown[]; cursor: string; truncated?: true }
  | { type: 'kvs'; id: SubscriptionId; namespace: string; key: string; version: number; change: unknown }
  | { type: 'done'; id: SubscriptionId; jobid: string }
  | { type: 'complete'; id: SubscriptionId }
  | { type: 'unsubscribed'; id: SubscriptionId }
  | { type: 'error'; id?: SubscriptionId; jobid?: string; namespace?: string; key?: string; code: string; message: string };

/** A client message that cannot be accepted; `id` when the message named its subscription. */
export class ProtocolError extends Error {
  constructor(message: string, readonly id?: SubscriptionId) {
    super(message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function subscriptionId(v: unknown): SubscriptionId {
  if ((typeof v === 'string' && v.length >= 1 && v.length <= 64) || (typeof v === 'number' && Number.isSafeInteger(v))) return v;
  throw new ProtocolError('id: must be a string of 1–64 characters or an integer');
}

function only(o: Record<string, unknown>, allowed: readonly string[], where: string, id?: SubscriptionId): void {
  const extra = Object.keys(o).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw new ProtocolError(`${where}: unknown field "${extra}"`, id);
}

function jobTarget(v: unknown, i: number, id: SubscriptionId): JobTarget {
  const where = `jobs[${i}]`;
  const decode = (text: unknown): bigint => {
    if (typeof text !== 'string' || text.length > 128) throw new ProtocolError(`${where}: must be a job id string`, id);
    try {
      return decodeFluid(text);
    } catch {
      throw new ProtocolError(`${where}: not a job id: "${text}"`, id);
    }
  };
  if (!isObject(v)) return { id: decode(v) };
  only(v, ['id', 'from', 'cursor'], where, id);
  const t: JobTarget = { id: decode(v.id) };
  if (v.from !== undefined) {
    if (typeof v.from !== 'number' || !Number.isSafeInteger(v.from) || v.from < 0) throw new ProtocolError(`${where}.from: must be an integer ≥ 0`, id);
    t.from = v.from;
  }
  if (v.cursor !== undefined) {
    if (typeof v.cursor !== 'string' || v.cursor.length > 4096) throw new ProtocolError(`${where}.cursor: must be a cursor string`, id);
    t.cursor = v.cursor;
  }
  return t;
}

function kvsTarget(v: unknown, i: number, id: SubscriptionId): KvsTarget {
  const where = `kvs[${i}]`;
  if (!isObject(v)) throw new ProtocolError(`${where}: must be {namespace, key}`, id);
  only(v, ['namespace', 'key', 'after'], where, id);
  if (typeof v.namespace !== 'string' || v.namespace === '' || v.namespace.length > 256) throw new ProtocolError(`${where}.namespace: must be a namespace name`, id);
  if (typeof v.key !== 'string' || v.key === '' || v.key.length > 1024) throw new ProtocolError(`${where}.key: must be a key`, id);
  const t: KvsTarget = { namespace: v.namespace, key: v.key };
  if (v.after !== undefined) {
    if (typeof v.after !== 'number' || !Number.isSafeInteger(v.after) || v.after < 0) throw new ProtocolError(`${where}.after: must be a version ≥ 0`, id);
    t.after = v.after;
  }
  return t;
}

/**
 * Parse and check one client message (a text frame).
 * @example parseClientMessage('{"type":"subscribe","id":1,"jobs":["ƒ2MU1GM7V"],"output":true}', limits)
 */
export function parseClientMessage(text: string, limits: Pick<WatchLimits, 'maxJobs' | 'maxKvs'>): ClientMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    throw new ProtocolError('a message must be a JSON object');
  }
  if (!isObject(msg)) throw new ProtocolError('a message must be a JSON object');
  switch (msg.type) {
    case 'auth':
      only(msg, ['type', 'token'], 'auth');
      if (typeof msg.token !== 'string' || msg.token === '' || msg.token.length > 1024) throw new ProtocolError('auth: token must be a string');
      return { type: 'auth', token: msg.token };
    case 'unsubscribe':
      only(msg, ['type', 'id'], 'unsubscribe');
      return { type: 'unsubscribe', id: subscriptionId(msg.id) };
    case 'subscribe': {
      const id = subscriptionId(msg.id);
      only(msg, ['type', 'id', 'jobs', 'events', 'output', 'kvs'], 'subscribe', id);
      let jobs: JobTarget[] | 'all-mine' | undefined;
      if (msg.jobs === 'all-mine') jobs = 'all-mine';
      else if (Array.isArray(msg.jobs)) {
        if (msg.jobs.length > limits.maxJobs) throw new ProtocolError(`jobs: at most ${limits.maxJobs} jobs per connection`, id);
        jobs = msg.jobs.map((j, i) => jobTarget(j, i, id));
      } else if (msg.jobs !== undefined) throw new ProtocolError('jobs: must be a list of job ids or "all-mine"', id);
      for (const f of ['events', 'output'] as const) {
        if (msg[f] !== undefined && typeof msg[f] !== 'boolean') throw new ProtocolError(`${f}: must be true or false`, id);
      }
      let kvs: KvsTarget[] = [];
      if (msg.kvs !== undefined) {
        if (!Array.isArray(msg.kvs)) throw new ProtocolError('kvs: must be a list of {namespace, key}', id);
        if (msg.kvs.length > limits.maxKvs) throw new ProtocolError(`kvs: at most ${limits.maxKvs} keys per subscription`, id);
        kvs = msg.kvs.map((k, i) => kvsTarget(k, i, id));
      }
      if (jobs === undefined && kvs.length === 0) throw new ProtocolError('subscribe: name jobs, kvs keys, or both', id);
      // Neither stream named: both (a job followed for nothing would only report `done`).
      const none = msg.events === undefined && msg.output === undefined;
      return { type: 'subscribe', id, jobs, events: none || msg.events === true, output: none || msg.output === true, kvs };
    }
    default:
      throw new ProtocolError(`unknown message type ${JSON.stringify(msg.type) ?? 'undefined'} (expected auth, subscribe or unsubscribe)`);
  }
}

/** A job id as pushes carry it. */
export const f58 = (id: bigint): string => encodeFluid(id, 'f58');

/**
 * A value with every bigint turned into a string (job ids into f58), so it can be sent as JSON.
 * @example jsonSafe({ dependency: 7n }) // { dependency: 'ƒ8' }
 */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return value >= 0n && value < 1n << 64n ? f58(value) : value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)]));
  return value;
}

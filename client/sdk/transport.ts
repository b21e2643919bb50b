// transport.ts - one HTTP call to the Flurry API over `fetch`: the bearer token, JSON in and out, errors as
// FlurryApiError, and retries with backoff for calls that are safe to repeat. Invariants: runs on any JS runtime
// (fetch only, no node:* imports); only calls marked `retry` are repeated, on network errors, 429 and 5xx; a
// request only sends query and body fields its route declares (contract.ts), so the contract test covers them.
import type { Route } from './contract.ts';
import { errorFromResponse, FlurryApiError } from './errors.ts';

/** What the SDK needs of a request: the global `fetch` fits, and so does a small shim over another HTTP stack. */
export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** What the SDK reads of an answer (a subset of the Fetch API's Response). */
export interface FetchResponse {
  status: number;
  ok: boolean;
  statusText: string;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponse>;

export interface TransportOptions {
  /** Base URI of the instance, e.g. `http://127.0.0.1:8080` (a trailing `/v1` is accepted). */
  uri: string;
  token: string;
  /** Default: the global fetch. */
  fetch?: FetchLike;
  /** Attempts after the first for retryable calls (default 4). */
  retries?: number;
  /** First backoff delay in ms (default 100); doubles per attempt, with jitter, up to maxBackoffMs (default 2000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Waits between attempts; tests pass one that does not sleep. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface CallOptions {
  /** Values for `{name}` placeholders in the route's path. */
  params?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  body?: Record<string, unknown>;
  /** Repeat on network errors, 429 and 5xx (GETs, and submissions carrying a client token). */
  retry?: boolean;
  signal?: AbortSignal;
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);

/**
 * Normalize an instance URI to the base the `/v1/...` paths are appended to.
 * @example baseUri('http://h:8080/v1/') // 'http://h:8080'
 */
export function baseUri(uri: string): string {
  let u = uri.trim();
  if (!/^https?:\/\//i.test(u)) throw new TypeError(`not an http(s) URI: "${uri}"`);
  u = u.replace(/\/+$/, '');
  if (u.endsWith('/v1')) u = u.slice(0, -3);
  return u;
}

/** A sleep that ends early (rejecting) when `signal` aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Sends the SDK's requests; one per client. */
export class Transport {
  readonly base: string;
  readonly #token: string;
  readonly #fetch: FetchLike;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(o: TransportOptions) {
    this.base = baseUri(o.uri);
    this.#token = o.token;
    this.#fetch = o.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.#retries = o.retries ?? 4;
    this.#backoffMs = o.backoffMs ?? 100;
    this.#maxBackoffMs = o.maxBackoffMs ?? 2000;
    this.#sleep = o.sleep ?? abortableSleep;
  }

  /**
   * Call `route` and return its JSON answer.
   * @example await transport.call<JobInfo>(ROUTES.job, { params: { id: 'ƒ2MU1GM7V' }, retry: true })
   */
  async call<T>(route: Route, opts: CallOptions = {}): Promise<T> {
    const url = this.#url(route, opts);
    const init: FetchInit = { method: route.method, headers: { authorization: `Bearer ${this.#token}`, accept: 'application/json' } };
    if (opts.body !== undefined) {
      for (const k of Object.keys(opts.body)) if (!route.body?.includes(k)) throw new TypeError(`${route.method} ${route.path}: undeclared body field "${k}"`);
      init.body = JSON.stringify(opts.body);
      init.headers['content-type'] = 'application/json';
    }
    if (opts.signal) init.signal = opts.signal;
    const attempts = opts.retry ? this.#retries + 1 : 1;
    for (let attempt = 1; ; attempt++) {
      let res: FetchResponse;
      try {
        res = await this.#fetch(url, init);
      } catch (err) {
        if (opts.signal?.aborted) throw opts.signal.reason;
        if (attempt < attempts) {
          await this.#sleep(this.#delay(attempt), opts.signal);
          continue;
        }
        const why = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
        throw new FlurryApiError(0, 'unreachable', `cannot reach Flurry at ${this.base}: ${why}`, undefined, { cause: err });
      }
      const text = await res.text().catch(() => {
        if (opts.signal?.aborted) throw opts.signal.reason;
        return '';
      });
      if (res.status === route.status || (res.ok && res.status < 300)) {
        try {
          return JSON.parse(text) as T;
        } catch {
          throw new FlurryApiError(res.status, 'internal', `${route.method} ${route.path}: the answer is not JSON`);
        }
      }
      if (attempt < attempts && RETRY_STATUS.has(res.status)) {
        await this.#sleep(this.#delay(attempt, res.headers.get('retry-after')), opts.signal);
        continue;
      }
      throw errorFromResponse(res.status, text, res.statusText);
    }
  }

  #url(route: Route, opts: CallOptions): string {
    const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const v = opts.params?.[name];
      if (v === undefined || v === '') throw new TypeError(`${route.path}: missing "${name}"`);
      return encodeURIComponent(v);
    });
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (!route.query?.includes(k)) throw new TypeError(`${route.method} ${route.path}: undeclared query parameter "${k}"`);
      if (v !== undefined) q.set(k, String(v));
    }
    const qs = q.toString();
    return `${this.base}${path}${qs ? `?${qs}` : ''}`;
  }

  /** Exponential backoff with jitter; a server's Retry-After (seconds) wins, capped at 10 s. */
  #delay(attempt: number, retryAfter?: string | null): number {
    const after = retryAfter ? Number(retryAfter) : NaN;
    if (Number.isFinite(after) && after >= 0) return Math.min(after * 1000, 10_000);
    const max = Math.min(this.#maxBackoffMs, this.#backoffMs * 2 ** (attempt - 1));
    return max / 2 + Math.random() * (max / 2);
  }
}

// index.ts - the Flurry TypeScript SDK: a fetch-based client of the REST API (and its KVS), push subscriptions, and a
// jobspec builder.
// Invariant: importable from any JS runtime (Node ≥ 20, Deno, browsers, notebook kernels): nothing here or below
// imports node:* modules.
export { FlurryClient, type FlurryClientOptions, type JobInput, type SubmitOptions, type CcSubmitOptions, type JobQuery } from './client.ts';
export { FlurryApiError, isFlurryApiError } from './errors.ts';
export { jobspec, isJobRequest, type JobspecOptions, type JobRequest, type JobspecV1 } from './jobspec.ts';
export type { FetchLike, FetchInit, FetchResponse } from './transport.ts';
export { DEFAULT_WAIT_SECONDS, type EventsOptions, type OutputOptions } from './follow.ts';
export { KvsClient, entryText, type KvsClientOptions, type KvsEntry, type KvsDirEntry, type KvsLookup, type KvsOp, type KvsChange, type KvsNamespaceInfo, type KvsWaitOptions, type KvsEvent } from './kvs.ts';
export type { SubscribeSpec, WatchPush, JobTargetSpec, KvsChangeBody, WebSocketLike, WebSocketConstructor } from './subscribe.ts';
export type * from './types.ts';

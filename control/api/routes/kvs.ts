// kvs.ts - the /v1/kvs routes: namespaces, lookups, transactions (commit), version, wait and watch (long polling),
// with their schemas. Invariants: thin maps onto KvsService (access and Flux's semantics live there); raw bytes
// travel as base64; field paths in errors are the request's (`body.ops[2].key`, `query.key`, `path.ns`).
import { createRoute, z } from '@hono/zod-openapi';
import { FlurryError, InvalidInputError } from '../../core/errors.ts';
import type { Entry, KvsDirEntry, Op } from '../../kvs/types.ts';
import type { KvsService } from '../../services.ts';
import { BEARER, errorResponses, jsonResponse, queryInt } from '../schemas.ts';
import { subApp, waitMs, type RouteKit } from './kit.ts';

// ---- KVS schemas -------------------------------------------------------------------------------------------------

const Base64 = z.string().regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be base64');
const Key = z.string().max(2048).openapi({ description: 'Dotted key (Flux style); "." is the root directory', example: 'a.b.c' });
const NsName = z.string().min(1).max(160).openapi({ description: 'Namespace: primary, job-<jobid>, or a created one', example: 'primary' });

const EntrySchema = z
  .object({
    type: z.enum(['json', 'raw', 'dir', 'symlink']),
    value: z.unknown().optional().openapi({ description: 'type json: the value' }),
    data: z.string().optional().openapi({ description: 'type raw: the bytes, base64' }),
    target: z.string().optional().openapi({ description: 'type symlink: the key it points to' }),
    namespace: z.string().optional().openapi({ description: 'type symlink: the namespace it points into, when not its own' }),
  })
  .openapi('KvsEntry', { description: 'What a key holds (RFC 11 val, dir or symlink)' });

const DirEntrySchema = z.object({ key: z.string(), modified: z.int(), entry: EntrySchema }).openapi('KvsDirEntry');

const LookupAnswer = z
  .object({
    namespace: z.string().openapi({ description: 'Where the key was found (links may lead elsewhere)' }),
    key: z.string().openapi({ description: 'The key as found, after links' }),
    version: z.int().openapi({ description: 'The namespace version this answer is consistent at' }),
    modified: z.int().openapi({ description: 'Version of the commit that last wrote the key (for `check`)' }),
    entry: EntrySchema,
    entries: z.array(DirEntrySchema).optional().openapi({ description: 'With readdir: the entries, in key order' }),
  })
  .openapi('KvsLookup');

const put = z.strictObject({ op: z.literal('put'), key: Key, value: z.unknown().optional(), data: Base64.optional() });
const append = z.strictObject({ op: z.literal('append'), key: Key, value: z.string().optional(), data: Base64.optional() });
const OpSchema = z
  .discriminatedUnion('op', [
    put.openapi({ description: 'Store `value` (JSON) or `data` (raw bytes, base64) under key, replacing what is there' }),
    append.openapi({ description: 'Append `value` (text) or `data` (bytes) to a string or raw value; creates the key' }),
    z.strictObject({ op: z.literal('unlink'), key: Key, recursive: z.boolean().optional(), force: z.boolean().optional() }),
    z.strictObject({ op: z.literal('link'), key: Key, target: Key, namespace: NsName.optional() }),
    z.strictObject({ op: z.literal('mkdir'), key: Key }),
    z.strictObject({ op: z.literal('check'), key: Key, version: z.int().min(0).openapi({ description: "The key's `modified`; 0: it must not exist" }) }),
  ])
  .superRefine((o, ctx) => {
    if ((o.op === 'put' || o.op === 'append') && (o.value === undefined) === (o.data === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'must hold exactly one of value or data' });
    }
  })
  .openapi('KvsOp');

const CommitRequest = z.strictObject({ ops: z.array(OpSchema).min(1).max(1000) }).openapi('KvsCommitRequest');
const VersionAnswer = z.object({ namespace: z.string(), version: z.int() }).openapi('KvsVersion');
const WaitAnswer = VersionAnswer.extend({ reached: z.boolean() }).openapi('KvsWait');
const ChangeSchema = z
  .object({
    version: z.int(),
    op: z.enum(['set', 'append', 'unlink']),
    entry: EntrySchema.optional().openapi({ description: 'op set: the new entry' }),
    data: EntrySchema.optional().openapi({ description: 'op append: what was appended (type json: text; raw: bytes)' }),
  })
  .openapi('KvsChange');
const WatchAnswer = z
  .object({ changes: z.array(ChangeSchema), version: z.int().openapi({ description: 'Pass as `after` next time' }) })
  .openapi('KvsWatchPage');
const NamespaceSchema = z.object({ name: z.string(), owner: z.string(), created: z.number().optional() }).openapi('KvsNamespace');
const CreateNamespace = z.strictObject({ name: NsName, owner: z.string().min(1).max(256).optional() }).openapi('KvsNamespaceCreate');

const Flag = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => v === 'true' || v === '1');
const Wait = z.coerce.number().optional().openapi({ description: 'Seconds to wait when there is nothing yet (clamped to 0–60)' });
const NsParams = z.object({ ns: NsName.openapi({ param: { name: 'ns', in: 'path' } }) });

// ---- routes ------------------------------------------------------------------------------------------------------

/**
 * The /kvs routes, relative to /v1.
 * @example app.route('/v1', kvsRoutes(kit))
 */
export function kvsRoutes(kit: RouteKit) {
  const { auth, body } = kit;
  const kvs = (): KvsService => {
    if (!kit.services.kvs) throw new FlurryError('unavailable', 'this instance has no KVS');
    return kit.services.kvs;
  };
  const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } }, required: true });
  const ns = '/kvs/namespaces/{ns}';
  const route = <M extends 'get' | 'post' | 'delete', P extends string>(method: M, path: P, summary: string) => ({
    method, path, tags: ['kvs'], summary, security: BEARER,
  });

  return subApp()
    .openapi(
      createRoute({
        ...route('get', '/kvs/namespaces', 'List KVS namespaces (all for the instance owner, else your own)'), middleware: [auth] as const,
        responses: { 200: jsonResponse('The namespaces', z.object({ namespaces: z.array(NamespaceSchema) })), ...errorResponses(401, 503) },
      }),
      async (c) => c.json({ namespaces: await kvs().listNamespaces(c.get('caller')) }, 200),
    )
    .openapi(
      createRoute({
        ...route('post', '/kvs/namespaces', 'Create a namespace (instance owner; or job-<id> of your job)'), middleware: [auth, body] as const,
        request: { body: json(CreateNamespace) },
        responses: { 201: jsonResponse('Created', NamespaceSchema), ...errorResponses(400, 401, 403, 404, 409, 413, 415, 503) },
      }),
      async (c) => {
        const { name, owner } = c.req.valid('json');
        return c.json(await kvs().createNamespace(c.get('caller'), name, owner).catch(at({ name: 'body.name', owner: 'body.owner' })), 201);
      },
    )
    .openapi(
      createRoute({
        ...route('delete', ns, 'Remove a namespace and everything in it'), middleware: [auth] as const, request: { params: NsParams },
        responses: { 200: jsonResponse('Removed', z.object({ name: z.string() })), ...errorResponses(400, 401, 403, 404, 503) },
      }),
      async (c) => {
        const name = c.req.valid('param').ns;
        await kvs().removeNamespace(c.get('caller'), name).catch(at({ name: 'path.ns' }));
        return c.json({ name }, 200);
      },
    )
    .openapi(
      createRoute({
        ...route('get', `${ns}/version`, "The namespace's version (its number of commits)"), middleware: [auth] as const, request: { params: NsParams },
        responses: { 200: jsonResponse('The version', VersionAnswer), ...errorResponses(400, 401, 403, 404, 503) },
      }),
      async (c) => {
        const name = c.req.valid('param').ns;
        return c.json({ namespace: name, version: await kvs().version(c.get('caller'), name).catch(at({ namespace: 'path.ns' })) }, 200);
      },
    )
    .openapi(
      createRoute({
        ...route('get', `${ns}/wait`, 'Wait until the namespace reaches a version (long polling)'), middleware: [auth] as const,
        request: { params: NsParams, query: z.object({ version: queryInt().min(0), wait: Wait }) },
        responses: { 200: jsonResponse('The version now; `reached` tells whether it is at least the one asked for', WaitAnswer), ...errorResponses(400, 401, 403, 404, 503) },
      }),
      async (c) => {
        const name = c.req.valid('param').ns;
        const q = c.req.valid('query');
        const v = await kvs().waitVersion(c.get('caller'), name, q.version, waitMs(q.wait, kit.maxWaitSeconds), c.req.raw.signal).catch(at({ namespace: 'path.ns' }));
        return c.json({ namespace: name, version: v, reached: v >= q.version }, 200);
      },
    )
    .openapi(
      createRoute({
        ...route('get', `${ns}/lookup`, 'Look a key up: a value, a link (readlink) or a directory listing (readdir)'), middleware: [auth] as const,
        request: {
          params: NsParams,
          query: z.object({
            key: Key,
            readdir: Flag.openapi({ description: 'List a directory (an error for anything else)' }),
            recursive: Flag.openapi({ description: 'With readdir: every descendant' }),
            values: z.enum(['true', 'false', '1', '0']).optional().openapi({ description: 'With readdir: include values (default true)' }),
            readlink: Flag.openapi({ description: 'Return a link itself, not what it points to' }),
          }),
        },
        responses: { 200: jsonResponse('The entry, consistent at `version`', LookupAnswer), ...errorResponses(400, 401, 403, 404, 503) },
      }),
      async (c) => {
        const q = c.req.valid('query');
        const r = await kvs()
          .lookup(c.get('caller'), c.req.valid('param').ns, q.key, { readdir: q.readdir, recursive: q.recursive, readlink: q.readlink })
          .catch(at({ key: 'query.key', namespace: 'path.ns' }));
        const values = q.values !== 'false' && q.values !== '0';
        const out: z.infer<typeof LookupAnswer> = { namespace: r.namespace, key: r.key, version: r.version, modified: r.modified, entry: entryJson(r.entry) };
        if (r.entries) out.entries = r.entries.map((e: KvsDirEntry) => ({ key: e.key, modified: e.modified, entry: entryJson(e.entry, values) }));
        return c.json(out, 200);
      },
    )
    .openapi(
      createRoute({
        ...route('post', `${ns}/commit`, 'Commit a transaction: all of its operations, in order, or none'), middleware: [auth, body] as const,
        request: { params: NsParams, body: json(CommitRequest) },
        responses: {
          200: jsonResponse('Committed as `version`', VersionAnswer),
          ...errorResponses(400, 401, 403, 404, 409, 413, 415, 503),
        },
      }),
      async (c) => {
        const name = c.req.valid('param').ns;
        const ops = c.req.valid('json').ops.map(toOp);
        const { version } = await kvs().commit(c.get('caller'), name, ops).catch(at({ namespace: 'path.ns' }, 'body.'));
        return c.json({ namespace: name, version }, 200);
      },
    )
    .openapi(
      createRoute({
        ...route('get', `${ns}/watch`, "A key's changes in commits after a version (long polling)"), middleware: [auth] as const,
        request: { params: NsParams, query: z.object({ key: Key, after: queryInt().min(0), wait: Wait }) },
        responses: { 200: jsonResponse('The changes, in commit order', WatchAnswer), ...errorResponses(400, 401, 403, 404, 503) },
      }),
      async (c) => {
        const q = c.req.valid('query');
        const page = await kvs()
          .watch(c.get('caller'), c.req.valid('param').ns, q.key, q.after, waitMs(q.wait, kit.maxWaitSeconds), c.req.raw.signal)
          .catch(at({ key: 'query.key', namespace: 'path.ns' }));
        const changes = page.changes.map((ch) =>
          ch.op === 'set' ? { version: ch.version, op: ch.op, entry: entryJson(ch.entry) }
          : ch.op === 'append' ? { version: ch.version, op: ch.op, data: entryJson(ch.data) }
          : { version: ch.version, op: ch.op },
        );
        return c.json({ changes, version: page.version }, 200);
      },
    );
}

/** The JSON form of an entry; `values: false` leaves the value out (listings without values). */
function entryJson(e: Entry, values = true): z.infer<typeof EntrySchema> {
  switch (e.type) {
    case 'json':
      return values ? { type: 'json', value: e.value } : { type: 'json' };
    case 'raw':
      return values ? { type: 'raw', data: e.data } : { type: 'raw' };
    case 'dir':
      return { type: 'dir' };
    case 'symlink':
      return e.namespace === undefined ? { type: 'symlink', target: e.target } : { type: 'symlink', target: e.target, namespace: e.namespace };
  }
}

/** A validated operation as the service takes it. */
function toOp(o: z.infer<typeof OpSchema>): Op {
  switch (o.op) {
    case 'put':
      return { op: 'put', key: o.key, entry: o.data !== undefined ? { type: 'raw', data: o.data } : { type: 'json', value: o.value } };
    case 'append':
      return { op: 'append', key: o.key, data: o.data !== undefined ? { type: 'raw', data: o.data } : { type: 'json', value: o.value ?? '' } };
    default:
      return o;
  }
}

/**
 * Re-points an InvalidInputError's field at the request: by name (`key` → `query.key`), or under `prefix` for
 * paths like `ops[2].key`.
 */
function at(fields: Record<string, string>, prefix?: string) {
  return (err: unknown): never => {
    if (err instanceof InvalidInputError && err.field !== undefined) {
      const mapped = fields[err.field] ?? (prefix !== undefined ? `${prefix}${err.field}` : undefined);
      if (mapped !== undefined) throw new InvalidInputError(err.detail, mapped, { cause: err });
    }
    throw err;
  };
}

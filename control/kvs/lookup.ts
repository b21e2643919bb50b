// lookup.ts - resolving a key for reading as Flux does: parents must be directories, symbolic links are followed in
// parents and (unless readlink) at the key itself, possibly into another namespace; a directory is an error unless
// it is listed. Invariants: no I/O of its own (views come from the caller, who checks access to each namespace);
// at most KVS_LIMITS.symlinkHops links are followed.
import { InvalidInputError, NotFoundError } from '../core/errors.ts';
import { ancestors, components, joinKey, normalizeKey, ROOT } from './path.ts';
import type { KeyReader } from './plan.ts';
import { KVS_LIMITS, type Entry, type KvsDirEntry, type KvsLookupOptions, type KvsLookupResult } from './types.ts';

/** What a lookup reads: one namespace at one version. */
export interface LookupView extends KeyReader {
  readonly namespace: string;
  readonly version: number;
  list(dir: string, recursive: boolean): Promise<KvsDirEntry[]>;
}

/**
 * Look `key` up in `view`; `open` gives the view of another namespace a link leads to.
 * @example await lookupKey(view, 'a.b', { readdir: true }, open) // { namespace, key: 'a.b', entry: {type:'dir'}, entries: [...] }
 */
export async function lookupKey(
  view: LookupView,
  key: string,
  opts: KvsLookupOptions,
  open: (namespace: string) => Promise<LookupView>,
): Promise<KvsLookupResult> {
  if (opts.readdir && opts.readlink) throw new InvalidInputError('readdir and readlink cannot be combined');
  const asked = normalizeKey(key);
  let k = asked;
  let v = view;
  let hops = 0;
  const follow = async (link: Extract<Entry, { type: 'symlink' }>, rest: string) => {
    if (++hops > KVS_LIMITS.symlinkHops) throw new InvalidInputError(`${asked}: too many levels of symbolic links`);
    if (link.namespace !== undefined && link.namespace !== v.namespace) v = await open(link.namespace);
    k = joinKey(link.target, rest);
  };
  outer: for (;;) {
    await v.prefetch?.([...ancestors(k), k]);
    const parts = components(k);
    for (const [i, parent] of ancestors(k).entries()) {
      const cur = await v.get(parent);
      if (cur?.entry.type === 'dir') continue;
      if (cur?.entry.type === 'symlink') {
        await follow(cur.entry, parts.slice(i + 1).join('.'));
        continue outer;
      }
      throw new NotFoundError(`${asked}: no such key`);
    }
    const cur = await v.get(k);
    if (cur === undefined) throw new NotFoundError(`${asked}: no such key`);
    if (cur.entry.type === 'symlink' && !opts.readlink) {
      await follow(cur.entry, '');
      continue;
    }
    if (opts.readlink && cur.entry.type !== 'symlink') throw new InvalidInputError(`${asked}: not a symbolic link`);
    if (opts.readdir && cur.entry.type !== 'dir') throw new InvalidInputError(`${asked}: not a directory`);
    if (!opts.readdir && !opts.readlink && cur.entry.type === 'dir') throw new InvalidInputError(`${asked}: is a directory`);
    const result: KvsLookupResult = { namespace: v.namespace, key: k, version: v.version, modified: k === ROOT ? 0 : cur.version, entry: cur.entry };
    if (opts.readdir) result.entries = await v.list(k, opts.recursive ?? false);
    return result;
  }
}

// kvs-format.ts - pure pieces of `flurry kvs`: reading `key=value` arguments (JSON if it parses, else a string;
// raw bytes with -r; RFC 11 tree objects with -t), printing values as `flux kvs get` does, RFC 11 tree objects,
// and ls-style columns. Invariant: no I/O; a bad argument is a CliError naming it.
import { basename } from '../../../control/kvs/path.ts';
import { base64Bytes, entryText, type KvsDirEntry, type KvsEntry, type KvsOp } from '../../sdk/kvs.ts';
import { CliError } from '../fail.ts';

/**
 * Split `key=value` at the first `=`.
 * @example splitPair('a.b=x=y') // { key: 'a.b', value: 'x=y' }
 */
export function splitPair(arg: string): { key: string; value: string } {
  const i = arg.indexOf('=');
  if (i <= 0) throw new CliError(`put: "${arg}": expected KEY=VALUE`);
  return { key: arg.slice(0, i), value: arg.slice(i + 1) };
}

/**
 * The value of `put key=value`: JSON when the text parses as JSON, else the text as a string.
 * @example putValue('42') // 42; putValue('{"a":1}') // {a: 1}; putValue('hello') // 'hello'; putValue('') // ''
 */
export function putValue(text: string): unknown {
  if (text === '') return '';
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Standard base64 of bytes. */
export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * The operations that store an RFC 11 tree object under `key`: val (bytes), dir (its entries, recursively),
 * symlink. A valref or dirref refers to Flux's content store, which Flurry has not: refused.
 * @example treeobjOps('k', { ver: 1, type: 'val', data: 'NDIK' }) // [{ op: 'put', key: 'k', data: 'NDIK' }]
 */
export function treeobjOps(key: string, obj: unknown): KvsOp[] {
  const t = obj as { ver?: unknown; type?: unknown; data?: unknown } | null;
  if (t === null || typeof t !== 'object' || t.ver !== 1) throw new CliError(`${key}: not an RFC 11 tree object (ver 1)`);
  switch (t.type) {
    case 'val':
      if (typeof t.data !== 'string') throw new CliError(`${key}: a val's data must be base64`);
      return [{ op: 'put', key, data: t.data }];
    case 'dir': {
      if (t.data === null || typeof t.data !== 'object') throw new CliError(`${key}: a dir's data must be an object`);
      return [{ op: 'mkdir', key }, ...Object.entries(t.data).flatMap(([name, child]) => treeobjOps(`${key}.${name}`, child))];
    }
    case 'symlink': {
      const d = t.data as { target?: unknown; namespace?: unknown } | null;
      if (typeof d?.target !== 'string') throw new CliError(`${key}: a symlink needs a target`);
      return [{ op: 'link', key, target: d.target, ...(typeof d.namespace === 'string' ? { namespace: d.namespace } : {}) }];
    }
    default:
      throw new CliError(`${key}: cannot store a tree object of type ${JSON.stringify(t.type)} (only val, dir and symlink)`);
  }
}

/**
 * An entry as an RFC 11 tree object; a directory with its listed entries (all descendants, full keys) nested.
 * @example toTreeobj({ type: 'json', value: 42 }) // { ver: 1, type: 'val', data: 'NDI=' }
 */
export function toTreeobj(entry: KvsEntry, below: readonly KvsDirEntry[] = [], dir = ''): unknown {
  switch (entry.type) {
    case 'json':
    case 'raw':
      return { ver: 1, type: 'val', data: entry.type === 'raw' ? (entry.data ?? '') : toBase64(new TextEncoder().encode(entryText(entry))) };
    case 'symlink':
      return { ver: 1, type: 'symlink', data: entry.namespace === undefined ? { target: entry.target } : { namespace: entry.namespace, target: entry.target } };
    case 'dir': {
      const depth = dir === '' || dir === '.' ? 0 : dir.split('.').length;
      const data: Record<string, unknown> = {};
      for (const e of below) {
        if (e.key.split('.').length !== depth + 1) continue;
        data[basename(e.key)] = toTreeobj(e.entry, below.filter((d) => d.key.startsWith(`${e.key}.`)), e.key);
      }
      return { ver: 1, type: 'dir', data };
    }
  }
}

/**
 * What `get` prints for a value: its text with a newline (none for an empty value), or with `raw` its bytes as
 * they are.
 * @example printable({ type: 'json', value: 'hi' }, false) // 'hi\n'
 */
export function printable(entry: KvsEntry, raw: boolean): string | Uint8Array {
  if (raw) return entry.type === 'raw' ? base64Bytes(entry.data ?? '') : entryText(entry);
  const text = entryText(entry);
  return text === '' ? '' : `${text}\n`;
}

/**
 * Names in columns, filled down then across as ls(1) does, to fit `width`.
 * @example columns(['a', 'bb', 'c'], 10) // 'a   bb  c\n'
 */
export function columns(names: readonly string[], width: number): string {
  if (names.length === 0) return '';
  const colWidth = Math.max(...names.map((n) => n.length)) + 2;
  const cols = Math.max(1, Math.floor(width / colWidth));
  const rows = Math.ceil(names.length / cols);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 0; c < cols; c++) {
      const name = names[c * rows + r];
      if (name !== undefined) cells.push(name.padEnd(colWidth));
    }
    lines.push(cells.join('').trimEnd());
  }
  return `${lines.join('\n')}\n`;
}

/** Cut a line to `width` characters with "..." (0: no limit), as `flux kvs dir` does. */
export function fit(line: string, width: number): string {
  return width > 3 && line.length > width ? `${line.slice(0, width - 3)}...` : line;
}

/** One line of `flux kvs dir`: `key = value`, `key -> target`, or `key.` for a directory not descended into. */
export function dirLine(e: KvsDirEntry, withValues: boolean): string {
  if (e.entry.type === 'symlink') return `${e.key} -> ${e.entry.namespace ? `${e.entry.namespace}::` : ''}${e.entry.target}`;
  if (e.entry.type === 'dir') return `${e.key}.`;
  return withValues ? `${e.key} = ${entryText(e.entry).replace(/\n/g, '\\n')}` : e.key;
}

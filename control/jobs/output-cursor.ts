// output-cursor.ts - the opaque output cursor clients pass back: per node index, the next chunk to read.
import { InvalidInputError } from '../core/errors.ts';
import type { OutputCursor } from '../store/output.ts';

/** `3:0.5.2` = nodes 0,1,2 next at 0, 5, 2 (compact, URL-safe). Empty or absent = from the start. */
export function encodeCursor(cursor: OutputCursor): string {
  const nodes = Object.keys(cursor).map(Number);
  const n = nodes.length ? Math.max(...nodes) + 1 : 0;
  return `${n}:${Array.from({ length: n }, (_, i) => cursor[i] ?? 0).join('.')}`;
}

export function decodeCursor(text: string | undefined): OutputCursor {
  if (text === undefined || text === '') return {};
  const m = /^(\d{1,6}):([\d.]*)$/.exec(text);
  const parts = m?.[2] ? m[2].split('.').map(Number) : [];
  if (!m || parts.length !== Number(m[1]) || parts.some((p) => !Number.isInteger(p) || p < 0)) {
    throw new InvalidInputError('not a cursor from a previous output page', 'cursor');
  }
  return Object.fromEntries(parts.map((p, i) => [i, p]));
}

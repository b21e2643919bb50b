// parse.ts - reads jobspec text (YAML 1.2 or JSON, which is YAML) into plain data. Invariant: never returns
// YAML-specific objects; a syntax error becomes an InvalidInputError naming the line and column.
import { parseDocument } from 'yaml';
import { InvalidInputError } from '../errors.ts';

/**
 * Parse jobspec text. Duplicate keys, several documents, and aliases that expand too far are errors.
 * @example parseJobspecText('version: 1\nresources: []') // { version: 1, resources: [] }
 */
export function parseJobspecText(text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}` : 'jobspec';
    throw new InvalidInputError(`invalid YAML/JSON: ${firstLine(err.message)}`, where);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new InvalidInputError(`invalid YAML/JSON: ${firstLine(e instanceof Error ? e.message : String(e))}`);
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '').replace(/; please use .*$/, '');
}

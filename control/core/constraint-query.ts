// constraint-query.ts - the `--requires` query syntax (RFC 35, as Flux's docs describe it) parsed into RFC 31 JSON,
// and the checks of leaf values it shares with the JSON validator. No zod here: the CLI loads this without it.
import { InvalidInputError } from './errors.ts';
import type { Constraint } from './resource/types.ts';
import { expandHostlist } from './hostlist.ts';
import { parseIdset } from './idset.ts';

export const LEAF_OPERATORS = new Set(['properties', 'hostlist', 'ranks']);
export const BOOLEAN_OPERATORS = new Set(['and', 'or', 'not']);
const BAD_PROPERTY_CHARS = /[&'"`|()\s]/;

/** Why a property name is unusable, or undefined when it is fine. */
export function propertyProblem(value: string): string | undefined {
  const name = value.startsWith('^') ? value.slice(1) : value;
  if (name === '') return 'must be a non-empty property name';
  if (BAD_PROPERTY_CHARS.test(name)) return `invalid character in property "${name}"`;
  return undefined;
}

/** Check one value of a leaf operator; the message when it is wrong. */
export function leafProblem(op: string, value: string): string | undefined {
  if (op === 'properties') return propertyProblem(value);
  try {
    if (op === 'hostlist') expandHostlist(value);
    else parseIdset(value);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return `${op === 'hostlist' ? 'invalid hostlist' : 'invalid idset'} "${value}": ${why}`;
  }
  return undefined;
}

// ---- the --requires query syntax (RFC 35) ---------------------------------------------------------

type Token =
  | { kind: '(' | ')' | 'and' | 'or' | 'not'; at: number }
  | { kind: 'term'; at: number; negated: boolean; op: string | undefined; operand: string };

const OPERATOR_ALIASES: Record<string, string> = {
  properties: 'properties',
  property: 'properties',
  hostlist: 'hostlist',
  host: 'hostlist',
  hosts: 'hostlist',
  ranks: 'ranks',
  rank: 'ranks',
};

function syntaxError(expr: string, why: string): InvalidInputError {
  return new InvalidInputError(`${why} in "${expr}"`, '--requires');
}

function tokenize(expr: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const ch = expr[i]!;
    if (/\s/.test(ch)) i++;
    else if (ch === '(' || ch === ')') out.push({ kind: ch, at: i++ });
    else if (ch === '&' || ch === '|') {
      out.push({ kind: ch === '&' ? 'and' : 'or', at: i });
      i += expr[i + 1] === ch ? 2 : 1;
    } else {
      const at = i;
      let text = '';
      let colon = -1;
      let quoted = false;
      while (i < expr.length && !/[\s()&|]/.test(expr[i]!)) {
        const c = expr[i]!;
        if (c === "'" || c === '"') {
          const end = expr.indexOf(c, i + 1);
          if (end < 0) throw syntaxError(expr, `unterminated quote at position ${i + 1}`);
          text += expr.slice(i + 1, end);
          quoted = true;
          i = end + 1;
        } else {
          if (c === ':' && colon < 0) colon = text.length;
          text += c;
          i++;
        }
      }
      const keyword = text.toLowerCase();
      if (!quoted && (keyword === 'and' || keyword === 'or' || keyword === 'not')) {
        out.push({ kind: keyword, at });
        continue;
      }
      const negated = text.startsWith('-') && !quoted;
      if (negated) {
        text = text.slice(1);
        colon -= 1;
        if (text === '') throw syntaxError(expr, `"-" must be followed by a term (use "not" before parentheses)`);
      }
      const op = colon >= 0 ? text.slice(0, colon) : undefined;
      const operand = colon >= 0 ? text.slice(colon + 1) : text;
      out.push({ kind: 'term', at, negated, op, operand });
    }
  }
  return out;
}

function leaf(expr: string, t: Extract<Token, { kind: 'term' }>): Constraint {
  const op = OPERATOR_ALIASES[(t.op ?? 'properties').toLowerCase()];
  if (!op) throw syntaxError(expr, `unknown operator "${t.op}" (expected properties, host, rank)`);
  if (t.operand === '') throw syntaxError(expr, `missing operand for "${t.op}"`);
  let c: Constraint;
  if (op === 'properties') {
    const names = t.operand.split(',').map((p) => (p.startsWith('-') ? `^${p.slice(1)}` : p));
    for (const name of names) {
      const problem = propertyProblem(name);
      if (problem) throw syntaxError(expr, problem);
    }
    c = { properties: names };
  } else {
    const problem = leafProblem(op, t.operand);
    if (problem) throw syntaxError(expr, problem);
    c = { [op]: [t.operand] };
  }
  return t.negated ? { not: [c] } : c;
}

/** AND several constraints, merging plain property lists into one `properties` term as Flux does. */
function and(parts: Constraint[]): Constraint {
  const props: string[] = [];
  const rest: Constraint[] = [];
  for (const p of parts) {
    const keys = Object.keys(p);
    if (keys.length === 1 && keys[0] === 'properties') props.push(...(p.properties as string[]));
    else rest.push(p);
  }
  const all = props.length > 0 ? [{ properties: props }, ...rest] : rest;
  return all.length === 1 ? all[0]! : { and: all };
}

function parseQuery(expr: string): Constraint {
  const tokens = tokenize(expr);
  if (tokens.length === 0) throw syntaxError(expr, 'empty constraint');
  let pos = 0;
  const peek = () => tokens[pos];
  const parseOr = (): Constraint => {
    const parts = [parseAnd()];
    while (peek()?.kind === 'or') {
      pos++;
      parts.push(parseAnd());
    }
    return parts.length === 1 ? parts[0]! : { or: parts };
  };
  const parseAnd = (): Constraint => {
    const parts = [parseUnary()];
    for (let t = peek(); t && t.kind !== 'or' && t.kind !== ')'; t = peek()) {
      if (t.kind === 'and') pos++;
      parts.push(parseUnary());
    }
    return and(parts);
  };
  const parseUnary = (): Constraint => {
    const t = tokens[pos++];
    if (!t) throw syntaxError(expr, 'unexpected end of expression');
    if (t.kind === 'not') return { not: [parseUnary()] };
    if (t.kind === 'term') return leaf(expr, t);
    if (t.kind === '(') {
      const inner = parseOr();
      if (tokens[pos]?.kind !== ')') throw syntaxError(expr, `missing ")" for "(" at position ${t.at + 1}`);
      pos++;
      return inner;
    }
    throw syntaxError(expr, `unexpected "${t.kind}" at position ${t.at + 1}`);
  };
  const result = parseOr();
  const extra = tokens[pos];
  if (extra) throw syntaxError(expr, `unexpected "${extra.kind === 'term' ? extra.operand : extra.kind}" at position ${extra.at + 1}`);
  return result;
}

/**
 * Parse `--requires` strings (RFC 35 constraint query syntax, as in Flux) into one RFC 31 constraint; several
 * strings are ANDed. Terms are `op:operand` (ops: properties (default), host/hosts/hostlist, rank/ranks), joined by
 * whitespace/`&`/`and`, `|`/`or`, `not`, parentheses; `-term` negates a term; `-prop` / `^prop` in a property list
 * forbids it. Errors name `--requires`.
 * @example parseRequires(['efa,-spot', 'host:n[1-4] or rank:0'])
 * // { and: [{ properties: ['efa', '^spot'] }, { or: [{ hostlist: ['n[1-4]'] }, { ranks: ['0'] }] }] }
 */
export function parseRequires(exprs: string[]): Constraint {
  const parts = exprs.map(parseQuery);
  if (parts.length === 0) return {};
  return and(parts);
}

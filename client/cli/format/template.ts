// template.ts - Flux's `--format` strings: Python format syntax over named fields (`{id.f58:>12} {name:<10.10+}`),
// with Flux's conversions (!F !H !D !P) and spec suffixes (`h`: empty or zero becomes "-"; `+`: mark truncation).
// Invariants: a template is parsed once and checked against the known field names (an unknown one is a CliError
// naming it and listing the rest); a missing value renders as ""; headers use each field's width and alignment.
import { CliError } from '../fail.ts';
import { compactFSD, hms, isoLocal } from './time.ts';

/** A value a field can have; undefined renders as "". */
export type FieldValue = string | number | boolean | undefined;

interface Spec {
  fill: string;
  align?: '<' | '>' | '^';
  zero: boolean;
  width?: number;
  precision?: number;
  type?: string;
  hyphen: boolean;
  plus: boolean;
}

type Part = { text: string } | { field: string; conv?: string; spec: Spec };

/** A parsed format string. */
export interface Template {
  parts: Part[];
  /** The field names it uses, in order. */
  fields: string[];
}

const SPEC = /^(?:(.)?([<>^]))?([+\- ])?(0)?(\d+)?(?:\.(\d+))?([sdfge%])?([h+]*)$/;
const CONVERSIONS = new Set(['F', 'H', 'D', 'P', 's', 'r']);

function parseSpec(text: string, where: string): Spec {
  const m = SPEC.exec(text);
  if (!m) throw new CliError(`--format: invalid format spec "${text}" in "${where}"`);
  const spec: Spec = { fill: m[1] ?? ' ', zero: m[4] !== undefined, hyphen: (m[8] ?? '').includes('h'), plus: (m[8] ?? '').includes('+') };
  if (m[2]) spec.align = m[2] as Spec['align'];
  if (m[5]) spec.width = Number(m[5]);
  if (m[6]) spec.precision = Number(m[6]);
  if (m[7]) spec.type = m[7];
  return spec;
}

/**
 * Parse a format string; every field must be in `known`.
 * @example parseTemplate('{id.f58:>12} {name}', ['id.f58', 'name']).fields // ['id.f58', 'name']
 */
export function parseTemplate(format: string, known: readonly string[]): Template {
  const parts: Part[] = [];
  let text = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i]!;
    if ((c === '{' || c === '}') && format[i + 1] === c) {
      text += c;
      i += 2;
      continue;
    }
    if (c === '}') throw new CliError(`--format: single "}" in "${format}" (write "}}" for a brace)`);
    if (c !== '{') {
      text += c;
      i++;
      continue;
    }
    const end = format.indexOf('}', i);
    if (end < 0) throw new CliError(`--format: unclosed "{" in "${format}"`);
    const body = format.slice(i + 1, end);
    const m = /^([A-Za-z_][\w.]*)(?:!(\w))?(?::(.*))?$/.exec(body);
    if (!m) throw new CliError(`--format: invalid field "{${body}}" in "${format}"`);
    const [, field, conv, spec = ''] = m;
    if (!known.includes(field!)) {
      throw new CliError(`--format: unknown field "${field}" (known fields: ${[...known].sort().join(', ')})`);
    }
    if (conv !== undefined && !CONVERSIONS.has(conv)) throw new CliError(`--format: unknown conversion "!${conv}" (use !F, !H, !D or !P)`);
    if (text) parts.push({ text });
    text = '';
    parts.push(conv === undefined ? { field: field!, spec: parseSpec(spec, format) } : { field: field!, conv, spec: parseSpec(spec, format) });
    i = end + 1;
  }
  if (text) parts.push({ text });
  return { parts, fields: parts.flatMap((p) => ('field' in p ? [p.field] : [])) };
}

function convert(v: FieldValue, conv: string | undefined): FieldValue {
  if (conv === undefined || v === undefined || v === '') return v;
  const n = Number(v);
  switch (conv) {
    case 'F':
      return Number.isFinite(n) ? compactFSD(n) : String(v);
    case 'H':
      return Number.isFinite(n) ? hms(n) : String(v);
    case 'D':
      return Number.isFinite(n) && n > 0 ? isoLocal(n) : '';
    case 'P':
      return Number.isFinite(n) ? `${Number((n * 100).toPrecision(3))}%`.slice(0, 5) : String(v);
    default:
      return String(v);
  }
}

function pad(s: string, spec: Spec, numeric: boolean): string {
  let out = s;
  if (spec.precision !== undefined && !(numeric && spec.type && 'fge%'.includes(spec.type)) && out.length > spec.precision) {
    out = out.slice(0, spec.precision);
    if (spec.plus && out.length > 0) out = `${out.slice(0, -1)}+`;
  }
  const width = spec.width ?? 0;
  if (out.length >= width) return out;
  const fill = spec.zero && !spec.align ? '0' : spec.fill;
  const align = spec.align ?? (numeric || spec.zero ? '>' : '<');
  const gap = width - out.length;
  if (align === '>') return fill.repeat(gap) + out;
  if (align === '^') return fill.repeat(Math.floor(gap / 2)) + out + fill.repeat(Math.ceil(gap / 2));
  return out + fill.repeat(gap);
}

function renderValue(v: FieldValue, conv: string | undefined, spec: Spec): string {
  const value = convert(v, conv);
  const numeric = typeof value === 'number';
  let s: string;
  if (value === undefined) s = '';
  else if (typeof value === 'boolean') s = value ? 'True' : 'False';
  else if (numeric && spec.type === 'd') s = String(Math.trunc(value));
  else if (numeric && spec.type === 'f') s = value.toFixed(spec.precision ?? 6);
  else if (numeric && spec.type === '%') s = `${(value * 100).toFixed(spec.precision ?? 6)}%`;
  else if (numeric && (spec.type === 'g' || spec.type === 'e')) s = spec.type === 'g' ? String(Number(value.toPrecision(spec.precision ?? 6))) : value.toExponential(spec.precision ?? 6);
  else s = String(value);
  if (spec.hyphen && (s === '' || s === '0s' || s === '0.0' || s === '0:00:00')) s = '-';
  return pad(s, spec, numeric);
}

/**
 * One line for one item: `get(field)` supplies each field's value.
 * @example renderRow(parseTemplate('{n:>4}|{s:<3}', ['n', 's']), (f) => (f === 'n' ? 7 : 'ab')) // '   7|ab '
 */
export function renderRow(t: Template, get: (field: string) => FieldValue): string {
  return t.parts.map((p) => ('text' in p ? p.text : renderValue(get(p.field), p.conv, p.spec))).join('');
}

/**
 * The header line: each field's header in the field's width and alignment.
 * @example renderHeader(parseTemplate('{id.f58:>12} {name}', ['id.f58', 'name']), { 'id.f58': 'JOBID', name: 'NAME' }) // '       JOBID NAME'
 */
export function renderHeader(t: Template, headers: Readonly<Record<string, string>>): string {
  return t.parts
    .map((p) => {
      if ('text' in p) return p.text;
      const { type: _type, hyphen: _h, ...rest } = p.spec;
      return pad(headers[p.field] ?? p.field.toUpperCase(), { ...rest, hyphen: false, zero: false, plus: false }, false);
    })
    .join('');
}

// constraint.ts - RFC 31 job constraints: the JSON form (schema + validation), the `--requires` query syntax
// (RFC 35, as Flux's docs describe it), and evaluation against a node. Invariant: validated constraints only use
// the operators properties, hostlist, ranks, and, or, not; compiled matchers never re-expand hostlists or idsets.
import * as z from 'zod';
import { InvalidInputError } from './errors.ts';
import type { Constraint } from './resource/types.ts';
import { expandHostlist } from './hostlist.ts';
import { parseIdset } from './idset.ts';
import { invalidFrom, jobspecErrorMap } from './jobspec/issues.ts';
import { BOOLEAN_OPERATORS, LEAF_OPERATORS, leafProblem } from './constraint-query.ts';

export { parseRequires } from './constraint-query.ts';

export type { Constraint };

/** What a constraint is evaluated against: one node. */
export interface ConstraintTarget {
  hostname: string;
  rank: number;
  properties: ReadonlySet<string>;
}

type Ctx = z.core.$RefinementCtx<Constraint>;

function checkConstraint(c: Constraint, ctx: Ctx, path: PropertyKey[]): void {
  for (const [op, values] of Object.entries(c)) {
    const opPath = [...path, op];
    if (!LEAF_OPERATORS.has(op) && !BOOLEAN_OPERATORS.has(op)) {
      ctx.addIssue({ code: 'custom', path: opPath, message: 'unknown constraint operator (expected properties, hostlist, ranks, and, or, not)' });
      continue;
    }
    if (op === 'not' && values.length === 0) {
      ctx.addIssue({ code: 'custom', path: opPath, message: 'must hold a constraint to negate' });
    }
    values.forEach((value, i) => {
      const at = [...opPath, i];
      if (LEAF_OPERATORS.has(op)) {
        if (typeof value !== 'string') return ctx.addIssue({ code: 'custom', path: at, message: 'must be a string' });
        const problem = leafProblem(op, value);
        if (problem) ctx.addIssue({ code: 'custom', path: at, message: problem });
      } else if (typeof value === 'string') {
        ctx.addIssue({ code: 'custom', path: at, message: 'must be a constraint object' });
      } else {
        checkConstraint(value, ctx, at);
      }
    });
  }
}

// Recursive via z.lazy; the registry id lets OpenAPI generators emit a $ref instead of recursing forever.
const constraintShape: z.ZodType<Constraint> = z
  .lazy(() => z.record(z.string(), z.array(z.union([z.string(), constraintShape], { error: 'must be a string or a constraint object' }))))
  .meta({ id: 'Constraint', description: 'RFC 31 job constraint' });

/**
 * RFC 31 constraint object, for jobspec `attributes.system.constraints` and request bodies.
 * @example constraintSchema.parse({ and: [{ properties: ['efa'] }, { not: [{ hostlist: ['n[1-2]'] }] }] })
 */
export const constraintSchema: z.ZodType<Constraint> = constraintShape.superRefine((c, ctx) => checkConstraint(c, ctx, []));

/**
 * Validate an RFC 31 constraint; the error names the path of the offending operator or value.
 * @example validateConstraint({ properties: ['ssd', '^slowgpu'] })
 */
export function validateConstraint(obj: unknown): Constraint {
  const r = constraintSchema.safeParse(obj, { error: jobspecErrorMap });
  if (!r.success) throw invalidFrom(r.error.issues, ['constraints']);
  return r.data;
}

// ---- evaluation -------------------------------------------------------------------------------

type Matcher = (node: ConstraintTarget) => boolean;

function compileOp(op: string, values: Array<string | Constraint>): Matcher {
  switch (op) {
    case 'properties': {
      const want = values.filter((v): v is string => typeof v === 'string');
      const required = want.filter((p) => !p.startsWith('^'));
      const forbidden = want.filter((p) => p.startsWith('^')).map((p) => p.slice(1));
      return (n) => required.every((p) => n.properties.has(p)) && !forbidden.some((p) => n.properties.has(p));
    }
    case 'hostlist': {
      const hosts = new Set(values.flatMap((v) => (typeof v === 'string' ? expandHostlist(v) : [])));
      return (n) => hosts.has(n.hostname);
    }
    case 'ranks': {
      const ranks = new Set(values.flatMap((v) => (typeof v === 'string' ? parseIdset(v) : [])));
      return (n) => ranks.has(n.rank);
    }
    case 'and':
    case 'or':
    case 'not': {
      const parts = values.map((v) => (typeof v === 'string' ? () => false : compileConstraint(v)));
      if (op === 'or') return (n) => parts.some((m) => m(n));
      if (op === 'and') return (n) => parts.every((m) => m(n));
      return (n) => !parts.every((m) => m(n));
    }
    default:
      throw new InvalidInputError('unknown constraint operator', `constraints.${op}`);
  }
}

/**
 * Turn a (validated) constraint into a fast per-node predicate: hostlists and idsets are expanded once.
 * Several operators in one object are ANDed; `{}` matches every node.
 * @example compileConstraint({ hostlist: ['n[1-3]'] })({ hostname: 'n2', rank: 1, properties: new Set() }) // true
 */
export function compileConstraint(c: Constraint): Matcher {
  const parts = Object.entries(c).map(([op, values]) => compileOp(op, values));
  if (parts.length === 1) return parts[0]!;
  return (n) => parts.every((m) => m(n));
}

const compiled = new WeakMap<Constraint, Matcher>();

/**
 * Does `node` satisfy `c`? Compiles `c` once per constraint object (cached), so calling this per node is cheap.
 * @example matchesConstraint({ properties: ['efa'] }, { hostname: 'n1', rank: 0, properties: new Set(['efa']) }) // true
 */
export function matchesConstraint(c: Constraint, node: ConstraintTarget): boolean {
  let m = compiled.get(c);
  if (!m) {
    m = compileConstraint(c);
    compiled.set(c, m);
  }
  return m(node);
}

// ids.ts - job ids at the HTTP edge: paths accept any RFC 19 encoding, responses always carry f58 strings.
// Invariants: a bigint never reaches JSON (it would throw, or lose precision as a number); a bad path id is a 400
// naming `path.id`, raised by the same validation hook as every other field.
import { z } from '@hono/zod-openapi';
import { InvalidInputError } from '../core/errors.ts';
import { decodeFluid, encodeFluid, FLUID_MAX } from '../core/fluid.ts';

/** An f58 job id as it appears in responses. */
export const JobIdSchema = z
  .string()
  .regex(/^ƒ[1-9A-HJ-NP-Za-km-z]{1,12}$/)
  .openapi('JobId', {
    description: 'A FLUID job id (RFC 19) in f58. Paths also accept f-prefixed base58, 0x hex, dotted hex, decimal and words.',
    example: 'ƒ2MU1GM7V',
  });

/** The `{id}` path parameter: a string in any RFC 19 encoding, decoded to a bigint during validation. */
export const JobIdParam = z
  .string()
  .max(128)
  .transform((text, ctx) => {
    try {
      return decodeFluid(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof InvalidInputError ? err.detail : 'is not a job id' });
      return z.NEVER;
    }
  })
  .openapi({
    param: { name: 'id', in: 'path' },
    description: 'Job id in any RFC 19 encoding: ƒ2MU1GM7V, f2MU1GM7V, 0x1a2b…, 0000.1a2b.3c4d.5e6f, decimal or words',
    example: 'ƒ2MU1GM7V',
  });

/** The params object of every `/jobs/{id}…` route. */
export const JobIdParams = z.object({ id: JobIdParam });

/**
 * A job id as the API prints it.
 * @example encodeId(6731191091817518n) // 'ƒuZZybuNNy'
 */
export function encodeId(id: bigint): string {
  return encodeFluid(id, 'f58');
}

/**
 * A copy of JSON-bound data with every bigint that fits a FLUID written as f58 (others as decimal strings), so
 * free-form data such as event contexts can never make the response fail or lose precision.
 * @example jsonSafe({ dependency: 6731191091817518n }) // { dependency: 'ƒuZZybuNNy' }
 */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return value >= 0n && value <= FLUID_MAX ? encodeId(value) : value.toString();
  if (Array.isArray(value)) return value.map(jsonSafe);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v)])); // fromEntries: safe for "__proto__"
  }
  return value;
}

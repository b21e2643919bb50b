// config-schema.ts - the zod schema of the elastic pools file: field shapes, defaults and per-field messages.
// Invariants: durations accept RFC 23 FSD text or seconds and come out as seconds; objects are strict, so a typo is an
// "unknown key" error rather than a silently ignored setting. Cross-field checks live in config.ts.
import * as z from 'zod';
import { parseFSD } from '../control/core/duration.ts';

const FSD_HINT = 'must be a duration such as 30s, 5m, 1.5h (RFC 23) or a number of seconds';

/** A duration field: FSD text or seconds; `allowInfinite` lets `inf` (and `infinity`) through. */
function duration(allowInfinite = false) {
  return z.union([z.number(), z.string()], { error: FSD_HINT }).transform((v, ctx) => {
    let s: number;
    try {
      s = typeof v === 'number' ? v : parseFSD(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: FSD_HINT });
      return z.NEVER;
    }
    if (!(s >= 0) || (!allowInfinite && !Number.isFinite(s))) {
      ctx.addIssue({ code: 'custom', message: allowInfinite ? 'must be ≥ 0' : 'must be a finite duration ≥ 0' });
      return z.NEVER;
    }
    return s;
  });
}

const NAME = /^[a-z][a-z0-9-]{0,30}$/;
const PROPERTY = /^[A-Za-z0-9_.:+-]+$/;
const count = z.number().int({ error: 'must be an integer' }).min(0);
const property = z.string().regex(PROPERTY, { error: 'must be a property name (letters, digits, _ . : + -)' });

const subnetSchema = z.union([
  z.string().min(1),
  z.strictObject({ id: z.string().min(1), zone: z.string().min(1).optional() }),
]);

const staticPoolSchema = z.strictObject({
  name: z.string().regex(NAME, { error: 'must be lower-case letters, digits and -, starting with a letter' }),
  provider: z.literal('static'),
  properties: z.array(property).default([]),
});

export const cloudPoolSchema = z.strictObject({
  name: z.string().regex(NAME, { error: 'must be lower-case letters, digits and -, starting with a letter' }),
  provider: z.enum(['local', 'ec2', 'sim']),
  instanceTypes: z.array(z.string().min(1)).min(1).optional(),
  min: count.default(0),
  max: count,
  capacityType: z.enum(['on-demand', 'spot', 'spot-then-on-demand']).default('on-demand'),
  efa: z.boolean().default(false),
  subnets: z.array(subnetSchema).optional(),
  idleTimeout: duration(true).default(300),
  maxWaitBeforeBurst: duration(true).default(60),
  joinTimeout: duration().default(600),
  joinUrl: z.url({ protocol: /^wss?$/, error: 'must be a ws:// or wss:// URL' }).optional(),
  properties: z.array(property).default([]),
  local: z
    .strictObject({
      startupDelay: duration().default(2),
      cores: z.number().int().min(1),
      gpus: count.default(0),
      memoryMB: z.number().int().min(1),
    })
    .optional(),
  sim: z.strictObject({ bootDelay: duration().default(60) }).optional(),
  ec2: z
    .strictObject({
      imageId: z.string().min(1).optional(),
      securityGroupIds: z.array(z.string().min(1)).optional(),
      instanceProfile: z.string().min(1).optional(),
      keyName: z.string().min(1).optional(),
      tags: z.record(z.string(), z.string()).optional(),
      launchTemplate: z
        .union([
          z.string().min(1),
          z.strictObject({ id: z.string().min(1).optional(), name: z.string().min(1).optional(), version: z.union([z.string().min(1), z.number().int().min(1)]).optional() }),
        ])
        .optional(),
    })
    .optional(),
});

const catalogEntrySchema = z.strictObject({
  name: z.string().min(1),
  cores: z.number().int().min(1).optional(),
  gpus: count.optional(),
  memoryMB: z.number().int().min(1).optional(),
  efa: z.boolean().optional(),
  onDemandPrice: z.number().min(0).optional(),
  spotPrice: z.number().min(0).optional(),
  arch: z.enum(['x86_64', 'arm64']).optional(),
});

export const fileSchema = z.strictObject({
  batch: z.strictObject({ idle: duration().default(1), max: duration().default(10) }).default({ idle: 1, max: 10 }),
  maxSpendPerHour: z.number().min(0).optional(),
  insufficientCapacityTTL: duration().default(180),
  catalog: z.array(catalogEntrySchema).default([]),
  pools: z.array(z.discriminatedUnion('provider', [staticPoolSchema, cloudPoolSchema])).min(1),
});

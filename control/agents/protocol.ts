// protocol.ts - the agent protocol's messages (docs/agent-protocol.md), as zod schemas shared by the control
// plane and the node agent. Invariant: nothing crosses the link without passing `parseFrame`.
import * as z from 'zod';

export const PROTOCOL_VERSION = 1;
/** 1.2: API Gateway's frame size; senders split batches to stay under it. */
export const MAX_FRAME_BYTES = 32 * 1024;
export const MAX_MESSAGE_BYTES = 30 * 1024;

/** 1.3 close codes. */
export const CloseCode = {
  shutdown: 4000,
  unauthorized: 4001,
  protocolError: 4002,
  superseded: 4003,
  nodeRemoved: 4004,
} as const;

/** 7.1: a `close` message's reason is at most this many characters. */
export const MAX_CLOSE_REASON = 1024;

const base = { v: z.literal(PROTOCOL_VERSION), id: z.string().min(1).max(64) };
const jobid = z.string().min(1).max(32);
const seconds = z.number().finite().nonnegative();

export const inventorySchema = z.object({
  hostname: z.string().min(1).max(253),
  cores: z.number().int().min(1).max(100_000),
  sockets: z.number().int().min(1).max(1024).optional(),
  gpus: z.number().int().min(0).max(1024),
  memoryMB: z.number().int().min(0),
  properties: z.array(z.string().min(1).max(128)).max(64),
  zone: z.string().min(1).max(128).optional(),
  group: z.string().min(1).max(128).optional(),
});

/** 5.5 */
export const exitedBody = z.object({
  jobid,
  time: seconds,
  status: z.number().int().min(0),
  tasks: z.array(z.object({ rank: z.number().int().min(0), status: z.number().int().min(0) })).max(100_000),
  outputChunks: z.number().int().min(0),
  timedOut: z.boolean().optional(),
  error: z.string().max(4096).optional(),
});

export const helloSchema = z.object({
  ...base,
  type: z.literal('hello'),
  token: z.string().min(1).max(4096),
  node: inventorySchema,
  agent: z.object({ version: z.string().max(64), pid: z.number().int(), startedAt: seconds }),
  running: z.array(z.object({ jobid, startedAt: seconds })).max(10_000),
  exited: z.array(exitedBody).max(10_000),
  instanceId: z.string().max(128).optional(),
});

export const heartbeatSchema = z.object({
  ...base,
  type: z.literal('heartbeat'),
  running: z.array(jobid).max(10_000),
});

export const jobStartedSchema = z.object({ ...base, type: z.literal('job.started'), jobid, time: seconds });

export const outputEntry = z.object({
  stream: z.enum(['stdout', 'stderr']),
  task: z.number().int().min(0),
  data: z.string(),
});

export const jobOutputSchema = z.object({
  ...base,
  type: z.literal('job.output'),
  jobid,
  seq: z.number().int().min(0),
  entries: z.array(outputEntry).max(10_000),
  truncated: z.boolean().optional(),
});

export const jobExitedSchema = exitedBody.extend({ ...base, type: z.literal('job.exited') });

export const nodeEventSchema = z.object({
  ...base,
  type: z.literal('node.event'),
  kind: z.enum(['spot-interruption', 'shutdown']),
  at: seconds.optional(),
});

export const ackSchema = z.object({
  ...base,
  type: z.literal('ack'),
  of: z.string().min(1).max(64),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

export const welcomeSchema = z.object({
  ...base,
  type: z.literal('welcome'),
  node: z.string(),
  rank: z.number().int().min(0),
  credential: z.string(),
  heartbeatSeconds: z.number().positive(),
  signingKey: z.string(),
  kill: z.array(jobid),
  drained: z.boolean(),
});

/** 5.1: what the signature covers. */
export const jobStartBody = z.object({
  jobid,
  nodeRank: z.number().int().min(0),
  nnodes: z.number().int().min(1),
  size: z.number().int().min(1),
  taskRanks: z.string(),
  nodelist: z.string(),
  command: z.array(z.string()).min(1),
  env: z.record(z.string(), z.string()),
  cwd: z.string(),
  duration: seconds,
  cores: z.string(),
  gpus: z.string(),
  issuedAt: seconds,
});

export const jobStartSchema = z.object({ ...base, type: z.literal('job.start'), job: jobStartBody, signature: z.string() });

export const jobKillSchema = z.object({
  ...base,
  type: z.literal('job.kill'),
  jobid,
  signal: z.enum(['SIGTERM', 'SIGKILL', 'SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2']).optional(),
  graceSeconds: seconds.optional(),
  reason: z.string().max(1024),
});

export const drainSchema = z.object({ ...base, type: z.literal('drain'), reason: z.string().max(1024) });
export const undrainSchema = z.object({ ...base, type: z.literal('undrain') });
export const shutdownSchema = z.object({
  ...base,
  type: z.literal('shutdown'),
  reason: z.string().max(1024),
  graceSeconds: seconds.optional(),
});

/**
 * 7.1: the close code and reason, sent just before the transport closes (API Gateway's DeleteConnection carries
 * neither). The agent treats it exactly as a close with this code and reason; it is not acknowledged.
 */
export const closeSchema = z.object({
  ...base,
  type: z.literal('close'),
  code: z.number().int().min(1000).max(4999),
  reason: z.string().max(MAX_CLOSE_REASON),
});

export const agentMessageSchema = z.discriminatedUnion('type', [
  helloSchema,
  heartbeatSchema,
  jobStartedSchema,
  jobOutputSchema,
  jobExitedSchema,
  nodeEventSchema,
  ackSchema,
]);

export const controlMessageSchema = z.discriminatedUnion('type', [
  welcomeSchema,
  jobStartSchema,
  jobKillSchema,
  drainSchema,
  undrainSchema,
  shutdownSchema,
  closeSchema,
  ackSchema,
]);

export type AgentMessage = z.infer<typeof agentMessageSchema>;
export type ControlMessage = z.infer<typeof controlMessageSchema>;
export type Hello = z.infer<typeof helloSchema>;
export type Welcome = z.infer<typeof welcomeSchema>;
export type JobStart = z.infer<typeof jobStartSchema>;
export type JobStartBody = z.infer<typeof jobStartBody>;
export type JobExited = z.infer<typeof jobExitedSchema>;
export type ExitedBody = z.infer<typeof exitedBody>;
export type JobOutput = z.infer<typeof jobOutputSchema>;
export type Ack = z.infer<typeof ackSchema>;
export type Close = z.infer<typeof closeSchema>;

/** A message without its envelope, as senders build it before an id is assigned. */
export type Unsent<M> = M extends unknown ? Omit<M, 'v' | 'id'> : never;

/** Why a frame was refused (2.3): the close code and a sentence for the close reason. */
export class ProtocolError extends Error {
  readonly closeCode: number = CloseCode.protocolError;
}

/**
 * Parses one frame (1.2) into its messages, validating each against `schema` (2.3).
 * @example parseFrame('{"v":1,"id":"a1","type":"heartbeat","running":[]}', agentMessageSchema)
 */
export function parseFrame<T>(text: string, schema: z.ZodType<T>): T[] {
  if (text.length > MAX_FRAME_BYTES * 4) throw new ProtocolError(`frame too large (${text.length} bytes)`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProtocolError('frame is not valid JSON');
  }
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) throw new ProtocolError('empty batch');
  return items.map((item, i) => {
    const where = Array.isArray(value) ? `message ${i}` : 'message';
    if (typeof item !== 'object' || item === null) throw new ProtocolError(`${where}: not an object`);
    const rec = item as Record<string, unknown>;
    if (rec.v !== PROTOCOL_VERSION) throw new ProtocolError(`${where}: unsupported protocol version ${JSON.stringify(rec.v)}`);
    if (typeof rec.type !== 'string' || !knownTypes(schema).has(rec.type)) {
      throw new ProtocolError(`${where}: unknown message type ${JSON.stringify(rec.type)}`);
    }
    const parsed = schema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.length ? issue.path.join('.') : '';
      throw new ProtocolError(`${where} (${rec.type}): ${path ? path + ': ' : ''}${issue?.message}`);
    }
    return parsed.data;
  });
}

const typesOf = new WeakMap<object, Set<string>>();
/** The message types a discriminated-union schema accepts. */
function knownTypes(schema: z.ZodType): Set<string> {
  let types = typesOf.get(schema);
  if (!types) {
    const options = (schema as unknown as { options?: Array<{ shape: { type: { value: string } } }> }).options ?? [];
    types = new Set(options.map((o) => o.shape.type.value));
    typesOf.set(schema, types);
  }
  return types;
}

const encoder = new TextEncoder();

/** Splits messages into frames of at most MAX_FRAME_BYTES of UTF-8 (1.2); each frame is a JSON array. */
export function packFrames(messages: object[]): string[] {
  const frames: string[] = [];
  let current: string[] = [];
  let size = 2;
  for (const m of messages) {
    const text = JSON.stringify(m);
    // ASCII text is one byte per character; only measure the UTF-8 length when there is more.
    const bytes = /^[\x00-\x7f]*$/.test(text) ? text.length : encoder.encode(text).length;
    if (current.length && size + bytes + 1 > MAX_FRAME_BYTES) {
      frames.push(`[${current.join(',')}]`);
      current = [];
      size = 2;
    }
    current.push(text);
    size += bytes + 1;
  }
  if (current.length) frames.push(`[${current.join(',')}]`);
  return frames;
}

/** 5.1: the canonical JSON (sorted keys, no whitespace) that `job.start` signatures cover. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// output.ts - batches one job's task output into `job.output` messages (agent protocol 5.4).
// Invariants: a batch goes out at most `intervalMs` after its first byte or as soon as it holds `batchBytes` (measured
// as the JSON-escaped UTF-8 size of its data plus a per-entry allowance, so a message stays far below 30 KiB); seq
// counts 0, 1, 2…; multi-byte characters are never split between chunks; after `capBytes` bytes of raw output, the
// rest is dropped and the chunk that carries the last kept bytes (or an empty one) has `truncated: true`.
import { StringDecoder } from 'node:string_decoder';
import type { JobOutput, Unsent } from '../control/agents/protocol.ts';
import type { Stream } from './tasks.ts';

export const DEFAULT_OUTPUT_INTERVAL_MS = 50;
export const DEFAULT_OUTPUT_BATCH_BYTES = 16 * 1024;
export const DEFAULT_OUTPUT_CAP_BYTES = 10 * 1024 * 1024;

/** Bytes an entry's envelope (`{"stream":"stdout","task":123,"data":""}`) adds, rounded up. */
const ENTRY_OVERHEAD = 48;

export interface OutputOptions {
  jobid: string;
  emit(message: Unsent<JobOutput>): void;
  intervalMs?: number;
  batchBytes?: number;
  capBytes?: number;
}

interface Entry {
  stream: Stream;
  task: number;
  data: string;
}

const PLAIN = /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/;

/** The size of `text` once JSON-escaped and UTF-8 encoded (without the quotes). */
export function jsonCost(text: string): number {
  if (PLAIN.test(text)) return text.length;
  let cost = 0;
  for (let i = 0; i < text.length; i++) cost += charCost(text, i);
  return cost;
}

function charCost(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 0x20) return c === 8 || c === 9 || c === 10 || c === 12 || c === 13 ? 2 : 6;
  if (c === 0x22 || c === 0x5c) return 2;
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = text.charCodeAt(i + 1);
    return next >= 0xdc00 && next <= 0xdfff ? 4 : 6; // a pair: 4 bytes, counted on its first half
  }
  if (c >= 0xdc00 && c <= 0xdfff) {
    const prev = text.charCodeAt(i - 1);
    return prev >= 0xd800 && prev <= 0xdbff ? 0 : 6;
  }
  return 3;
}

/** The longest prefix of `text` whose cost fits `budget` (at least one character, never half a surrogate pair). */
function cut(text: string, budget: number): number {
  let cost = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    const width = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
    cost += charCost(text, i);
    if (cost > budget && i > 0) break;
    i += width;
  }
  return i;
}

/** One job's output on this node. */
export class OutputBatcher {
  private readonly options: Required<Omit<OutputOptions, 'emit' | 'jobid'>>;
  private readonly decoders = new Map<string, StringDecoder>();
  private entries: Entry[] = [];
  private cost = 0;
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;
  private kept = 0;
  private truncated = false;
  private closed = false;

  constructor(private readonly spec: OutputOptions) {
    this.options = {
      intervalMs: spec.intervalMs ?? DEFAULT_OUTPUT_INTERVAL_MS,
      batchBytes: spec.batchBytes ?? DEFAULT_OUTPUT_BATCH_BYTES,
      capBytes: spec.capBytes ?? DEFAULT_OUTPUT_CAP_BYTES,
    };
  }

  /** How many `job.output` messages were emitted (5.5 `outputChunks`). */
  get chunks(): number {
    return this.seq;
  }

  /** Takes a chunk read from a task's pipe. */
  append(stream: Stream, task: number, data: Buffer): void {
    if (this.closed || this.truncated) return;
    let bytes = data;
    let overflow = false;
    if (this.kept + bytes.length > this.options.capBytes) {
      bytes = bytes.subarray(0, this.options.capBytes - this.kept);
      overflow = true;
    }
    this.kept += bytes.length;
    const key = `${stream}:${task}`;
    let decoder = this.decoders.get(key);
    if (!decoder) this.decoders.set(key, (decoder = new StringDecoder('utf8')));
    const text = decoder.write(bytes);
    if (text) this.add(stream, task, text);
    if (overflow) {
      this.truncated = true;
      this.flush();
    } else if (!this.timer && this.entries.length > 0) {
      this.timer = setTimeout(() => this.flush(), this.options.intervalMs);
    }
  }

  /** Emits what is buffered (and the truncation mark, once). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const markTruncated = this.truncated && !this.closed;
    if (this.entries.length === 0 && !markTruncated) return;
    const message: Unsent<JobOutput> = { type: 'job.output', jobid: this.spec.jobid, seq: this.seq++, entries: this.entries };
    if (markTruncated) {
      message.truncated = true;
      this.closed = true;
    }
    this.entries = [];
    this.cost = 0;
    this.spec.emit(message);
  }

  /** The tasks are done: decode what is left and emit the last batch. No output is taken afterwards. */
  close(): void {
    if (!this.truncated && !this.closed) {
      for (const [key, decoder] of this.decoders) {
        const rest = decoder.end();
        const [stream, task] = key.split(':');
        if (rest) this.add(stream as Stream, Number(task), rest);
      }
    }
    this.flush();
    this.closed = true;
  }

  private add(stream: Stream, task: number, text: string): void {
    let rest = text;
    while (rest.length > 0) {
      const last = this.entries[this.entries.length - 1];
      const merge = last !== undefined && last.stream === stream && last.task === task;
      const room = this.options.batchBytes - this.cost - (merge ? 0 : ENTRY_OVERHEAD);
      const restCost = jsonCost(rest);
      if (restCost <= room) {
        this.put(merge ? last : undefined, stream, task, rest, restCost);
        break;
      }
      if (room < 64 && this.entries.length > 0) {
        this.flush();
        continue;
      }
      const n = cut(rest, Math.max(room, 64));
      const piece = rest.slice(0, n);
      this.put(merge ? last : undefined, stream, task, piece, jsonCost(piece));
      rest = rest.slice(n);
      this.flush();
    }
    if (this.cost >= this.options.batchBytes) this.flush();
  }

  private put(into: Entry | undefined, stream: Stream, task: number, data: string, cost: number): void {
    if (into) into.data += data;
    else this.entries.push({ stream, task, data });
    this.cost += cost + (into ? 0 : ENTRY_OVERHEAD);
  }
}

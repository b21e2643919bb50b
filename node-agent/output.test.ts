// output.test.ts - batching of task output into job.output messages (agent protocol 5.4).
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobOutput, Unsent } from '../control/agents/protocol.ts';
import { OutputBatcher, jsonCost } from './output.ts';

function batcher(options: { batchBytes?: number; capBytes?: number; intervalMs?: number } = {}) {
  const sent: Array<Unsent<JobOutput>> = [];
  const b = new OutputBatcher({ jobid: 'ƒj', emit: (m) => sent.push(structuredClone(m)), ...options });
  return { b, sent };
}

const text = (sent: Array<Unsent<JobOutput>>, stream = 'stdout', task = 0): string =>
  sent.flatMap((m) => m.entries).filter((e) => e.stream === stream && e.task === task).map((e) => e.data).join('');

describe('5.4 output batching', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends what arrived within 50 ms as one message, merging consecutive chunks of a task', () => {
    vi.useFakeTimers();
    const { b, sent } = batcher();
    b.append('stdout', 0, Buffer.from('a'));
    b.append('stdout', 0, Buffer.from('b'));
    b.append('stderr', 1, Buffer.from('c'));
    vi.advanceTimersByTime(49);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([{ type: 'job.output', jobid: 'ƒj', seq: 0, entries: [{ stream: 'stdout', task: 0, data: 'ab' }, { stream: 'stderr', task: 1, data: 'c' }] }]);
    b.append('stdout', 0, Buffer.from('d'));
    b.close();
    expect(sent.map((m) => m.seq)).toEqual([0, 1]);
    expect(b.chunks).toBe(2);
  });

  it('sends as soon as 16 KiB are buffered, and keeps every message well under 30 KiB even for escaped bytes', () => {
    const { b, sent } = batcher();
    b.append('stdout', 0, Buffer.alloc(40_000, 'x'));
    expect(sent.length).toBe(2);
    b.append('stdout', 0, Buffer.alloc(40_000, 1)); // \u0001: 6 bytes each in JSON
    b.close();
    for (const m of sent) expect(Buffer.byteLength(JSON.stringify(m))).toBeLessThan(17 * 1024);
    expect(text(sent)).toBe('x'.repeat(40_000) + '\u0001'.repeat(40_000));
  });

  it('never splits a multi-byte character between chunks', () => {
    const { b, sent } = batcher({ batchBytes: 100 });
    const euro = Buffer.from('€'.repeat(200));
    for (let i = 0; i < euro.length; i += 7) b.append('stdout', 0, euro.subarray(i, i + 7));
    b.close();
    expect(text(sent)).toBe('€'.repeat(200));
    for (const m of sent) for (const e of m.entries) expect(e.data).not.toContain('\ufffd');
  });

  it('drops output past the cap and marks the last chunk truncated', () => {
    const { b, sent } = batcher({ capBytes: 10 });
    b.append('stdout', 0, Buffer.from('12345678'));
    b.append('stdout', 0, Buffer.from('abcdef'));
    b.append('stdout', 0, Buffer.from('more'));
    b.close();
    expect(text(sent)).toBe('12345678ab');
    expect(sent.at(-1)?.truncated).toBe(true);
    expect(sent.filter((m) => m.truncated).length).toBe(1);
  });

  it('sends an empty truncated chunk when the cap was met exactly by earlier chunks', () => {
    const { b, sent } = batcher({ capBytes: 4 });
    b.append('stdout', 0, Buffer.from('1234'));
    b.flush();
    b.append('stdout', 0, Buffer.from('5'));
    b.close();
    expect(sent.map((m) => [m.entries.length, m.truncated])).toEqual([[1, undefined], [0, true]]);
  });

  it('measures the JSON size of text', () => {
    expect(jsonCost('plain text')).toBe(10);
    expect(jsonCost('a"b\\\n')).toBe(8);
    expect(jsonCost('\u0001é€😀')).toBe(6 + 2 + 3 + 4);
    expect(jsonCost('x\ud800')).toBe(7);
  });
});

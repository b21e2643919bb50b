// protocol.test.ts - sections 1.2, 2.3 and 7.1 of docs/agent-protocol.md: frames, batches, refusals, close.
import { describe, expect, it } from 'vitest';
import { agentMessageSchema, canonicalJson, controlMessageSchema, MAX_FRAME_BYTES, packFrames, parseFrame, ProtocolError } from './protocol.ts';

describe('1.2 frames', () => {
  it('accepts one message or a batch, in order', () => {
    const one = parseFrame('{"v":1,"id":"a1","type":"heartbeat","running":[]}', agentMessageSchema);
    expect(one.map((m) => m.type)).toEqual(['heartbeat']);
    const batch = parseFrame(JSON.stringify([{ v: 1, id: 'a2', type: 'job.started', jobid: 'ƒ1', time: 1 }, { v: 1, id: 'a3', type: 'heartbeat', running: [] }]), agentMessageSchema);
    expect(batch.map((m) => m.id)).toEqual(['a2', 'a3']);
  });

  it('packs frames under 32 KiB of UTF-8, even for multi-byte text', () => {
    const big = 'é'.repeat(9000); // 18,000 bytes of UTF-8 in 9,000 characters
    const messages = [1, 2, 3].map((i) => ({ v: 1, id: `a${i}`, type: 'job.output', jobid: 'ƒ1', seq: i, entries: [{ stream: 'stdout', task: 0, data: big }] }));
    const frames = packFrames(messages);
    expect(frames.length).toBe(3);
    for (const f of frames) expect(new TextEncoder().encode(f).length).toBeLessThanOrEqual(MAX_FRAME_BYTES);
    expect(frames.flatMap((f) => parseFrame(f, agentMessageSchema)).map((m) => m.id)).toEqual(['a1', 'a2', 'a3']);
  });
});

describe('2.3 refusals', () => {
  const refuse = (text: string) => {
    try {
      parseFrame(text, agentMessageSchema);
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolError);
      return (err as Error).message;
    }
    throw new Error('accepted');
  };
  it('names an unknown message type', () => expect(refuse('{"v":1,"id":"a1","type":"job.teleport"}')).toBe('message: unknown message type "job.teleport"'));
  it('names a wrong version', () => expect(refuse('{"v":2,"id":"a1","type":"heartbeat","running":[]}')).toMatch(/unsupported protocol version 2/));
  it('names the bad field', () => expect(refuse('{"v":1,"id":"a1","type":"job.started","jobid":"ƒ1","time":"soon"}')).toMatch(/^message \(job.started\): time: /));
  it('refuses non-JSON and empty batches', () => {
    expect(refuse('{nope')).toBe('frame is not valid JSON');
    expect(refuse('[]')).toBe('empty batch');
  });
});

describe('5.1 canonical JSON', () => {
  it('sorts keys at every level and has no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[2,{"y":2,"z":1}]},"b":1}');
  });
});

describe('7.1 close', () => {
  it('is a control message with a close code and a reason', () => {
    const [close] = parseFrame('[{"v":1,"id":"x.1","type":"close","code":4003,"reason":"superseded"}]', controlMessageSchema);
    expect(close).toEqual({ v: 1, id: 'x.1', type: 'close', code: 4003, reason: 'superseded' });
  });

  it('refuses a code outside 1000-4999, a reason over 1024 characters, and a close from an agent', () => {
    const msg = (fields: object) => JSON.stringify({ v: 1, id: 'x.1', type: 'close', code: 4001, reason: '', ...fields });
    expect(() => parseFrame(msg({ code: 5000 }), controlMessageSchema)).toThrow(/code/);
    expect(() => parseFrame(msg({ reason: 'r'.repeat(1025) }), controlMessageSchema)).toThrow(/reason/);
    expect(() => parseFrame(msg({}), agentMessageSchema)).toThrow(/unknown message type "close"/);
  });
});

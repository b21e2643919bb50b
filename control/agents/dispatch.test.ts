// dispatch.test.ts - Dispatcher.settle(): it waits for every send started so far, including sends the caller did
// not await, and never rejects (a failed send is logged).
import { describe, expect, it } from 'vitest';
import { Dispatcher } from './dispatch.ts';
import type { AgentTransport, ConnectionRegistry } from './transport.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function dispatcher(o: { sendMs?: number; connOf?: (name: string) => Promise<string | undefined> } = {}) {
  const sent: string[] = [];
  const lines: string[] = [];
  const transport: AgentTransport = {
    send: async (conn, frames) => {
      await sleep(o.sendMs ?? 0);
      sent.push(...frames.map((f) => `${conn} ${f}`));
      return true;
    },
    close: async () => undefined,
  };
  const registry = {
    connOf: o.connOf ?? (async (name: string) => `conn-${name}`),
  } as unknown as ConnectionRegistry;
  const d = new Dispatcher({ transport, registry, sign: async () => 'sig', clock: () => 0, publicUri: 'http://x', log: (l) => lines.push(l) });
  return { d, sent, lines };
}

describe('Dispatcher.settle', () => {
  it('resolves at once when nothing was sent', async () => {
    const { d } = dispatcher();
    await d.settle();
  });

  it('waits for sends that were started without being awaited', async () => {
    const { d, sent } = dispatcher({ sendMs: 40 });
    void d.toNode('n1', { type: 'drain', reason: 'a' });
    void d.toNode('n2', { type: 'drain', reason: 'b' });
    expect(sent).toEqual([]);
    await d.settle();
    expect(sent.sort()).toEqual(['conn-n1 [{"type":"drain","reason":"a"}]', 'conn-n2 [{"type":"drain","reason":"b"}]']);
  });

  it('also waits for sends started while it waits', async () => {
    const { d, sent } = dispatcher({ sendMs: 20 });
    void d.toNode('n1', { type: 'drain', reason: 'first' }).then(() => void d.toNode('n1', { type: 'undrain' }));
    await d.settle();
    expect(sent).toEqual(['conn-n1 [{"type":"drain","reason":"first"}]', 'conn-n1 [{"type":"undrain"}]']);
  });

  it('does not reject when a send failed; the failure is logged and reaches the caller', async () => {
    const { d, lines } = dispatcher({ connOf: async () => Promise.reject(new Error('throttled')) });
    const sending = d.toNode('n1', { type: 'drain', reason: 'x' });
    await d.settle();
    await expect(sending).rejects.toThrow('throttled');
    expect(lines).toEqual(['dispatch: throttled']);
  });
});

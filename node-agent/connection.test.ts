// connection.test.ts - dialing, URIs and backoff (agent protocol 1.1, 4.3), with a fake socket factory and fake timers.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { agentUrl, backoffDelay, closeReason, httpBaseUri, startConnection, type SocketHandlers } from './connection.ts';

describe('1.1 endpoint', () => {
  it('uses ws(s) URIs as given and maps http(s)://host:port to the agent path', () => {
    expect(agentUrl('wss://abc.execute-api.us-east-1.amazonaws.com/prod')).toBe('wss://abc.execute-api.us-east-1.amazonaws.com/prod');
    expect(agentUrl('http://127.0.0.1:8080')).toBe('ws://127.0.0.1:8080/v1/agent');
    expect(agentUrl('https://flurry.example.org/')).toBe('wss://flurry.example.org/v1/agent');
    expect(() => agentUrl('ftp://x')).toThrow(/unsupported scheme/);
    expect(() => agentUrl('not a url')).toThrow(/not a URL/);
  });

  it('derives the HTTP base URI tasks get as FLURRY_URI', () => {
    expect(httpBaseUri('ws://127.0.0.1:8080/v1/agent')).toBe('http://127.0.0.1:8080');
    expect(httpBaseUri('wss://flurry.example.org/v1/agent')).toBe('https://flurry.example.org');
  });
});

describe('1.3 close reasons', () => {
  it('cuts a reason to the 123 bytes a close frame allows, on a character boundary', () => {
    expect(closeReason('short')).toBe('short');
    const cut = closeReason('ƒ'.repeat(100));
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(123);
    expect(cut).toBe(`${'ƒ'.repeat(60)}…`);
  });
});

describe('4.3 backoff', () => {
  it('doubles from 0.1 s to a 10 s cap, jittered into [50 %, 100 %]', () => {
    expect([0, 1, 2, 3, 6, 7, 20, 1000].map((n) => backoffDelay(n, undefined, () => 1))).toEqual([100, 200, 400, 800, 6400, 10_000, 10_000, 10_000]);
    expect(backoffDelay(3, undefined, () => 0)).toBe(400);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay(2);
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(400);
    }
  });
});

describe('4.3 redialing', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A factory whose sockets the test opens and closes by hand. */
  function fakeFactory() {
    const sockets: Array<{ url: string; handlers: SocketHandlers; closed: Array<[number?, string?]> }> = [];
    const factory = (url: string, handlers: SocketHandlers) => {
      const s = { url, handlers, closed: [] as Array<[number?, string?]> };
      sockets.push(s);
      return { send: () => {}, close: (code?: number, reason?: string) => (s.closed.push([code, reason]), handlers.close(code ?? 1000, reason ?? '')) };
    };
    return { sockets, factory };
  }

  it('waits the backoff before each redial and starts over after resetBackoff', () => {
    vi.useFakeTimers();
    const { sockets, factory } = fakeFactory();
    const delays: number[] = [];
    const conn = startConnection({
      url: 'ws://x/v1/agent',
      factory,
      random: () => 1,
      onOpen: () => {},
      onMessage: () => {},
      onClose: (_code, _reason, delay) => (delays.push(delay), 'reconnect'),
    });
    expect(sockets.length).toBe(1);
    sockets[0]!.handlers.close(1006, '');
    vi.advanceTimersByTime(99);
    expect(sockets.length).toBe(1);
    vi.advanceTimersByTime(1);
    expect(sockets.length).toBe(2);
    sockets[1]!.handlers.close(1006, '');
    vi.advanceTimersByTime(200);
    sockets[2]!.handlers.open();
    conn.resetBackoff();
    sockets[2]!.handlers.close(1001, 'gone');
    expect(delays).toEqual([100, 200, 100]);
    void conn.stop();
  });

  it('redials at once on reconnect-now and never after stop', () => {
    vi.useFakeTimers();
    const { sockets, factory } = fakeFactory();
    const opened: number[] = [];
    let decision: 'reconnect-now' | 'stop' = 'reconnect-now';
    startConnection({
      url: 'ws://x',
      factory,
      onOpen: () => opened.push(sockets.length),
      onMessage: () => {},
      onClose: () => decision,
    });
    sockets[0]!.handlers.close(4001, 'bad');
    vi.advanceTimersByTime(0);
    expect(sockets.length).toBe(2);
    decision = 'stop';
    sockets[1]!.handlers.close(4001, 'bad');
    vi.advanceTimersByTime(60_000);
    expect(sockets.length).toBe(2);
  });

  it('stop() closes the open socket with the given code and resolves', async () => {
    const { sockets, factory } = fakeFactory();
    const conn = startConnection({ url: 'ws://x', factory, onOpen: () => {}, onMessage: () => {}, onClose: () => 'reconnect' });
    sockets[0]!.handlers.open();
    expect(conn.socket).not.toBeNull();
    await conn.stop(4000, 'bye');
    expect(sockets[0]!.closed).toEqual([[4000, 'bye']]);
    expect(sockets.length).toBe(1);
  });

  it('ignores messages and opens of a socket it has given up on', () => {
    const { sockets, factory } = fakeFactory();
    const got: string[] = [];
    startConnection({ url: 'ws://x', factory, onOpen: () => got.push('open'), onMessage: (t) => got.push(t), onClose: () => 'stop' });
    sockets[0]!.handlers.close(1006, '');
    sockets[0]!.handlers.open();
    sockets[0]!.handlers.message('late');
    expect(got).toEqual([]);
  });
});

// management-transport.test.ts - the agent transport on the API Gateway Management API (mocked).
import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GoneException, LimitExceededException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { controlMessageSchema, packFrames, parseFrame } from '../agents/protocol.ts';
import { isGone, ManagementApiTransport } from './management-transport.ts';

const mock = mockClient(ApiGatewayManagementApiClient);
afterEach(() => mock.reset());
const decoder = new TextDecoder();
const client = () => new ApiGatewayManagementApiClient({ region: 'us-east-1', endpoint: 'https://abc.execute-api.us-east-1.amazonaws.com/agents' });
const gone = () => new GoneException({ message: 'Gone', $metadata: { httpStatusCode: 410 } });

describe('ManagementApiTransport', () => {
  it('posts each frame as one message, in order, to the connection', async () => {
    mock.on(PostToConnectionCommand).resolves({});
    const frames = packFrames(Array.from({ length: 40 }, (_, i) => ({ v: 1, id: `c${i}`, type: 'ack', of: 'x'.repeat(1500) })));
    expect(frames.length).toBeGreaterThan(1);
    expect(await new ManagementApiTransport(client()).send('C1', frames)).toBe(true);
    const calls = mock.commandCalls(PostToConnectionCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.ConnectionId)).toEqual(frames.map(() => 'C1'));
    expect(calls.map((c) => decoder.decode(c.Data as Uint8Array))).toEqual(frames);
    for (const c of calls) expect((c.Data as Uint8Array).length).toBeLessThanOrEqual(32 * 1024);
  });

  it('a 410 Gone resolves false, stops sending, and reports the connection gone once', async () => {
    mock.on(PostToConnectionCommand).rejects(gone());
    const reported: string[] = [];
    const t = new ManagementApiTransport(client(), { onGone: async (conn) => void reported.push(conn) });
    expect(await t.send('C2', ['[1]', '[2]'])).toBe(false);
    expect(mock.commandCalls(PostToConnectionCommand)).toHaveLength(1);
    expect(reported).toEqual(['C2']);
  });

  it('other failures are errors that name the connection', async () => {
    mock.on(PostToConnectionCommand).rejects(new LimitExceededException({ message: 'slow down', $metadata: {} }));
    await expect(new ManagementApiTransport(client()).send('C3', ['[]'])).rejects.toThrow(/posting to C3: slow down/);
  });

  it('refuses a message over API Gateway’s 128 KiB limit without posting it', async () => {
    await expect(new ManagementApiTransport(client()).send('C4', ['x'.repeat(128 * 1024 + 1)])).rejects.toThrow(/exceeds API Gateway/);
    expect(mock.commandCalls(PostToConnectionCommand)).toHaveLength(0);
  });

  it('closes with DeleteConnection; a connection already gone is closed', async () => {
    mock.on(PostToConnectionCommand).resolves({});
    mock.on(DeleteConnectionCommand, { ConnectionId: 'C5' }).resolves({}).on(DeleteConnectionCommand, { ConnectionId: 'C6' }).rejects(gone());
    const t = new ManagementApiTransport(client());
    await t.close('C5', 4003, 'superseded');
    await t.close('C6', 4003, 'superseded');
    expect(mock.commandCalls(DeleteConnectionCommand).map((c) => c.args[0].input.ConnectionId)).toEqual(['C5', 'C6']);
  });

  it('7.1: posts a close message with the code and reason, then deletes the connection', async () => {
    mock.on(PostToConnectionCommand).resolves({}).on(DeleteConnectionCommand).resolves({});
    await new ManagementApiTransport(client()).close('C7', 4003, 'superseded by a newer connection of this node');
    const calls = mock.calls().map((c) => c.args[0]);
    expect(calls.map((c) => c.constructor.name)).toEqual(['PostToConnectionCommand', 'DeleteConnectionCommand']);
    const [post, del] = calls.map((c) => c.input as { ConnectionId: string; Data?: Uint8Array });
    expect(post!.ConnectionId).toBe('C7');
    const text = decoder.decode(post!.Data!);
    expect(JSON.parse(text)).toEqual([{ v: 1, id: expect.any(String), type: 'close', code: 4003, reason: 'superseded by a newer connection of this node' }]);
    expect(parseFrame(text, controlMessageSchema)).toHaveLength(1); // what the agent accepts
    expect(del).toEqual({ ConnectionId: 'C7' });
  });

  it('7.1: a connection gone before the close message is not deleted; a failed post still deletes', async () => {
    mock.on(PostToConnectionCommand, { ConnectionId: 'C8' }).rejects(gone());
    mock.on(PostToConnectionCommand, { ConnectionId: 'C9' }).rejects(new LimitExceededException({ message: 'slow down', $metadata: {} }));
    mock.on(DeleteConnectionCommand).resolves({});
    const lines: string[] = [];
    const t = new ManagementApiTransport(client(), { log: (l) => lines.push(l) });
    await t.close('C8', 4001, 'unauthorized: token expired');
    await t.close('C9', 4002, 'message: not an object');
    expect(mock.commandCalls(DeleteConnectionCommand).map((c) => c.args[0].input.ConnectionId)).toEqual(['C9']);
    expect(lines).toContainEqual(expect.stringMatching(/telling C9 why it is closed: slow down/));
  });

  it('7.1: cuts a long reason to what the schema accepts', async () => {
    mock.on(PostToConnectionCommand).resolves({}).on(DeleteConnectionCommand).resolves({});
    await new ManagementApiTransport(client()).close('C10', 4002, `message (hello): ${'𝔵'.repeat(2000)}`);
    const text = decoder.decode(mock.commandCalls(PostToConnectionCommand)[0]!.args[0].input.Data as Uint8Array);
    const [msg] = parseFrame(text, controlMessageSchema);
    expect(msg).toMatchObject({ type: 'close', code: 4002, reason: expect.stringMatching(/^message \(hello\): (?:𝔵)+…$/u) });
    expect((msg as { reason: string }).reason.length).toBeLessThanOrEqual(1024);
  });

  it('recognizes Gone by name or by status', () => {
    expect(isGone(gone())).toBe(true);
    expect(isGone({ name: 'X', $metadata: { httpStatusCode: 410 } })).toBe(true);
    expect(isGone(new Error('x'))).toBe(false);
    expect(isGone(undefined)).toBe(false);
  });
});

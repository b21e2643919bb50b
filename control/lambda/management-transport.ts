// management-transport.ts - the agent transport on AWS: frames go out with the API Gateway Management API's
// PostToConnection (one WebSocket message per frame, in order), connections are closed with DeleteConnection.
// Invariants: a GoneException (410) means the agent is no longer there: `send` resolves false and the node is
// treated as disconnected (`onGone`), never as an error; frames are ≤ 32 KiB (packFrames), and nothing over API
// Gateway's 128 KiB message limit is ever posted.
// API Gateway cannot close with a code or reason, so `close` first posts a `close` message carrying them (agent
// protocol 7), then deletes the connection: the agent acts on the message as on a real close with that code.
import { ApiGatewayManagementApiClient, DeleteConnectionCommand, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { messageId } from '../agents/dispatch.ts';
import { MAX_CLOSE_REASON, packFrames, PROTOCOL_VERSION, type Close } from '../agents/protocol.ts';
import type { AgentTransport } from '../agents/transport.ts';

/** API Gateway's limit on one message posted to a connection. */
export const MAX_POST_BYTES = 128 * 1024;

const encoder = new TextEncoder();

export interface ManagementTransportOptions {
  /** The connection is gone (410): forget it and mark its node offline (the AgentHandler's `closed`). */
  onGone?: (conn: string) => Promise<void>;
  log?: (line: string) => void;
}

/** True for the Management API's "the connection with the provided id no longer exists". */
export function isGone(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return e?.name === 'GoneException' || e?.$metadata?.httpStatusCode === 410;
}

export class ManagementApiTransport implements AgentTransport {
  /** Set after the control plane exists (the handler needs the transport first). */
  onGone: ((conn: string) => Promise<void>) | undefined;

  constructor(
    private readonly client: ApiGatewayManagementApiClient,
    private readonly options: ManagementTransportOptions = {},
  ) {
    this.onGone = options.onGone;
  }

  /** A client for the stage's callback URL (https://{api}.execute-api.{region}.amazonaws.com/{stage}). */
  static forCallbackUrl(callbackUrl: string, region?: string, options?: ManagementTransportOptions): ManagementApiTransport {
    return new ManagementApiTransport(new ApiGatewayManagementApiClient({ endpoint: callbackUrl, region, maxAttempts: 3 }), options);
  }

  async send(conn: string, frames: string[]): Promise<boolean> {
    for (const frame of frames) {
      const data = encoder.encode(frame);
      if (data.length > MAX_POST_BYTES) {
        throw new Error(`posting to ${conn}: a frame of ${data.length} bytes exceeds API Gateway's ${MAX_POST_BYTES}-byte message limit`);
      }
      try {
        await this.client.send(new PostToConnectionCommand({ ConnectionId: conn, Data: data }));
      } catch (err) {
        if (!isGone(err)) throw new Error(`posting to ${conn}: ${(err as Error).message}`, { cause: err });
        await this.gone(conn);
        return false;
      }
    }
    return true;
  }

  /**
   * Posts a `close` message with the code and reason (protocol 7.1), then deletes the connection. A connection already
   * gone (410) is not deleted; a failed post is logged and the connection is deleted anyway (the agent then sees a
   * plain close and reconnects).
   */
  async close(conn: string, code: number, reason: string): Promise<void> {
    this.options.log?.(`agent link: closing ${conn} (${code} ${reason})`);
    const message: Close = { v: PROTOCOL_VERSION, id: messageId('x'), type: 'close', code, reason: truncate(reason, MAX_CLOSE_REASON) };
    try {
      await this.client.send(new PostToConnectionCommand({ ConnectionId: conn, Data: encoder.encode(packFrames([message])[0]!) }));
    } catch (err) {
      if (isGone(err)) return;
      this.options.log?.(`agent link: telling ${conn} why it is closed: ${(err as Error).message}`);
    }
    try {
      await this.client.send(new DeleteConnectionCommand({ ConnectionId: conn }));
    } catch (err) {
      if (!isGone(err)) throw new Error(`closing ${conn}: ${(err as Error).message}`, { cause: err });
    }
  }

  private async gone(conn: string): Promise<void> {
    this.options.log?.(`agent link: ${conn} is gone (410)`);
    await this.onGone?.(conn).catch((err: Error) => this.options.log?.(`agent link: forgetting ${conn}: ${err.message}`));
  }
}

/** `text` cut to at most `max` UTF-16 units (never inside a surrogate pair), ending in an ellipsis when cut. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  return `${/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut}…`;
}

// management-transport.ts - the agent transport on AWS: frames go out with the API Gateway Management API's
// PostToConnection (one WebSocket message per frame, in order), connections are closed with DeleteConnection.
// Invariants: a GoneException (410) means the agent is no longer there: `send` resolves false and the node is
// treated as disconnected (`onGone`), never as an error; frames are ≤ 32 KiB (packFrames), and nothing over API
// Gateway's 128 KiB message limit is ever posted.
// Limitation: API Gateway cannot send a close code or reason, so the agent sees a plain close instead of 4001/4003
// (docs/deploy.md, "Close codes").
import { ApiGatewayManagementApiClient, DeleteConnectionCommand, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
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

  async close(conn: string, code: number, reason: string): Promise<void> {
    // The code and reason cannot travel (DeleteConnection has neither); keep them in the log instead.
    this.options.log?.(`agent link: closing ${conn} (${code} ${reason})`);
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

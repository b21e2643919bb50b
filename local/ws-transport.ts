// ws-transport.ts - the local agent link: a `ws` server on the control plane's HTTP server (path /v1/agent),
// feeding frames to the shared agent handler and carrying its replies.
// Invariant: frames of one connection are processed concurrently (so their work joins the same group commits),
// except that nothing overtakes a `hello`: later frames wait until the connection is bound to its node.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AgentHandler } from '../control/agents/handler.ts';
import type { AgentTransport } from '../control/agents/transport.ts';
import { MAX_FRAME_BYTES } from '../control/agents/protocol.ts';

export const AGENT_PATH = '/v1/agent';

export class WsAgentLink implements AgentTransport {
  private readonly sockets = new Map<string, WebSocket>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES * 4 });
  private next = 0;

  private handler: AgentHandler | undefined;
  private log: ((line: string) => void) | undefined;

  /** From now on `handler` gets every frame and close (the link exists before the plane that makes the handler). */
  serve(handler: AgentHandler, log?: (line: string) => void): void {
    this.handler = handler;
    this.log = log;
  }

  /** Takes over an HTTP upgrade for /v1/agent (the server's upgrade router decides which link gets which path). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!this.handler) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, this.log));
  }

  private accept(ws: WebSocket, log?: (line: string) => void): void {
    const conn = `L${++this.next}`;
    this.sockets.set(conn, ws);
    let gate: Promise<void> = Promise.resolve();
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      const run = () =>
        this.handler!.frame(conn, text).catch((err: Error) => {
          log?.(`agent link: ${conn}: ${err.message}`);
          ws.close(1011, 'internal error');
        });
      if (text.includes('"hello"')) gate = gate.then(run);
      else void gate.then(run);
    });
    ws.on('close', () => {
      this.sockets.delete(conn);
      void gate.then(() => this.handler!.closed(conn)).catch((err: Error) => log?.(`agent link: ${conn} close: ${err.message}`));
    });
    ws.on('error', () => ws.terminate());
  }

  async send(conn: string, frames: string[]): Promise<boolean> {
    const ws = this.sockets.get(conn);
    if (!ws || ws.readyState !== ws.OPEN) return false;
    for (const f of frames) ws.send(f);
    return true;
  }

  async close(conn: string, code: number, reason: string): Promise<void> {
    const ws = this.sockets.get(conn);
    if (!ws) return;
    // Close reasons are limited to 123 bytes by RFC 6455.
    ws.close(code, Buffer.from(reason).subarray(0, 123).toString());
    this.sockets.delete(conn);
  }

  /** Closes every agent connection (shutdown). */
  closeAll(code: number, reason: string): void {
    for (const ws of this.sockets.values()) ws.close(code, reason);
    this.sockets.clear();
    this.wss.close();
  }

  get connections(): number {
    return this.sockets.size;
  }
}

// testing.ts - a scripted control plane for the agent's tests: a real `ws` server on an ephemeral port with a real
// Ed25519 key. Invariants: every frame the agent sends is parsed with the protocol's own schemas (a malformed message
// fails the test); messages are acknowledged automatically unless `ack` says otherwise; `close()` frees the port.
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { PROTOCOL_VERSION, agentMessageSchema, parseFrame, type AgentMessage, type JobStartBody, type Welcome } from '../control/agents/protocol.ts';
import { createSigner, generateSigningKey, type SigningKeyPair } from '../control/security/signing.ts';
import { runAgent, type AgentHandle, type AgentOptions } from './agent.ts';

type Of<T extends AgentMessage['type']> = Extract<AgentMessage, { type: T }>;

/** One agent connection as the control plane sees it. */
export class FakeLink {
  readonly messages: AgentMessage[] = [];
  /** Each frame's messages, to check what was batched together. */
  readonly frames: AgentMessage[][] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Which messages to acknowledge (default: all but acks). */
  ack: (msg: AgentMessage) => boolean = () => true;
  private taken = new Set<AgentMessage>();
  private waiters: Array<() => void> = [];
  private nextId = 1;

  constructor(
    readonly ws: WebSocket,
    private readonly plane: FakeControlPlane,
  ) {
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data) => {
      const batch = parseFrame(String(data), agentMessageSchema);
      this.frames.push(batch);
      for (const msg of batch) {
        this.messages.push(msg);
        if (msg.type !== 'ack' && this.ack(msg)) this.send({ type: 'ack', of: msg.id });
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Sends control messages (ids and version filled in) as one frame. */
  send(...messages: object[]): void {
    const full = messages.map((m) => ({ v: PROTOCOL_VERSION, id: `c${this.nextId++}`, ...m }));
    this.ws.send(JSON.stringify(full.length === 1 ? full[0] : full));
  }

  /** The next message of `type` (matching `where`) not returned before; waits up to `timeoutMs`. */
  async next<T extends AgentMessage['type']>(type: T, where: (m: Of<T>) => boolean = () => true, timeoutMs = 3000): Promise<Of<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find((m): m is Of<T> => m.type === type && !this.taken.has(m) && where(m as Of<T>));
      if (found) {
        this.taken.add(found);
        return found;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type} within ${timeoutMs} ms; got ${this.messages.map((m) => m.type).join(', ')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for `hello`, answers `welcome`; returns the hello. */
  async welcome(overrides: Partial<Welcome> = {}): Promise<Of<'hello'>> {
    const hello = await this.next('hello');
    this.send({
      type: 'welcome',
      node: 'n0',
      rank: 0,
      credential: 'node-credential-1',
      heartbeatSeconds: 30,
      signingKey: this.plane.key.publicKey,
      kill: [],
      drained: false,
      ...overrides,
    });
    return hello;
  }

  /** Signs and sends `job.start`; returns the job body. */
  async start(job: Partial<JobStartBody> = {}, { signature }: { signature?: string } = {}): Promise<JobStartBody> {
    const body = jobBody(job);
    this.send({ type: 'job.start', job: body, signature: signature ?? (await this.plane.sign(body)) });
    return body;
  }
}

let jobCounter = 0;

/** A `job.start` body for one task of `true` on this node, with fields replaced by `job`. */
export function jobBody(job: Partial<JobStartBody> = {}): JobStartBody {
  return {
    jobid: `ƒtest${++jobCounter}`,
    nodeRank: 0,
    nnodes: 1,
    size: 1,
    taskRanks: '0',
    nodelist: 'n0',
    command: ['true'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    cwd: process.cwd(),
    duration: 0,
    cores: '0',
    gpus: '',
    issuedAt: Date.now() / 1000,
    ...job,
  };
}

/** The server side: `url` to give the agent, `links` in connection order. */
export class FakeControlPlane {
  readonly links: FakeLink[] = [];
  private waiters: Array<() => void> = [];
  private constructor(
    private readonly server: WebSocketServer,
    readonly key: SigningKeyPair,
    readonly sign: (body: unknown) => Promise<string>,
    readonly port: number,
  ) {
    server.on('connection', (ws) => {
      this.links.push(new FakeLink(ws, this));
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Listens on `port` (default: any free one). */
  static async start(port = 0): Promise<FakeControlPlane> {
    const key = await generateSigningKey();
    const sign = await createSigner(key.privateJwk);
    const server = new WebSocketServer({ host: '127.0.0.1', port, path: '/v1/agent' });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', () => resolve());
      server.once('error', reject);
    });
    return new FakeControlPlane(server, key, sign, (server.address() as AddressInfo).port);
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/v1/agent`;
  }

  /** Connection number `n` (0-based), waiting for it up to `timeoutMs`. */
  async link(n = 0, timeoutMs = 3000): Promise<FakeLink> {
    const deadline = Date.now() + timeoutMs;
    while (!this.links[n]) {
      if (Date.now() >= deadline) throw new Error(`connection ${n} did not arrive within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.links[n]!;
  }

  async close(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The join token test agents present. */
export const TEST_JOIN_TOKEN = 'join-token-1';

/** Starts an agent against `plane` with a fixed inventory, quick backoff and a short kill grace. */
export function startTestAgent(plane: FakeControlPlane, options: Partial<AgentOptions> = {}): Promise<AgentHandle> {
  return runAgent({
    uri: plane.url,
    token: TEST_JOIN_TOKEN,
    inventory: { hostname: 'test-node', cores: 2, sockets: 1, gpus: 0, memoryMB: 1024 },
    backoff: { initialMs: 20, maxMs: 200 },
    killGraceSeconds: 0.5,
    ...options,
  });
}

/** Whether process `pid` exists and is not a zombie waiting to be reaped by init. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(2)
  }
}

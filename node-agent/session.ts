// session.ts - the agent's message layer over successive connections: ids, frames, acks, resends (2.1-2.4, 3.1).
// Invariants: ids `a<n>` never repeat within an agent's life (so within a connection); before `welcome` only `hello`
// goes out (2.4); every outgoing message sits in exactly one place (queue, unacked, or gone); messages are sent in
// the order they were made, batched into frames by `packFrames`; urgent messages go out on the next turn of the event
// loop, lazy ones wait at most `holdMs` so a fast job's ack, `job.started`, output and `job.exited` share a frame.
import { PROTOCOL_VERSION, packFrames, type Ack, type AgentMessage, type Hello, type Unsent } from '../control/agents/protocol.ts';

/**
 * What happens to a message the control plane has not acknowledged when the connection drops:
 * 'drop' (heartbeats, acks, job.started: `hello` re-reports what matters), 'resend' (job.output, node.event: sent
 * again after the next `welcome`), 'hello' (job.exited: the owner puts it in the next `hello`'s `exited`).
 */
export type ResendPolicy = 'drop' | 'resend' | 'hello';

/** Called with the ack's error when refused (2.2: then never resent), or with nothing once accepted. */
export type AckCallback = (error?: { code: string; message: string }) => void;

export interface SendOptions {
  policy?: ResendPolicy;
  /** Go out on the next event-loop turn rather than within `holdMs`. */
  urgent?: boolean;
  onAck?: AckCallback;
}

/** Where frames go: the open socket of the current connection. */
export interface FrameSink {
  send(text: string): void;
}

interface Outgoing {
  order: number;
  body: Unsent<AgentMessage>;
  policy: ResendPolicy;
  onAck: AckCallback | undefined;
  id?: string;
}

type Phase = 'down' | 'handshake' | 'up';

/** Ids, batching, acks and resends for one agent; `attach`/`welcomed`/`detach` follow the connection. */
export class Session {
  private phase: Phase = 'down';
  private sink: FrameSink | null = null;
  private nextId = 1;
  private nextOrder = 1;
  private queue: Outgoing[] = [];
  private readonly unacked = new Map<string, Outgoing>();
  private immediate: NodeJS.Immediate | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly holdMs: number;

  constructor(options: { holdMs?: number } = {}) {
    this.holdMs = options.holdMs ?? 10;
  }

  /** A socket opened: only `hello` may be sent until `welcomed()`. */
  attach(sink: FrameSink): void {
    this.sink = sink;
    this.phase = 'handshake';
  }

  /**
   * Sends `hello` at once; `onAck` fires when the control plane acknowledges it (its `exited` entries are then durable).
   * @returns the hello's id
   */
  hello(body: Unsent<Hello>, onAck?: AckCallback): string {
    const out: Outgoing = { order: this.nextOrder++, body, policy: 'drop', onAck };
    this.transmit([out]);
    return out.id!;
  }

  /** `welcome` arrived: messages kept for resending and those queued during the handshake go out now. */
  welcomed(): void {
    this.phase = 'up';
    if (this.queue.length > 0) this.schedule(true);
  }

  /** The connection dropped: forget what cannot be resent, keep the rest (in order) for the next `welcome`. */
  detach(): void {
    this.phase = 'down';
    this.sink = null;
    this.clearTimers();
    const kept = [...this.unacked.values(), ...this.queue].filter((m) => m.policy === 'resend');
    this.unacked.clear();
    for (const m of kept) delete m.id;
    this.queue = kept.sort((a, b) => a.order - b.order);
  }

  /** Queues a message (or drops it at once while disconnected, unless its policy is 'resend'). */
  send(body: Unsent<AgentMessage>, options: SendOptions = {}): void {
    const policy = options.policy ?? 'drop';
    if (this.phase === 'down' && policy !== 'resend') return;
    this.queue.push({ order: this.nextOrder++, body, policy, onAck: options.onAck });
    if (this.phase === 'up') this.schedule(options.urgent ?? false);
  }

  /** Acknowledges a control-plane message (2.2), with an error when it was refused. */
  reply(of: string, error?: { code: string; message: string }): void {
    this.send({ type: 'ack', of, ...(error ? { error } : {}) }, { policy: 'drop' });
  }

  /** An ack from the control plane: settle the message it names. Unknown ids (an earlier connection's) are ignored. */
  received(ack: Ack): void {
    const out = this.unacked.get(ack.of);
    if (!out) return;
    this.unacked.delete(ack.of);
    out.onAck?.(ack.error);
  }

  /** How many sent messages still wait for an ack, and how many wait to be sent. */
  get pending(): { unacked: number; queued: number } {
    return { unacked: this.unacked.size, queued: this.queue.length };
  }

  /** Sends everything queued now (when up). */
  flush(): void {
    this.clearTimers();
    if (this.phase !== 'up' || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.transmit(batch);
  }

  /** Stops the timers (the agent is going away). */
  close(): void {
    this.clearTimers();
  }

  private transmit(batch: Outgoing[]): void {
    const messages = batch.map((out) => {
      out.id = `a${this.nextId++}`;
      if (out.body.type !== 'ack') this.unacked.set(out.id, out);
      return { v: PROTOCOL_VERSION, id: out.id, ...out.body };
    });
    const sink = this.sink;
    if (!sink) return;
    for (const frame of packFrames(messages)) sink.send(frame);
  }

  private schedule(urgent: boolean): void {
    if (this.immediate) return;
    if (urgent || this.holdMs <= 0) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      this.immediate = setImmediate(() => {
        this.immediate = null;
        this.flush();
      });
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.holdMs);
    }
  }

  private clearTimers(): void {
    if (this.immediate) clearImmediate(this.immediate);
    if (this.timer) clearTimeout(this.timer);
    this.immediate = null;
    this.timer = null;
  }
}

// options.ts - what `runAgent` takes and returns: the agent's configuration, its handle and how it ended.
// Invariant: every field is optional except `uri`; defaults are those of the protocol (docs/agent-protocol.md).
import type { BackoffOptions, SocketFactory } from './connection.ts';
import type { Inventory } from './inventory.ts';

export const AGENT_VERSION = '0.1.0';

export interface AgentOptions {
  /** ws(s)://… of the agent endpoint, or http(s)://host:port of the control plane (`/v1/agent` is appended). */
  uri: string;
  /** The join token; optional when `stateDir` holds a node credential. */
  token?: string;
  /** Where the credential, running process groups and unacknowledged reports are kept across restarts. */
  stateDir?: string;
  /** PEM of a CA (or self-signed certificate) to trust for wss://. */
  ca?: string | Buffer;
  /** Fields that override detection (hostname, cores, sockets, gpus, memoryMB, properties, zone, group). */
  inventory?: Partial<Inventory>;
  /** A pinned control-plane public key (base64url); otherwise the one in `welcome` is used. */
  signingKey?: string;
  /** The cloud instance id for `hello`; with `spotWatch` it is read from IMDS when not given. */
  instanceId?: string;
  /** 4.4: poll EC2 instance metadata for a spot interruption notice. */
  spotWatch?: boolean | { baseUrl?: string; intervalMs?: number };
  /** Grace between SIGTERM and SIGKILL for time limits and agent shutdown (default 5). */
  killGraceSeconds?: number;
  /** 5.4 batching: interval (50 ms), batch size (16 KiB) and per-node cap (10 MiB). */
  output?: { intervalMs?: number; batchBytes?: number; capBytes?: number };
  /** How long lazy messages (acks, job.started, output) wait to share a frame (default 10 ms). */
  holdMs?: number;
  backoff?: Partial<BackoffOptions>;
  socketFactory?: SocketFactory;
  /** One line per connect, disconnect, job start and exit; nothing when absent. */
  log?: (line: string) => void;
}

/** Why the agent ended: `code` is the process exit status `flurry agent` uses. */
export interface AgentExit {
  code: number;
  reason: string;
}

export interface AgentHandle {
  /** Settles once the agent has ended (shutdown, `stop()`, or a fatal close: 4001 with the join token, 4003, 4004). */
  readonly done: Promise<AgentExit>;
  /** 6.3 done locally: `node.event shutdown`, kill the tasks (SIGTERM, SIGKILL after the grace), report, close. */
  stop(options?: { reason?: string; graceSeconds?: number }): Promise<AgentExit>;
  readonly inventory: Inventory;
  /** The name and rank the control plane gave this node, once welcomed. */
  readonly node: { name: string; rank: number } | undefined;
  readonly connected: boolean;
}

// dispatch.ts - sends work to agents: one signed `job.start` per node of a new allocation (protocol 5.1), and
// `job.kill` to every node of a job that must stop (5.7). Messages to one connection made in the same tick go out
// together in as few frames as possible.
// Invariants: a node without a connection gets nothing now; its next `hello` reconciles (protocol 3.5); every send
// is tracked from its call until its frame was handed to the transport, so `settle()` can wait for all of them.
import { encodeFluid } from '../core/fluid.ts';
import { compressHostlist } from '../core/hostlist.ts';
import { formatIdset } from '../core/idset.ts';
import { describeJobspec, distributeTasks } from '../core/jobspec/describe.ts';
import type { JobspecV1 } from '../core/jobspec/v1.ts';
import { coresOnRank, gpusOnRank, hostnames, rankList } from '../core/resource/rv1.ts';
import type { ResourceRequest, Rv1 } from '../core/resource/types.ts';
import type { JobState } from '../jobs/job-state.ts';
import { packFrames, PROTOCOL_VERSION, type JobStartBody } from './protocol.ts';
import type { AgentTransport, ConnectionRegistry } from './transport.ts';

export interface DispatchDeps {
  transport: AgentTransport;
  registry: ConnectionRegistry;
  sign: (body: unknown) => Promise<string>;
  /** Seconds since the epoch. */
  clock: () => number;
  /** The URI tasks use to reach this instance (FLURRY_URI). */
  publicUri: string;
  log?: (line: string) => void;
}

/** Slots each node of R holds, in R's rank order (from the request: R does not record slots). */
export function slotsPerNode(req: ResourceRequest, R: Rv1): number[] {
  const ranks = rankList(R);
  if (req.nodes !== undefined) return ranks.map(() => req.slots);
  if (!req.exclusive) return ranks.map((r) => Math.floor(coresOnRank(R, r).length / req.coresPerSlot));
  // Whole nodes without a node count: the slots fill the nodes in order, as many as each can hold.
  let left = req.slots;
  return ranks.map((r) => {
    const n = Math.min(left, Math.floor(coresOnRank(R, r).length / req.coresPerSlot));
    left -= n;
    return n;
  });
}

let counter = 0;
/** Message ids name what they are about, so an ack (even on a stateless host) can be interpreted alone. */
export function messageId(kind: 's' | 'k' | 'w' | 'a' | 'x', jobid?: string): string {
  counter = (counter + 1) % 1_000_000_000;
  return jobid ? `${kind}.${jobid}.${counter.toString(36)}` : `${kind}.${counter.toString(36)}`;
}

/** What an ack's `of` refers to: a job start or kill, with its job id. */
export function parseMessageId(id: string): { kind: string; jobid?: string } {
  const [kind = '', jobid] = id.split('.');
  return jobid === undefined ? { kind } : { kind, jobid };
}

export class Dispatcher {
  private readonly outbox = new Map<string, Array<{ message: object; resolve: () => void }>>();
  private flushing = false;
  /** Entry-point calls (start, kill, toNode) that have not finished: what `settle()` waits for. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly deps: DispatchDeps) {}

  /**
   * Resolves once every send started so far (and any started while waiting) has finished: its frames were handed to
   * the transport, or its node found gone. Never rejects. Callers that do not await their sends (the scheduler, the
   * job manager's kill hook) are fine in a long-lived process; a Lambda handler calls this before it returns, since
   * the container may be frozen as soon as it does.
   * @example await plane.dispatcher.settle() // at the end of a Lambda handler
   */
  async settle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /** Tracks `p` until it settles (for `settle()`), logging a failure; returns it unchanged for the caller. */
  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    p.then(
      () => this.inFlight.delete(p),
      (err: Error) => {
        this.inFlight.delete(p);
        this.deps.log?.(`dispatch: ${err?.message ?? String(err)}`);
      },
    );
    return p;
  }

  /** Sends `job.start` to every node of the job's R (or only to `onlyRank`, when re-sending after a reconnect). */
  start(job: JobState, onlyRank?: number): Promise<void> {
    return this.track(this.sendStart(job, onlyRank));
  }

  /** Sends `job.kill` to the job's nodes (all of them, or those in `ranks`). */
  kill(job: JobState, reason: string, graceSeconds = 5): Promise<void> {
    return this.track(this.sendKill(job, reason, graceSeconds));
  }

  /** Sends control messages to a node (welcome, acks, drain, shutdown), in order, batched with anything else due. */
  toNode(name: string, ...messages: object[]): Promise<void> {
    return this.track(Promise.all(messages.map((m) => this.enqueue(name, m))).then(() => undefined));
  }

  private async sendStart(job: JobState, onlyRank?: number): Promise<void> {
    const R = job.item.R;
    if (!R) return;
    const jobspec = job.item.jobspec as JobspecV1;
    const shape = describeJobspec(jobspec);
    const ranks = rankList(R);
    const hosts = hostnames(R);
    const tasks = distributeTasks(shape, slotsPerNode(job.item.req, R));
    const size = tasks.reduce((a, b) => a + b, 0);
    const jobid = encodeFluid(job.item.id);
    const nodelist = compressHostlist(hosts);
    let first = 0;
    await Promise.all(
      ranks.map(async (rank, i) => {
        const count = tasks[i] ?? 0;
        const taskRanks = formatIdset(Array.from({ length: count }, (_, k) => first + k));
        first += count;
        if (onlyRank !== undefined && rank !== onlyRank) return;
        const body: JobStartBody = {
          jobid,
          nodeRank: i,
          nnodes: ranks.length,
          size,
          taskRanks,
          nodelist,
          command: shape.command,
          env: { ...shape.environment, FLURRY_URI: this.deps.publicUri },
          cwd: shape.cwd ?? '/',
          duration: shape.duration,
          cores: formatIdset(coresOnRank(R, rank)),
          gpus: formatIdset(gpusOnRank(R, rank)),
          issuedAt: this.deps.clock(),
        };
        const signature = await this.deps.sign(body);
        await this.enqueue(hosts[i]!, { v: PROTOCOL_VERSION, id: messageId('s', jobid), type: 'job.start', job: body, signature });
      }),
    );
  }

  private async sendKill(job: JobState, reason: string, graceSeconds: number): Promise<void> {
    const R = job.item.R;
    if (!R) return;
    const jobid = encodeFluid(job.item.id);
    const exited = job.item.exits ?? {};
    const hosts = hostnames(R);
    await Promise.all(
      hosts.map((host, i) =>
        exited[i] === undefined
          ? this.enqueue(host, { v: PROTOCOL_VERSION, id: messageId('k', jobid), type: 'job.kill', jobid, signal: 'SIGTERM', graceSeconds, reason })
          : undefined,
      ),
    );
  }

  /** Queues a message for the node's connection; resolves once the frame carrying it was sent (or found gone). */
  private async enqueue(node: string, message: object): Promise<void> {
    const conn = await this.deps.registry.connOf(node);
    if (!conn) return;
    return new Promise((resolve) => {
      const box = this.outbox.get(conn);
      if (box) box.push({ message, resolve });
      else this.outbox.set(conn, [{ message, resolve }]);
      if (!this.flushing) {
        this.flushing = true;
        setTimeout(() => void this.flush(), 0);
      }
    });
  }

  private async flush(): Promise<void> {
    const boxes = [...this.outbox];
    this.outbox.clear();
    this.flushing = false;
    await Promise.all(
      boxes.map(async ([conn, queued]) => {
        const ok = await this.deps.transport.send(conn, packFrames(queued.map((q) => q.message))).catch(() => false);
        if (!ok) this.deps.log?.(`dispatch: connection ${conn} is gone; ${queued.length} message(s) wait for the node to reconnect`);
        queued.forEach((q) => q.resolve());
      }),
    );
  }
}

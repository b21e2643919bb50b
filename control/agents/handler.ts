// handler.ts - the control plane's side of the agent protocol (docs/agent-protocol.md), shared by local mode (a `ws`
// server) and AWS (API Gateway WebSocket events): frames in, durable effects, acks and replies out.
// Invariants: nothing but `hello` is accepted before a node is bound to the connection (2.4); an ack is sent only
// after the message's effects are durable (2.2); a message whose processing failed is not acked and the connection
// is closed, so the agent reconnects and re-reports (3.1) rather than losing it.
import { decodeFluid, encodeFluid } from '../core/fluid.ts';
import { waitStatusFromSignal } from '../core/job/index.ts';
import { rankList } from '../core/resource/rv1.ts';
import type { JobManager } from '../jobs/job-manager.ts';
import type { JobState } from '../jobs/job-state.ts';
import { signClaims, verifyClaims } from '../security/tokens.ts';
import type { JobTable } from '../store/jobs.ts';
import type { NodeItem, NodeTable } from '../store/nodes.ts';
import { messageId, parseMessageId, type Dispatcher } from './dispatch.ts';
import { agentMessageSchema, CloseCode, parseFrame, ProtocolError, PROTOCOL_VERSION, type AgentMessage, type Hello } from './protocol.ts';
import type { AgentTransport, BoundNode, ConnectionRegistry } from './transport.ts';

/** Node credentials last this long; an agent gets a fresh one at every welcome. */
const CREDENTIAL_SECONDS = 30 * 24 * 3600;

export interface AgentHandlerDeps {
  iid: string;
  nodes: NodeTable;
  jobs: JobTable;
  manager: JobManager;
  registry: ConnectionRegistry;
  transport: AgentTransport;
  dispatcher: Dispatcher;
  /** HMAC key for join tokens and node credentials. */
  joinKey: string;
  /** base64url Ed25519 public key agents verify `job.start` with. */
  signingPublicKey: string;
  /** Seconds since the epoch. */
  clock: () => number;
  heartbeatSeconds: number;
  /** A node joined, left, or changed (the scheduler updates its graph). */
  nodeChanged: (node: NodeItem) => void;
  /** A spot interruption notice arrived for this node (the elastic module requeues its jobs). */
  spotInterruption?: (node: NodeItem, at: number | undefined) => Promise<void>;
  log?: (line: string) => void;
}

type Outcome = { ok: true } | { ok: false; code: string; message: string };

export class AgentHandler {
  constructor(private readonly deps: AgentHandlerDeps) {}

  /** One frame from connection `conn`. */
  async frame(conn: string, text: string): Promise<void> {
    let messages: AgentMessage[];
    try {
      messages = parseFrame(text, agentMessageSchema);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      await this.deps.transport.close(conn, CloseCode.protocolError, err.message);
      return;
    }
    let node = await this.deps.registry.lookup(conn);
    const acks: object[] = [];
    try {
      const rest: AgentMessage[] = [];
      for (const m of messages) {
        if (m.type === 'hello') {
          node = await this.hello(conn, m);
          if (!node) return;
          acks.push(ack(m.id));
        } else if (!node) {
          await this.deps.transport.close(conn, CloseCode.protocolError, `expected hello before ${m.type}`);
          return;
        } else rest.push(m);
      }
      if (node && rest.length) {
        await this.deps.registry.touch(node, this.deps.clock());
        const bound = node;
        const outcomes = await Promise.all(rest.map((m) => this.handle(bound, m)));
        rest.forEach((m, i) => {
          const o = outcomes[i];
          if (m.type !== 'ack' && o) acks.push(o.ok ? ack(m.id) : ack(m.id, { code: o.code, message: o.message }));
        });
      }
    } catch (err) {
      // Not durable, so not acked: make the agent reconnect and re-report (it keeps what was not acknowledged).
      this.deps.log?.(`agents: ${node?.name ?? conn}: ${(err as Error).message}; closing so the agent re-reports`);
      await this.deps.transport.close(conn, 1011, 'internal error; reconnect and re-report');
      return;
    }
    if (acks.length && node) await this.deps.dispatcher.toNode(node.name, ...acks);
  }

  /** The connection is gone: the node is offline (not matched) until it reconnects or the reaper gives up on it. */
  async closed(conn: string): Promise<void> {
    const node = await this.deps.registry.unbind(conn);
    if (!node) return;
    const now = this.deps.clock();
    if (await this.deps.nodes.update(this.deps.iid, node.name, { online: false, conn: null, downSince: now }, conn)) {
      const item = await this.deps.nodes.get(this.deps.iid, node.name);
      if (item) this.deps.nodeChanged(item);
    }
  }

  // ---- 3. joining ----

  private async hello(conn: string, m: Hello): Promise<BoundNode | undefined> {
    const now = this.deps.clock();
    const verdict = await verifyClaims(m.token, this.deps.joinKey, now);
    const name = m.node.hostname;
    let refusal = verdict.ok ? undefined : verdict.reason;
    if (verdict.ok && verdict.claims.iid !== this.deps.iid) refusal = 'the token belongs to another instance';
    if (verdict.ok && verdict.claims.kind === 'node' && verdict.claims.node !== name) refusal = `the node credential is for node ${verdict.claims.node}`;
    if (refusal || !verdict.ok) {
      await this.deps.transport.close(conn, CloseCode.unauthorized, `unauthorized: ${refusal}`);
      return undefined;
    }
    const existing = await this.deps.nodes.get(this.deps.iid, name);
    if (existing?.conn && existing.conn !== conn) {
      await this.deps.registry.unbind(existing.conn);
      await this.deps.transport.close(existing.conn, CloseCode.superseded, 'superseded by a newer connection of this node').catch(() => undefined);
    }
    const rank = existing?.rank ?? (await this.deps.nodes.allocateRank(this.deps.iid));
    const item: NodeItem = {
      iid: this.deps.iid,
      name,
      rank,
      inventory: m.node,
      online: true,
      drained: existing?.drained,
      conn,
      hb: now,
      joinedAt: existing?.joinedAt ?? now,
      pool: verdict.claims.pool ?? existing?.pool,
      instanceId: m.instanceId ?? existing?.instanceId,
      agentVersion: m.agent.version,
    };
    await this.deps.nodes.put(item);
    const bound = { name, rank };
    await this.deps.registry.bind(conn, bound, now);
    this.deps.log?.(`agents: ${name} (rank ${rank}) joined${existing ? ' again' : ''}`);

    // 3.4: results that were never acknowledged count now.
    for (const e of m.exited) await this.exited(bound, e);
    // 3.3/3.5: what the agent runs versus what we think it runs.
    const ours = await this.jobsOn(rank);
    const oursIds = new Set(ours.map((j) => encodeFluid(j.item.id)));
    const kill = m.running.map((r) => r.jobid).filter((id) => !oursIds.has(id));
    const credential = await signClaims({ kind: 'node', iid: this.deps.iid, node: name, exp: now + CREDENTIAL_SECONDS }, this.deps.joinKey);
    await this.deps.dispatcher.toNode(name, {
      v: PROTOCOL_VERSION,
      id: messageId('w'),
      type: 'welcome',
      node: name,
      rank,
      credential,
      heartbeatSeconds: this.deps.heartbeatSeconds,
      signingKey: this.deps.signingPublicKey,
      kill,
      drained: Boolean(item.drained),
    });
    // Only now may the scheduler send work here: a job.start sent before the welcome would reach an agent that has no
    // signing key yet, and it would rightly refuse it.
    this.deps.nodeChanged(item);
    const reported = new Set([...m.running.map((r) => r.jobid), ...m.exited.map((e) => e.jobid)]);
    for (const job of ours) {
      const jobid = encodeFluid(job.item.id);
      if (reported.has(jobid)) continue;
      if (job.view.started) await this.deps.manager.execution.nodeLost(job.item.id, rank, `node ${name} lost the job (its agent restarted)`);
      else await this.deps.dispatcher.start(job, rank);
    }
    return bound;
  }

  /** Jobs holding resources on `rank` whose node has not reported an exit yet. */
  private async jobsOn(rank: number): Promise<JobState[]> {
    const running = await this.deps.jobs.queryActive(this.deps.iid, 'running');
    const here = running.filter((r) => r.R && rankList(r.R).includes(rank));
    const jobs = await Promise.all(here.map((r) => this.deps.manager.load(r.id).catch(() => undefined)));
    return jobs.filter((j): j is JobState => {
      if (!j || j.view.state === 'INACTIVE' || !j.item.R) return false;
      const idx = rankList(j.item.R).indexOf(rank);
      return idx >= 0 && j.item.exits?.[idx] === undefined;
    });
  }

  // ---- 4, 5, 6: the rest ----

  private async handle(node: BoundNode, m: AgentMessage): Promise<Outcome | undefined> {
    const exec = this.deps.manager.execution;
    switch (m.type) {
      case 'heartbeat':
        return { ok: true };
      case 'job.started':
        return this.forJob(m.jobid, (id) => exec.started(id, node.rank, m.time));
      case 'job.output':
        return this.forJob(m.jobid, (id) => this.deps.manager.recordOutput(id, node.rank, m.seq, m.entries, Boolean(m.truncated)));
      case 'job.exited':
        return this.exited(node, m);
      case 'node.event':
        return this.nodeEvent(node, m.kind, m.at);
      case 'ack':
        await this.onAck(node, m.of, m.error);
        return undefined;
      case 'hello':
        return { ok: false, code: 'protocol', message: 'hello after welcome' };
    }
  }

  private exited(node: BoundNode, e: { jobid: string; time: number; status: number; timedOut?: boolean; error?: string; outputChunks: number }): Promise<Outcome> {
    return this.forJob(e.jobid, (id) =>
      this.deps.manager.execution.exited(id, node.rank, { status: e.status, timedOut: e.timedOut, error: e.error, outputChunks: e.outputChunks }, e.time),
    );
  }

  private async nodeEvent(node: BoundNode, kind: 'spot-interruption' | 'shutdown', at: number | undefined): Promise<Outcome> {
    if (kind === 'spot-interruption') {
      const now = this.deps.clock();
      await this.deps.nodes.update(this.deps.iid, node.name, { drained: { reason: `spot interruption${at ? ` at ${new Date(at * 1000).toISOString()}` : ''}`, at: now } });
      const item = await this.deps.nodes.get(this.deps.iid, node.name);
      if (item) {
        this.deps.nodeChanged(item);
        await this.deps.spotInterruption?.(item, at);
      }
    }
    return { ok: true };
  }

  /** An agent refused something we sent: a start it cannot verify, or a kill for a job it does not run. */
  private async onAck(node: BoundNode, of: string, error: { code: string; message: string } | undefined): Promise<void> {
    if (!error) return;
    const { kind, jobid } = parseMessageId(of);
    if (!jobid) return;
    const id = decodeFluid(jobid);
    this.deps.log?.(`agents: ${node.name} refused ${kind === 's' ? 'job.start' : 'job.kill'} of ${jobid}: ${error.code}: ${error.message}`);
    if (kind === 's') await this.deps.manager.execution.exited(id, node.rank, { status: 127 << 8, error: `${node.name} refused the job: ${error.message}`, outputChunks: 0 }, this.deps.clock());
    if (kind === 'k' && error.code === 'not_running') {
      await this.deps.manager.execution.exited(id, node.rank, { status: waitStatusFromSignal(9), outputChunks: 0 }, this.deps.clock());
    }
  }

  private async forJob(jobid: string, fn: (id: bigint) => Promise<void>): Promise<Outcome> {
    let id: bigint;
    try {
      id = decodeFluid(jobid);
    } catch {
      return { ok: false, code: 'bad_jobid', message: `not a job id: ${jobid}` };
    }
    try {
      await fn(id);
      return { ok: true };
    } catch (err) {
      if ((err as { code?: string }).code === 'not_found') return { ok: false, code: 'unknown_job', message: (err as Error).message };
      throw err;
    }
  }
}

function ack(of: string, error?: { code: string; message: string }): object {
  return error ? { v: PROTOCOL_VERSION, id: messageId('a'), type: 'ack', of, error } : { v: PROTOCOL_VERSION, id: messageId('a'), type: 'ack', of };
}

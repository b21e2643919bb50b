// agent.ts - the node agent, wired: state, inventory, connection, session, heartbeat, jobs, spot watch (agent
// protocol, all sections). Invariants: control messages are handled one at a time in arrival order, and a message from
// an older connection is never acted on; nothing runs without a verified signature (5.2); the join token is used when
// there is no node credential, and once more when the credential is refused (4001); every exit path kills the tasks;
// a `close` message (7.2) decides the outcome of its connection's close exactly as a real close code would.
import { CloseCode, ProtocolError, controlMessageSchema, parseFrame, type ControlMessage, type Welcome } from '../control/agents/protocol.ts';
import { createVerifier } from '../control/security/signing.ts';
import { agentUrl, httpBaseUri, startConnection, wsSocketFactory, type Connection } from './connection.ts';
import { startHeartbeat, type Heartbeat } from './heartbeat.ts';
import { detectInventory } from './inventory.ts';
import { JobTable } from './jobs.ts';
import { Session } from './session.ts';
import { readMetadata, startSpotWatch, type SpotWatch } from './spot.ts';
import { AGENT_VERSION, type AgentExit, type AgentHandle, type AgentOptions } from './options.ts';
import { createStateStore, killLeftovers } from './state.ts';

export type { AgentExit, AgentHandle, AgentOptions } from './options.ts';

/**
 * Starts the agent: restores state, kills leftovers of a crashed predecessor, detects the inventory, dials.
 * Throws only for bad configuration (no token, bad URI, bad inventory override).
 * @example const agent = await runAgent({ uri: 'ws://127.0.0.1:8080/v1/agent', token }); await agent.done
 */
export async function runAgent(options: AgentOptions): Promise<AgentHandle> {
  const log = options.log ?? (() => {});
  const url = agentUrl(options.uri);
  const graceMs = (options.killGraceSeconds ?? 5) * 1000;
  const store = createStateStore(options.stateDir);
  const saved = await store.load();
  let credential = saved.credential;
  const joinToken = options.token;
  if (!credential && !joinToken) throw new Error('no join token: give one with --token, --token-file or FLURRY_JOIN_TOKEN');
  const killedLeftovers = await killLeftovers(saved.tasks);
  if (killedLeftovers.length) log(`killed tasks left by a previous agent: ${killedLeftovers.join(' ')}`);
  const inventory = await detectInventory(options.inventory);
  const spotOptions = typeof options.spotWatch === 'object' ? options.spotWatch : {};
  let instanceId = options.instanceId;
  if (options.spotWatch && !instanceId) instanceId = (await readMetadata('instance-id', spotOptions).catch(() => null)) ?? undefined;

  const session = new Session({ holdMs: options.holdMs });
  const fallbackEnv: Record<string, string> = {};
  for (const key of ['PATH', 'HOME'] as const) if (process.env[key]) fallbackEnv[key] = process.env[key];
  const persist = (): void =>
    store.save(() => ({ ...(credential ? { credential } : {}), tasks: jobs.groups(), exited: jobs.unreported() }));
  const jobs: JobTable = new JobTable({
    session,
    run: { flurryUri: httpBaseUri(url), fallbackEnv, timeLimitGraceMs: graceMs, output: options.output },
    log,
    onChange: persist,
  });
  jobs.restore(saved.exited);

  const startedAt = Date.now() / 1000;
  let epoch = 0;
  let welcomed = false;
  let usingCredential = false;
  let fellBack = false;
  let node: { name: string; rank: number } | undefined;
  let verifier: { key: string; verify: (body: unknown, sig: string) => Promise<boolean> } | null = null;
  let heartbeat: Heartbeat | null = null;
  let spot: SpotWatch | null = null;
  let inbox: Promise<void> = Promise.resolve();
  /** 7.2: the code and reason a `close` message announced for the connection of epoch `at`. */
  let announced: { at: number; code: number; reason: string } | null = null;
  let ending: Promise<AgentExit> | null = null;
  let resolveDone!: (exit: AgentExit) => void;
  const done = new Promise<AgentExit>((resolve) => (resolveDone = resolve));

  /** A signature check started when the frame arrived (checks run in parallel; their results are used in order). */
  type Precheck = { key: string; ok: Promise<boolean> };
  const handle = async (msg: ControlMessage, at: number, pre?: Precheck): Promise<void> => {
    if (at !== epoch) return; // from a connection that has closed since
    switch (msg.type) {
      case 'welcome':
        return onWelcome(msg);
      case 'job.start': {
        if (ending) return session.reply(msg.id, { code: 'shutting_down', message: 'the agent is shutting down' });
        if (!verifier) return session.reply(msg.id, { code: 'no_signing_key', message: 'no signing key yet' });
        const ok = await (pre?.key === verifier.key ? pre.ok : verifier.verify(msg.job, msg.signature));
        if (at !== epoch) return;
        if (!ok) {
          log(`job ${msg.job.jobid} refused: bad signature`);
          return session.reply(msg.id, { code: 'bad_signature', message: `job.start for ${msg.job.jobid}: signature does not verify` });
        }
        const outcome = jobs.start(msg.job);
        session.reply(msg.id);
        if (outcome.kind === 'started') session.send({ type: 'job.started', jobid: msg.job.jobid, time: outcome.run.startedAt });
        return;
      }
      case 'job.kill':
        if (jobs.kill(msg.jobid, msg.signal ?? 'SIGTERM', (msg.graceSeconds ?? 5) * 1000)) log(`job ${msg.jobid}: kill (${msg.reason})`);
        return session.reply(msg.id);
      case 'drain':
      case 'undrain':
        log(msg.type === 'drain' ? `drained: ${msg.reason}` : 'undrained');
        return session.reply(msg.id);
      case 'shutdown':
        session.reply(msg.id);
        session.flush();
        void stop({ reason: `shutdown by the control plane: ${msg.reason}`, graceSeconds: msg.graceSeconds, notify: false });
        return;
      case 'close': // acted on as it arrives (onMessage)
        return;
      case 'ack':
        return session.received(msg);
    }
  };

  const onWelcome = async (msg: Welcome): Promise<void> => {
    const key = options.signingKey ?? msg.signingKey;
    if (verifier?.key !== key) {
      try {
        verifier = { key, verify: await createVerifier(key) };
      } catch {
        connection.socket?.close(CloseCode.protocolError, 'welcome: signingKey is not an Ed25519 public key');
        return;
      }
    }
    node = { name: msg.node, rank: msg.rank };
    credential = msg.credential || credential;
    fellBack = false;
    welcomed = true;
    persist();
    for (const jobid of msg.kill) jobs.kill(jobid, 'SIGTERM', graceMs, { silent: true });
    heartbeat?.stop();
    heartbeat = startHeartbeat({
      intervalMs: msg.heartbeatSeconds * 1000,
      beat: () => session.send({ type: 'heartbeat', running: jobs.runningIds() }, { urgent: true }),
      onSilence: () => {
        log(`no word from the control plane for ${3 * msg.heartbeatSeconds} s; reconnecting`);
        connection.socket?.close(1001, 'control plane silent');
      },
    });
    session.reply(msg.id);
    session.welcomed();
    connection.resetBackoff();
    log(`connected to ${url} as ${msg.node} (rank ${msg.rank})${msg.drained ? ', drained' : ''}`);
  };

  const onClose = (closeCode: number, closeReason: string, delayMs: number): 'reconnect' | 'reconnect-now' | 'stop' => {
    // 7.2: what the control plane announced wins over the plain close API Gateway delivers after it.
    const { code, reason } = announced?.at === epoch ? announced : { code: closeCode, reason: closeReason };
    announced = null;
    epoch++;
    const wasWelcomed = welcomed;
    welcomed = false;
    heartbeat?.stop();
    heartbeat = null;
    session.detach();
    const why = `${code}${reason ? ` ${reason}` : ''}`;
    if (ending) return 'stop';
    if (code === CloseCode.unauthorized && usingCredential && joinToken && !fellBack) {
      log(`node credential refused (${why}); joining again with the join token`);
      credential = undefined;
      fellBack = true;
      persist();
      return 'reconnect-now';
    }
    const fatal =
      code === CloseCode.unauthorized ? { code: 1, reason: `the control plane refused the ${usingCredential ? 'node credential' : 'join token'}: ${reason || 'unauthorized'}` }
      : code === CloseCode.superseded ? { code: 1, reason: `superseded: ${reason || 'a newer agent connected as this node'}` }
      : code === CloseCode.nodeRemoved ? { code: 0, reason: `node removed: ${reason || 'the control plane removed this node'}` }
      : null;
    if (fatal) {
      void end(fatal, { notify: false });
      return 'stop';
    }
    log(`${wasWelcomed ? 'disconnected' : 'could not connect'} (${why}); retrying in ${(delayMs / 1000).toFixed(1)} s`);
    return 'reconnect';
  };

  const connection: Connection = startConnection({
    url,
    factory: options.socketFactory ?? wsSocketFactory({ ca: options.ca }),
    backoff: { initialMs: options.backoff?.initialMs ?? 100, maxMs: options.backoff?.maxMs ?? 10_000 },
    onOpen: (socket) => {
      session.attach(socket);
      usingCredential = credential !== undefined;
      const exited = jobs.unreported();
      session.hello(
        {
          type: 'hello',
          token: (credential ?? joinToken)!,
          node: inventory,
          agent: { version: AGENT_VERSION, pid: process.pid, startedAt },
          running: jobs.running(),
          exited,
          ...(instanceId ? { instanceId } : {}),
        },
        (error) => {
          if (!error) jobs.acknowledged(exited.map((e) => e.jobid));
        },
      );
    },
    onMessage: (text) => {
      heartbeat?.touch();
      let messages: ControlMessage[];
      try {
        messages = parseFrame(text, controlMessageSchema);
      } catch (err) {
        const reason = err instanceof ProtocolError ? err.message : 'bad frame';
        log(`protocol error from the control plane: ${reason}`);
        connection.socket?.close(CloseCode.protocolError, reason);
        return;
      }
      const at = epoch;
      for (const msg of messages) {
        if (msg.type === 'close') {
          // 7.2: as if the socket had closed with this code: nothing after it counts; close now rather than wait.
          announced = { at, code: msg.code, reason: msg.reason };
          log(`the control plane is closing the connection (${msg.code}${msg.reason ? ` ${msg.reason}` : ''})`);
          connection.socket?.close(1000, 'closing as the control plane asked');
          return;
        }
        if (msg.type === 'ack') session.received(msg);
        else {
          const pre = msg.type === 'job.start' && verifier ? { key: verifier.key, ok: verifier.verify(msg.job, msg.signature) } : undefined;
          inbox = inbox.then(() => handle(msg, at, pre)).catch((err: Error) => log(`handling ${msg.type}: ${err.message}`));
        }
      }
    },
    onClose,
    onError: () => {},
  });
  if (options.spotWatch) {
    spot = startSpotWatch({
      ...spotOptions,
      onInterruption: (at, action) => {
        log(`spot interruption notice: ${action} at ${new Date(at * 1000).toISOString()}`);
        session.send({ type: 'node.event', kind: 'spot-interruption', at }, { policy: 'resend', urgent: true });
      },
    });
  }

  /** Ends the agent once: kill (and report, when `notify`) the jobs, close, persist. */
  const end = (exit: AgentExit, { notify, graceSeconds }: { notify: boolean; graceSeconds?: number }): Promise<AgentExit> => {
    if (ending) {
      if (graceSeconds !== undefined) void jobs.killAll('SIGTERM', graceSeconds * 1000);
      return ending;
    }
    ending = (async () => {
      spot?.stop();
      if (notify && welcomed) session.send({ type: 'node.event', kind: 'shutdown' }, { urgent: true });
      await jobs.killAll('SIGTERM', graceSeconds !== undefined ? graceSeconds * 1000 : graceMs);
      session.flush();
      if (welcomed) await waitUntil(() => !welcomed || jobs.unreported().length === 0, 5000);
      heartbeat?.stop();
      await connection.stop(CloseCode.shutdown, exit.reason);
      session.close();
      persist();
      await store.flush().catch((err: Error) => log(`saving state: ${err.message}`));
      log(exit.reason);
      resolveDone(exit);
      return exit;
    })();
    return ending;
  };
  const stop = (opts: { reason?: string; graceSeconds?: number; notify?: boolean } = {}): Promise<AgentExit> =>
    end({ code: 0, reason: opts.reason ?? 'agent stopped' }, { notify: opts.notify ?? true, graceSeconds: opts.graceSeconds });

  return {
    done,
    stop: (opts) => stop(opts),
    inventory,
    get node() {
      return node;
    },
    get connected() {
      return welcomed;
    },
  };
}

/** Resolves when `predicate()` holds or after `timeoutMs`, checking every 10 ms. */
function waitUntil(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const check = (): void => {
      if (predicate() || Date.now() >= deadline) resolve();
      else setTimeout(check, 10);
    };
    check();
  });
}

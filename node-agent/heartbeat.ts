// heartbeat.ts - liveness on one connection (agent protocol 4.1-4.2): a beat every `intervalMs`, and a silence alarm.
// Invariants: beats start only after `welcome` and stop with the connection; since every beat is acknowledged, a
// control plane that says nothing for `silenceMs` is gone even if TCP has not noticed, and `onSilence` fires once.

export interface HeartbeatOptions {
  intervalMs: number;
  /** Send one heartbeat (the caller fills in `running`). */
  beat(): void;
  /** No message arrived for this long (default 3 × interval); 0 disables the alarm. */
  silenceMs?: number;
  onSilence?(): void;
}

export interface Heartbeat {
  /** A message arrived from the control plane. */
  touch(): void;
  stop(): void;
}

/**
 * Starts beating; the first beat goes out one interval after the start (`hello` itself proves liveness).
 * @example const hb = startHeartbeat({ intervalMs: 30_000, beat: () => session.send({ type: 'heartbeat', running }) })
 */
export function startHeartbeat(options: HeartbeatOptions): Heartbeat {
  const silenceMs = options.silenceMs ?? 3 * options.intervalMs;
  let last = Date.now();
  let stopped = false;
  const beat = setInterval(() => {
    if (stopped) return;
    options.beat();
    if (silenceMs > 0 && Date.now() - last >= silenceMs) {
      stop();
      options.onSilence?.();
    }
  }, options.intervalMs);
  const stop = (): void => {
    stopped = true;
    clearInterval(beat);
  };
  return {
    touch: () => {
      last = Date.now();
    },
    stop,
  };
}

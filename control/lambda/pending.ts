// pending.ts - work a Lambda handler started but does not await (a dispatch to agents, a tick request), tracked so
// the handler can wait for it before returning: Lambda freezes the container as soon as the handler resolves, and
// a frozen promise may never finish (or finish minutes later in another invocation).
// Invariant: `drain()` resolves only when every tracked promise, including those tracked while draining, settled.

export class PendingWork {
  private readonly inFlight = new Set<Promise<unknown>>();

  /** Tracks `p` until it settles; returns it unchanged (whoever started it handles its rejection). */
  track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    p.then(
      () => this.inFlight.delete(p),
      () => this.inFlight.delete(p),
    );
    return p;
  }

  get size(): number {
    return this.inFlight.size;
  }

  /**
   * Waits until nothing is in flight. Macrotask turns in between let work that was queued with setTimeout(0)
   * (the dispatcher's outbox) start and register itself.
   * @example await pending.drain() // at the end of every handler
   */
  async drain(): Promise<void> {
    for (let idle = 0; idle < 2; ) {
      if (this.inFlight.size) {
        idle = 0;
        await Promise.allSettled([...this.inFlight]);
      } else {
        idle++;
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
  }
}

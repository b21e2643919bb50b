// tick-request.ts - `requestPass` on Lambda: there is work for the scheduler, so make sure a tick will run.
// Calls within one container coalesce (one conditional write in flight, one more if asked meanwhile); across
// containers the META flag lets only the first of a burst invoke the tick (InvocationType 'Event', asynchronous).
// Invariant: a request made after some work became durable leads to a tick that reads the table after that work
// (a call that arrives while a write is in flight is not dropped: it causes one more write afterwards).
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { InstanceMeta } from './instance-meta.ts';

export interface TickRequesterDeps {
  meta: InstanceMeta;
  lambda: LambdaClient;
  /** The tick function's name or ARN. */
  tickFunction: string;
  iid: string;
  /** Seconds since the epoch. */
  clock: () => number;
  log?: (line: string) => void;
}

/** The payload of a requested tick (the scheduled tick's payload is an EventBridge event instead). */
export interface TickRequestPayload {
  source: 'flurry.request-pass';
  iid: string;
  requestedAt: number;
}

export class TickRequester {
  private dirty = false;
  private running: Promise<void> | undefined;
  /** Invokes made by this container (for tests and logs). */
  invokes = 0;

  constructor(private readonly deps: TickRequesterDeps) {}

  /** Asks for a tick; returns the promise of the work this started (or joined), which never rejects. */
  request(): Promise<void> {
    this.dirty = true;
    this.running ??= this.loop();
    return this.running;
  }

  private async loop(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        try {
          await this.once();
        } catch (err) {
          // The flag may be set without an invoke: the scheduled tick clears it within a minute.
          this.deps.log?.(`requesting a tick: ${(err as Error).message}`);
        }
      }
    } finally {
      this.running = undefined;
    }
  }

  private async once(): Promise<void> {
    const now = this.deps.clock();
    if (!(await this.deps.meta.flagTickRequest(now))) return;
    const payload: TickRequestPayload = { source: 'flurry.request-pass', iid: this.deps.iid, requestedAt: now };
    await this.deps.lambda.send(
      new InvokeCommand({ FunctionName: this.deps.tickFunction, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
    );
    this.invokes++;
  }
}

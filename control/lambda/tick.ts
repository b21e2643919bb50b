// tick.ts - Lambda entry point of the scheduler: runs once a minute (EventBridge) and whenever work for the
// scheduler was requested (asynchronous invokes from tick-request.ts). One tick: clear the request flag, run a
// scheduler pass under the lease, reap silent nodes, run the elastic pass, renew the EC2 agents' join token when it
// nears expiry (once a day per container), and pass again if any of that made work.
// Invariants: reserved concurrency 1, so ticks never overlap and this is the instance's only scheduler; the request
// flag is cleared before the table is read; the handler returns only after every dispatch it started was posted.
import type { Context, ScheduledEvent } from 'aws-lambda';
import { lambdaContext, type LambdaContext } from './context.ts';
import { elasticPass } from './elastic.ts';
import { loadInstanceSecrets } from './secret-store.ts';
import { ensureAgentJoinToken } from './setup-actions.ts';
import type { TickRequestPayload } from './tick-request.ts';

export type TickEvent = ScheduledEvent | TickRequestPayload | Record<string, unknown>;

export interface TickResult {
  /** Scheduler passes run in this tick. */
  passes: number;
  /** When the request this tick answers was made (undefined for a scheduled tick with nothing requested). */
  requestedAt?: number;
  /** Jobs still waiting in the queue after the last pass. */
  pending: number;
}

export interface TickOptions {
  /**
   * The scheduler reads its queue from an eventually consistent index: a requested tick starts its pass no sooner
   * than this long after the request, so the submission that caused it has reached the index (default 300 ms).
   */
  settleMs?: number;
  /** Passes after the first, when the reaper or the passes themselves made more work (default 3). */
  maxExtraPasses?: number;
  /** The elastic pass (grow and shrink the EC2 pools: elastic.ts); runs after the reaper, given the time left (ms). */
  elastic?: (ctx: LambdaContext, timeLeft: () => number) => Promise<void>;
}

export type TickHandler = (event: TickEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>) => Promise<TickResult>;

/** Stop starting passes when less than this is left of the invocation's time. */
const RESERVE_MS = 10_000;

/** How often a tick container checks that the EC2 agents' join token has enough life left. */
const JOIN_TOKEN_CHECK_MS = 24 * 3600 * 1000;

/** Renews the EC2 agents' join token when it nears expiry (setup-actions.ts), at most once a day per container. */
function joinTokenRenewer(): (ctx: LambdaContext) => Promise<void> {
  let checkedAt = Number.NEGATIVE_INFINITY;
  return async (ctx) => {
    const arn = ctx.config.joinTokenSecretArn;
    if (!arn || Date.now() - checkedAt < JOIN_TOKEN_CHECK_MS) return;
    checkedAt = Date.now();
    try {
      const secrets = await loadInstanceSecrets(ctx.clients.secrets, ctx.config.secretArn);
      const { created, expires } = await ensureAgentJoinToken({ iid: ctx.config.iid, secrets: ctx.clients.secrets, joinTokenSecretArn: arn }, secrets);
      if (created) ctx.log(`tick: renewed the EC2 agents' join token (valid until ${new Date(expires * 1000).toISOString()})`);
    } catch (err) {
      ctx.log(`tick: checking the EC2 agents' join token: ${(err as Error).message}`);
    }
  };
}

/**
 * A tick handler over the context `getContext` gives.
 * @example const tick = createTickHandler(() => createLambdaContext(config, clients), { settleMs: 0 })
 */
export function createTickHandler(getContext: () => Promise<LambdaContext> = lambdaContext, options: TickOptions = {}): TickHandler {
  const settleMs = options.settleMs ?? 300;
  const maxExtra = options.maxExtraPasses ?? 3;
  const renewJoinToken = joinTokenRenewer();
  return async (_event, context) => {
    const ctx = await getContext();
    const { plane } = ctx;
    const timeLeft = () => context?.getRemainingTimeInMillis() ?? Number.POSITIVE_INFINITY;
    ctx.tick.active = true;
    ctx.tick.again = false;
    let passes = 0;
    const pass = async () => {
      passes++;
      await plane.scheduler.trigger();
      await plane.scheduler.settle();
    };
    try {
      const requestedAt = await ctx.meta.takeTickRequest();
      if (requestedAt !== undefined) {
        const wait = requestedAt * 1000 + settleMs - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(wait, settleMs)));
      }
      await pass();
      await plane.reap();
      await options.elastic?.(ctx, timeLeft);
      await renewJoinToken(ctx);
      while (ctx.tick.again && passes <= maxExtra && timeLeft() > RESERVE_MS) {
        ctx.tick.again = false;
        await pass();
      }
      await plane.dispatcher.settle();
      await ctx.pending.drain();
      if (ctx.tick.again) ctx.log('tick: more work is waiting; the next tick takes it');
      return { passes, ...(requestedAt !== undefined ? { requestedAt } : {}), pending: plane.scheduler.queueLength };
    } finally {
      ctx.tick.active = false;
    }
  };
}

export const handler: TickHandler = createTickHandler(lambdaContext, { elastic: elasticPass() });

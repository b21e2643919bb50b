// elastic.ts - the tick's elastic pass on AWS: the pools file the stack carries (elastic/aws.ts), adapted to the stack
// (local pools skipped with a note; the stack's launch template, subnets and security group as defaults), run once
// per tick by `elasticTick` with the real EC2 provider: instances launched from the agent launch template, installing
// the agent bundle from S3 and joining the WebSocket API with a join token scoped to their pool and expiring.
// Invariants: a tick without elastic settings does nothing here (the EC2 client is made on first use, once per
// container); a failing pass is logged and never fails the tick; when the batch window closes (or an offering failed)
// within a few seconds and the tick has time left, the pass runs again then instead of a minute later.
import type { EC2Client } from '@aws-sdk/client-ec2';
import { awsPools, decodeElasticConfig, elasticTick, parseS3Uri, s3AgentBoot } from '../../elastic/tick.ts';
import type { LambdaContext } from './context.ts';
import { loadInstanceSecrets } from './secret-store.ts';

export interface ElasticPassOptions {
  /** The EC2 client (tests: any instance, mocked with aws-sdk-client-mock); default one per container. */
  ec2Client?: EC2Client;
  /** Wait at most this long (ms) within a tick for the policy's next wake-up, e.g. a batch window closing (default 5 s). */
  maxWaitMs?: number;
  /** Passes per tick at most (default 3). */
  maxPasses?: number;
}

/** Keep this much of the invocation's time when deciding to wait for another pass. */
const RESERVE_MS = 15_000;

/** The agents' wss:// URL from the Management API's https:// URL of the same WebSocket stage. */
export function agentUriOf(callbackUrl: string): string {
  return callbackUrl.replace(/^https:/, 'wss:').replace(/\/+$/, '');
}

/**
 * The tick's elastic hook (control/lambda/tick.ts `TickOptions.elastic`).
 * @example createTickHandler(lambdaContext, { elastic: elasticPass() })
 */
export function elasticPass(o: ElasticPassOptions = {}): (ctx: LambdaContext, timeLeft: () => number) => Promise<void> {
  return async (ctx, timeLeft) => {
    const settings = ctx.config.elastic;
    if (!settings) return;
    try {
      const { config, notes } = awsPools(decodeElasticConfig(settings.config), {
        subnetIds: settings.subnetIds,
        ...(settings.securityGroupId ? { securityGroupId: settings.securityGroupId } : {}),
      });
      const { joinKey } = await loadInstanceSecrets(ctx.clients.secrets, ctx.config.secretArn);
      const bundle = settings.agentBundle ? parseS3Uri(settings.agentBundle) : undefined;
      const { plane } = ctx;
      const run = () =>
        elasticTick({
          iid: ctx.config.iid, config, store: ctx.clients.store, jobs: plane.tables.jobs, nodes: plane.tables.nodes, joinKey,
          uri: agentUriOf(ctx.config.callbackUrl), notes,
          ...(o.ec2Client ? { ec2Client: o.ec2Client } : {}), ...(ctx.config.region ? { region: ctx.config.region } : {}),
          ...(settings.launchTemplateId ? { launchTemplate: { id: settings.launchTemplateId } } : {}),
          ...(bundle && ctx.config.region ? { boot: s3AgentBoot({ region: ctx.config.region, ...bundle }) } : {}),
          nodeChanged: (n) => plane.nodeChanged(n),
          forgetNode: (n) => plane.forgetNode(n),
          log: ctx.log,
        });
      const maxWait = o.maxWaitMs ?? 5_000;
      for (let i = 0; i < (o.maxPasses ?? 3); i++) {
        const report = await run();
        const acted = report.launched.length + report.drained.length + report.terminated.length;
        if (acted) ctx.log(`tick: elastic: ${report.launched.length} launch(es), ${report.drained.length} drain(s), ${report.terminated.length} termination(s) in ${report.ms} ms`);
        // Run again soon when an offering failed (fall back now) or the batch window closes within the wait.
        const wait = report.again ? 200 : report.wakeAt !== undefined ? Math.max(0, report.wakeAt * 1000 - Date.now()) + 50 : Infinity;
        if (!(wait <= maxWait) || timeLeft() - wait < RESERVE_MS) break;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    } catch (err) {
      ctx.log(`tick: elastic pass failed: ${(err as Error).stack ?? String(err)}`);
    }
  };
}

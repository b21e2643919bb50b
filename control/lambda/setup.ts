// setup.ts - Lambda entry point of the stack's setup function. As a CloudFormation custom resource (Create and
// Update) it makes sure the instance's secrets, the first owner token and the agents' join token exist; invoked
// directly by an administrator (`aws lambda invoke`) it mints join tokens and user tokens (setup-actions.ts).
// Invariants: CloudFormation always gets an answer (a failure is reported as FAILED, never left to time out);
// the answer and the logs name what was created but never contain a token or a secret (NoEcho); Delete does
// nothing: the table and the secrets follow their own removal policies.
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createStoreContext } from '../store/context.ts';
import { ENV } from './config.ts';
import { adminAction, ensureInstance, type SetupDeps } from './setup-actions.ts';

/** Reads the setup function's configuration from its environment. */
export function setupDepsFromEnv(env: Record<string, string | undefined>): SetupDeps {
  const need = (name: string): string => {
    const v = env[name];
    if (!v) throw new Error(`flurry setup: missing environment variable ${name}`);
    return v;
  };
  const region = env.AWS_REGION;
  const endpoint = env[ENV.dynamoEndpoint];
  return {
    iid: need(ENV.iid),
    store: createStoreContext(need(ENV.table), { region, ...(endpoint ? { endpoint } : {}) }),
    secrets: new SecretsManagerClient({ region, maxAttempts: 3 }),
    secretArn: need(ENV.secretArn),
    ownerTokenSecretArn: need(ENV.ownerTokenSecretArn),
    joinTokenSecretArn: need(ENV.joinTokenSecretArn),
  };
}

function isCloudFormationEvent(event: unknown): event is CloudFormationCustomResourceEvent {
  return typeof event === 'object' && event !== null && 'RequestType' in event && 'ResponseURL' in event;
}

/** Answers CloudFormation on the pre-signed S3 URL it gave (the cfn-response protocol). */
async function respond(event: CloudFormationCustomResourceEvent, status: 'SUCCESS' | 'FAILED', reason: string, physicalId: string): Promise<void> {
  const body = JSON.stringify({
    Status: status,
    Reason: reason.slice(0, 1000),
    PhysicalResourceId: physicalId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: true,
    Data: {},
  });
  const res = await fetch(event.ResponseURL, { method: 'PUT', headers: { 'content-type': '' }, body });
  if (!res.ok) throw new Error(`answering CloudFormation: HTTP ${res.status}`);
}

/**
 * A setup handler over `deps` (tests pass their own clients).
 * @example export const handler = createSetupHandler(() => setupDepsFromEnv(process.env))
 */
export function createSetupHandler(getDeps: () => SetupDeps, log: (line: string) => void = (l) => console.log(l)) {
  let deps: SetupDeps | undefined;
  return async (event: unknown, _context?: Context): Promise<Record<string, unknown> | undefined> => {
    if (!isCloudFormationEvent(event)) return adminAction((deps ??= getDeps()), event);
    const physicalId = event.RequestType === 'Create' ? `flurry-setup-${String(event.ResourceProperties.Iid ?? 'instance')}` : event.PhysicalResourceId;
    try {
      let reason = 'nothing to do';
      if (event.RequestType !== 'Delete') {
        const owner = String(event.ResourceProperties.OwnerUser ?? 'admin');
        const made = await ensureInstance((deps ??= getDeps()), owner);
        reason = made.length ? `created: ${made.join(', ')}` : 'everything was in place';
      }
      log(`flurry setup: ${event.RequestType}: ${reason}`);
      await respond(event, 'SUCCESS', reason, physicalId);
    } catch (err) {
      const message = (err as Error).message;
      log(`flurry setup: ${event.RequestType} failed: ${message}`);
      await respond(event, 'FAILED', message, physicalId);
    }
    return undefined;
  };
}

export const handler = createSetupHandler(() => setupDepsFromEnv(process.env));

// secret-store.ts - the instance's secrets in AWS Secrets Manager: read once per container and kept in memory.
// Invariants: secret values are never logged, never put in the table or the environment; a failed read is not
// cached (the next invocation tries again).
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseSecrets, type Secrets } from '../security/secrets.ts';

const cache = new Map<string, Promise<Secrets>>();

/** The secret's string value, or undefined if it has none. */
export async function readSecretString(client: SecretsManagerClient, arn: string): Promise<string | undefined> {
  const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
  return out.SecretString;
}

/** Parses the instance secrets' JSON; the error never quotes the text (it could hold a secret). */
export function parseSecretsText(text: string | undefined, arn: string): Secrets {
  try {
    return parseSecrets(JSON.parse(text ?? ''));
  } catch {
    throw new Error(`secret ${arn} does not hold Flurry's instance secrets yet (the stack's setup resource writes them)`);
  }
}

/**
 * The instance's Secrets (tokenPepper, joinKey, signingKey) from the secret `arn`, cached per container.
 * @example const secrets = await loadInstanceSecrets(new SecretsManagerClient({}), process.env.FLURRY_SECRET_ARN!)
 */
export function loadInstanceSecrets(client: SecretsManagerClient, arn: string): Promise<Secrets> {
  let hit = cache.get(arn);
  if (!hit) {
    hit = (async () => {
      return parseSecretsText(await readSecretString(client, arn), arn);
    })();
    cache.set(arn, hit);
    hit.catch(() => cache.delete(arn));
  }
  return hit;
}

/** Forgets cached secrets (tests; a rotated secret). */
export function forgetInstanceSecrets(): void {
  cache.clear();
}

// setup-actions.ts - what the stack's setup function does: make sure the instance's secrets, the first owner token
// and the EC2 agents' join token exist (at every deploy), and mint join or user tokens for the administrator.
// Invariants: existing instance secrets are never replaced (that would invalidate every token and signature); a
// token is stored only in Secrets Manager or handed back to the caller, never logged, never in the table (the table
// holds only the peppered hash of a user token); every step is idempotent, so a repeated deploy changes nothing.
import { PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Auth } from '../resources/auth-service.ts';
import { generateSecrets, parseSecrets, type Secrets } from '../security/secrets.ts';
import { hashUserToken, signClaims, verifyClaims } from '../security/tokens.ts';
import type { StoreContext } from '../store/context.ts';
import { UserTable, type Role } from '../store/users.ts';
import { parseSecretsText, readSecretString } from './secret-store.ts';

export interface SetupDeps {
  iid: string;
  store: StoreContext;
  secrets: SecretsManagerClient;
  /** The instance's secrets (JSON). */
  secretArn: string;
  /** The first owner's user token. */
  ownerTokenSecretArn: string;
  /** The join token EC2 agents read at boot. */
  joinTokenSecretArn: string;
  /** Seconds since the epoch. */
  clock?: () => number;
}

/** The EC2 agents' join token lives this long, and is renewed by a deploy when less than RENEW_DAYS are left. */
export const AGENT_JOIN_TOKEN_DAYS = 365;
export const RENEW_DAYS = 60;
const DAY = 86_400;

const now = (deps: Pick<SetupDeps, 'clock'>) => (deps.clock ?? (() => Date.now() / 1000))();

async function put(deps: Pick<SetupDeps, 'secrets'>, arn: string, value: string): Promise<void> {
  await deps.secrets.send(new PutSecretValueCommand({ SecretId: arn, SecretString: value }));
}

/** The instance's secrets, generated and stored on first use. */
export async function ensureInstanceSecrets(deps: SetupDeps): Promise<{ secrets: Secrets; created: boolean }> {
  const text = await readSecretString(deps.secrets, deps.secretArn);
  try {
    return { secrets: parseSecrets(JSON.parse(text ?? '')), created: false };
  } catch {
    // The placeholder CloudFormation put there (a random string): replace it with real secrets.
    const secrets = await generateSecrets();
    await put(deps, deps.secretArn, JSON.stringify(secrets));
    return { secrets, created: true };
  }
}

/** The first owner's token: kept if the secret holds one the table knows, else a new one (hash in the table first). */
export async function ensureOwnerToken(deps: SetupDeps, secrets: Secrets, user: string): Promise<{ created: boolean }> {
  const users = new UserTable(deps.store);
  const current = await readSecretString(deps.secrets, deps.ownerTokenSecretArn);
  if (current?.startsWith('flt_') && (await users.get(await hashUserToken(current, secrets.tokenPepper)))) return { created: false };
  const token = await new Auth(users, secrets.tokenPepper, () => now(deps)).issue(user, 'owner', 'first owner (cdk deploy)');
  await put(deps, deps.ownerTokenSecretArn, token);
  return { created: true };
}

/** The EC2 agents' join token: kept while valid for more than RENEW_DAYS, else a new one (deploys and the tick). */
export async function ensureAgentJoinToken(
  deps: Pick<SetupDeps, 'iid' | 'secrets' | 'joinTokenSecretArn' | 'clock'>,
  secrets: Secrets,
  force = false,
): Promise<{ created: boolean; expires: number }> {
  const t = now(deps);
  const current = await readSecretString(deps.secrets, deps.joinTokenSecretArn);
  if (!force && current) {
    const verdict = await verifyClaims(current, secrets.joinKey, t);
    if (verdict.ok && verdict.claims.iid === deps.iid && verdict.claims.exp > t + RENEW_DAYS * DAY) return { created: false, expires: verdict.claims.exp };
  }
  const exp = Math.floor(t + AGENT_JOIN_TOKEN_DAYS * DAY);
  await put(deps, deps.joinTokenSecretArn, await signClaims({ kind: 'join', iid: deps.iid, exp }, secrets.joinKey));
  return { created: true, expires: exp };
}

/** Everything a deploy makes sure of; returns what it created (names only). */
export async function ensureInstance(deps: SetupDeps, ownerUser: string): Promise<string[]> {
  const { secrets, created } = await ensureInstanceSecrets(deps);
  const made: string[] = created ? ['instance secrets'] : [];
  if ((await ensureOwnerToken(deps, secrets, ownerUser)).created) made.push('owner token');
  // New instance secrets invalidate any join token signed with the old placeholder.
  if ((await ensureAgentJoinToken(deps, secrets, created)).created) made.push('agent join token');
  return made;
}

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const POOL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** An administrator's request (a direct invoke of the setup function). */
export type AdminAction =
  | { action: 'join-token'; pool?: string; days?: number }
  | { action: 'user-token'; user: string; role?: Role; label?: string }
  | { action: 'rotate-agent-join-token' };

/**
 * Runs an admin action; the result carries the token, which only the invoker sees (nothing is logged).
 * @example await adminAction(deps, { action: 'join-token', pool: 'onprem', days: 30 })
 */
export async function adminAction(deps: SetupDeps, request: unknown): Promise<Record<string, unknown>> {
  const r = (request ?? {}) as Partial<Record<string, unknown>>;
  const secrets = parseSecretsText(await readSecretString(deps.secrets, deps.secretArn), deps.secretArn);
  const t = now(deps);
  switch (r.action) {
    case 'join-token': {
      const days = r.days === undefined ? 30 : Number(r.days);
      if (!Number.isInteger(days) || days < 1 || days > 3650) throw new Error('join-token: days must be an integer from 1 to 3650');
      if (r.pool !== undefined && (typeof r.pool !== 'string' || !POOL_NAME.test(r.pool))) throw new Error('join-token: pool must be a name of letters, digits, . _ -');
      const exp = Math.floor(t + days * DAY);
      const token = await signClaims({ kind: 'join', iid: deps.iid, exp, ...(r.pool ? { pool: r.pool } : {}) }, secrets.joinKey);
      return { token, iid: deps.iid, expires: new Date(exp * 1000).toISOString(), ...(r.pool ? { pool: r.pool } : {}) };
    }
    case 'user-token': {
      if (typeof r.user !== 'string' || !USER_NAME.test(r.user)) throw new Error('user-token: user must be a name of letters, digits, . _ @ -');
      const role: Role = r.role === 'owner' ? 'owner' : 'user';
      if (r.role !== undefined && r.role !== 'owner' && r.role !== 'user') throw new Error('user-token: role must be owner or user');
      const label = typeof r.label === 'string' ? r.label.slice(0, 100) : 'admin invoke';
      const token = await new Auth(new UserTable(deps.store), secrets.tokenPepper, () => t).issue(r.user, role, label);
      return { token, user: r.user, role };
    }
    case 'rotate-agent-join-token': {
      const { expires } = await ensureAgentJoinToken(deps, secrets, true);
      return { rotated: true, expires: new Date(expires * 1000).toISOString() };
    }
    default:
      throw new Error(`unknown action ${JSON.stringify(r.action)}: use join-token, user-token or rotate-agent-join-token`);
  }
}

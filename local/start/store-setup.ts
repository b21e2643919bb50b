// store-setup.ts - readies DynamoDB for a local instance: the client configuration, the table (created if missing,
// awaited until ACTIVE) and the owner's token record. Invariant: every step is idempotent, so a restart on the same
// table changes nothing that exists, and only the token's peppered hash is ever written (never a secret).
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { createStoreContext, type StoreContext } from '../../control/store/context.ts';
import { tableDefinition } from '../../control/store/table.ts';
import { UserTable } from '../../control/store/users.ts';
import { hashUserToken } from '../../control/security/tokens.ts';

/** Client configuration for DynamoDB Local: it accepts any credentials, so these are placeholders. */
export function dynamoConfig(endpoint: string): DynamoDBClientConfig {
  return { endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

/** A store context on `table` at `endpoint`. */
export function localStore(endpoint: string, table: string): StoreContext {
  return createStoreContext(table, dynamoConfig(endpoint));
}

/**
 * Creates the table with Flurry's definition unless it exists, and waits until it is ACTIVE.
 * @example await ensureTable(store, 30_000)
 */
export async function ensureTable(store: StoreContext, timeoutMs = 30_000): Promise<'created' | 'existed'> {
  const raw = store.doc;
  const status = async (): Promise<string | undefined> => {
    try {
      const out = await raw.send(new DescribeTableCommand({ TableName: store.table }));
      return out.Table?.TableStatus;
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') return undefined;
      throw err;
    }
  };
  let result: 'created' | 'existed' = 'existed';
  if ((await status()) === undefined) {
    try {
      await raw.send(new CreateTableCommand(tableDefinition(store.table)));
      result = 'created';
    } catch (err) {
      if ((err as Error).name !== 'ResourceInUseException') throw new Error(`creating table ${store.table}: ${(err as Error).message}`);
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await status()) === 'ACTIVE') return result;
    if (Date.now() > deadline) throw new Error(`table ${store.table} did not become ACTIVE within ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Waits until the table exists and is ACTIVE, riding out a DynamoDB Local that is still starting (connection refused).
 * @example await waitForTable('http://localhost:8000', 'flurry', 60_000)
 */
export async function waitForTable(endpoint: string, table: string, timeoutMs: number): Promise<void> {
  // One attempt per call: the SDK's own retries would back off for seconds while DynamoDB Local boots.
  const client = new DynamoDBClient({ ...dynamoConfig(endpoint), maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  try {
    for (;;) {
      try {
        const out = await client.send(new DescribeTableCommand({ TableName: table }));
        if (out.Table?.TableStatus === 'ACTIVE') return;
        last = `status ${out.Table?.TableStatus}`;
      } catch (err) {
        last = (err as Error).name === 'ResourceNotFoundException' ? 'no such table yet' : (err as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`table ${table} at ${endpoint} not ready within ${Math.round(timeoutMs / 1000)} s (${last})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    client.destroy();
  }
}

/** Makes sure the owner's token is known to the table (written again if the table is new or lost it). */
export async function ensureOwnerToken(store: StoreContext, pepper: string, token: string, user: string): Promise<void> {
  const users = new UserTable(store);
  const hash = await hashUserToken(token, pepper);
  const existing = await users.get(hash);
  if (existing?.role === 'owner' && existing.user === user) return;
  await users.put(hash, { user, role: 'owner', createdAt: Date.now() / 1000, label: 'flurry start' });
}

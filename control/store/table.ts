// table.ts - the one DynamoDB table's keys and indexes, shared by local mode (CreateTable) and the CDK stack.
// Invariant: every hot path is a single-partition Query or a batched write, never a Scan.
//
// Items (pk / sk):
//   I#<iid>        / META                 instance: next node rank, queue epoch
//   I#<iid>        / LEASE                scheduler lease: holder, expiry, fencing token
//   I#<iid>        / NODE#<hostname>      node: rank, inventory, state, connection, heartbeat, provider, instance
//   J#<jobid hex>  / META                 job: jobspec, owner, urgency, priority, eventlog, derived state, R
//   J#<jobid hex>  / O#<rank>#<seq>       output chunks of one node, in order
//   T#<token>      / T                    client-token record of a submission (idempotency), expires by TTL
//   A#<tokenhash>  / A                    user bearer token (hashed with a pepper kept outside the table)
//   K#<ns>         / ...                  KVS commit log and materialized keys
//
// Indexes (sparse: an item is indexed only while it has the index's key attributes):
//   active  (apk, ask)  the instance's active jobs: ask = P#<jobid> while pending, R#<jobid> once allocated.
//                       The scheduler reads its queue and running set with one Query each.
//   owner   (opk, osk)  opk = <iid>#<owner>, osk = <jobid>: `flurry jobs` for one user, newest first.
//   all     (ipk, isk)  ipk = <iid>, isk = <jobid>: every job of the instance (instance owner's `jobs -A`).
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const KEY = { pk: 'pk', sk: 'sk' } as const;

/** Attributes the active index projects: what the scheduler needs to rebuild its queue and graph. */
export const ACTIVE_PROJECTION = ['owner', 'urgency', 'priority', 'req', 'dur', 'R', 'ver', 'tsub', 'st'];

export const INDEX = {
  active: { name: 'active', pk: 'apk', sk: 'ask', projection: ACTIVE_PROJECTION },
  owner: { name: 'owner', pk: 'opk', sk: 'osk', projection: 'KEYS_ONLY' },
  all: { name: 'all', pk: 'ipk', sk: 'isk', projection: 'KEYS_ONLY' },
} as const;

/** The TTL attribute (seconds since the epoch) for records that expire: client tokens, purged jobs. */
export const TTL_ATTRIBUTE = 'expiresAt';

/** CreateTable input for local mode and tests (the CDK stack builds the same shape from the constants above). */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  const indexes = Object.values(INDEX);
  const attributeNames = [KEY.pk, KEY.sk, ...indexes.flatMap((i) => [i.pk, i.sk])];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      { AttributeName: KEY.pk, KeyType: 'HASH' },
      { AttributeName: KEY.sk, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: attributeNames.map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
    GlobalSecondaryIndexes: indexes.map((i) => ({
      IndexName: i.name,
      KeySchema: [
        { AttributeName: i.pk, KeyType: 'HASH' },
        { AttributeName: i.sk, KeyType: 'RANGE' },
      ],
      Projection:
        i.projection === 'KEYS_ONLY'
          ? { ProjectionType: 'KEYS_ONLY' }
          : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...i.projection] },
    })),
  };
}

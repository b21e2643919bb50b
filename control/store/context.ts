// context.ts - what every store module needs: a DynamoDB document client and the table name.
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface StoreContext {
  doc: DynamoDBDocumentClient;
  table: string;
}

/** A document client that drops undefined attributes (our records use optional fields freely). */
export function createStoreContext(table: string, config: DynamoDBClientConfig = {}): StoreContext {
  const raw = new DynamoDBClient({ maxAttempts: 5, ...config });
  return {
    doc: DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } }),
    table,
  };
}

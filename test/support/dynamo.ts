// dynamo.ts - gives a test suite its own fresh table in the run's shared DynamoDB Local.
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { localDynamoClient } from '../../local/dynamodb-local.ts';
import { tableDefinition } from '../../control/store/table.ts';

let counter = 0;

export interface TestTable {
  endpoint: string;
  tableName: string;
  doc: DynamoDBDocumentClient;
}

/** Creates a table with Flurry's definition under a unique name. */
export async function createTestTable(prefix = 'test'): Promise<TestTable> {
  const endpoint = inject('dynamoEndpoint');
  const raw = localDynamoClient(endpoint);
  const tableName = `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  await raw.send(new CreateTableCommand(tableDefinition(tableName)));
  const doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  return { endpoint, tableName, doc };
}

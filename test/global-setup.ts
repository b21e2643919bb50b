// global-setup.ts - once per test run: build the CLI/agent bundles and start one DynamoDB Local (in memory)
// that every suite shares; each suite makes its own table, so suites never see each other's items.
import { execFileSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { startDynamoLocal } from '../local/dynamodb-local.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  execFileSync(process.execPath, ['tools/build.mjs'], { stdio: 'inherit' });
  const dynamo = await startDynamoLocal({});
  project.provide('dynamoEndpoint', dynamo.endpoint);
  return () => dynamo.stop();
}

// app.ts - the CDK app (`npx cdk deploy`, cdk.json): one Flurry stack, configured from context (infra/config.ts),
// checked by cdk-nag's AwsSolutions pack; a finding that is not acknowledged (infra/nag.ts) fails the synth.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { settingsFromContext } from './config.ts';
import { FlurryStack } from './stack.ts';

const app = new App();
const stackName = String(app.node.tryGetContext('stackName') ?? 'Flurry');
new FlurryStack(app, stackName, {
  settings: settingsFromContext(app.node),
  // Region and account come from the environment (AWS_REGION / the profile), as `cdk deploy` resolves them.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'Flurry: a serverless workload manager control plane (docs/deploy.md)',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));

// function.ts - one Flurry Lambda function: a NodejsFunction bundled by the local esbuild (ESM, minified, source
// maps, the AWS SDK bundled), nodejs22.x on arm64, with its own log group (retention set) and its own role.
// Invariants: the role starts empty except for writing its own log group (no managed policies); everything else is
// granted explicitly by the stack; configuration comes from environment variables, secrets never do.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';

/** The repository root (where package.json and package-lock.json are). */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const LOG_RETENTION = logs.RetentionDays.ONE_MONTH;

/** Some bundled CommonJS modules call require(): give the ESM bundle one. */
export const REQUIRE_BANNER = "import { createRequire as __flurryRequire } from 'node:module'; const require = __flurryRequire(import.meta.url);";

export interface FlurryFunctionProps {
  /** The entry file, relative to the repository root (exports `handler`). */
  entry: string;
  description: string;
  timeout: Duration;
  memorySize?: number;
  environment?: Record<string, string>;
  reservedConcurrentExecutions?: number;
  /** Write esbuild's metafile next to the bundle (size analysis; off by default). */
  metafile?: boolean;
}

export class FlurryFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FlurryFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: LOG_RETENTION, removalPolicy: RemovalPolicy.DESTROY });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (Flurry)`,
    });
    this.logGroup.grant(this.role, 'logs:CreateLogStream', 'logs:PutLogEvents');
    this.fn = new NodejsFunction(this, 'Function', {
      entry: `${REPO_ROOT}${props.entry}`,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      description: props.description,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      ...(props.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        bundleAwsSDK: true,
        externalModules: [],
        banner: REQUIRE_BANNER,
        metafile: props.metafile ?? false,
      },
    });
  }
}

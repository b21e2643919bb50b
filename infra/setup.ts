// setup.ts - the instance's secrets in Secrets Manager and the setup custom resource that fills them at deploy:
// the instance secrets (token pepper, join key, job-signing key), the first owner token, the EC2 agents' join
// token (control/lambda/setup.ts). The same function is the administrator's tool for minting tokens.
// Invariants: secret values never appear in the template, the environment, the custom resource's answer or a log;
// each principal may read only the secret it needs.
import { CustomResource, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../control/lambda/config.ts';
import { FlurryFunction } from './function.ts';
import type { FlurryTable } from './table.ts';

export interface InstanceSetupProps {
  iid: string;
  table: FlurryTable;
  ownerUser: string;
  removalPolicy: RemovalPolicy;
  metafile?: boolean;
}

export class InstanceSetup extends Construct {
  /** Token pepper, join key and signing key (JSON): the control plane's functions read it. */
  readonly instanceSecrets: secretsmanager.Secret;
  /** The first owner's user token: only administrators read it. */
  readonly ownerToken: secretsmanager.Secret;
  /** The join token EC2 agents read at boot. */
  readonly agentJoinToken: secretsmanager.Secret;
  readonly setup: FlurryFunction;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: InstanceSetupProps) {
    super(scope, id);
    const secret = (sid: string, description: string) =>
      new secretsmanager.Secret(this, sid, {
        description: `Flurry ${props.iid}: ${description} (written by the setup function; the initial value is a placeholder)`,
        removalPolicy: props.removalPolicy,
      });
    this.instanceSecrets = secret('InstanceSecrets', 'token pepper, join key and job-signing key');
    this.ownerToken = secret('OwnerToken', `user token of the first owner (${props.ownerUser})`);
    this.agentJoinToken = secret('AgentJoinToken', 'join token of the EC2 agents');

    this.setup = new FlurryFunction(this, 'Setup', {
      entry: 'control/lambda/setup.ts',
      description: 'Creates the instance secrets and first tokens; mints join and user tokens for administrators',
      timeout: Duration.minutes(1),
      memorySize: 512,
      metafile: props.metafile,
      environment: {
        [ENV.table]: props.table.table.tableName,
        [ENV.iid]: props.iid,
        [ENV.secretArn]: this.instanceSecrets.secretArn,
        [ENV.ownerTokenSecretArn]: this.ownerToken.secretArn,
        [ENV.joinTokenSecretArn]: this.agentJoinToken.secretArn,
      },
    });
    const secretArns = [this.instanceSecrets.secretArn, this.ownerToken.secretArn, this.agentJoinToken.secretArn];
    this.setup.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'], resources: secretArns }),
    );
    props.table.grantPutItem(this.setup.role);

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.setup.fn.functionArn,
      resourceType: 'Custom::FlurrySetup',
      // Only names travel in properties: the function reads and writes the values itself.
      properties: { Iid: props.iid, OwnerUser: props.ownerUser, Version: 1 },
    });
    // The function's permissions must exist before CloudFormation calls it.
    this.resource.node.addDependency(this.setup.role);
  }

  /** Lets `grantee` read the instance secrets (the control plane's functions). */
  grantReadInstanceSecrets(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.instanceSecrets.secretArn] }));
  }
}

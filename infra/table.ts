// table.ts - the instance's DynamoDB table, built from the same key, index and TTL constants local mode uses
// (control/store/table.ts), so the two can never disagree; and the least-privilege grant the functions get.
// Invariants: on-demand billing, point-in-time recovery, encryption at rest with a KMS key, TTL on `expiresAt`;
// grants name the table and each index by ARN (never `*`, never `index/*`).
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { INDEX, KEY, TTL_ATTRIBUTE } from '../control/store/table.ts';

/** What the control plane does with its table (transactions need the item actions they contain). */
export const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:Query',
];

export interface FlurryTableProps {
  /** RETAIN (default) keeps every job and token when the stack is deleted. */
  removalPolicy: RemovalPolicy;
}

export class FlurryTable extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: FlurryTableProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: KEY.pk, type: dynamodb.AttributeType.STRING },
      sortKey: { name: KEY.sk, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      removalPolicy: props.removalPolicy,
      deletionProtection: props.removalPolicy === RemovalPolicy.RETAIN,
    });
    for (const index of Object.values(INDEX)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.pk, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sk, type: dynamodb.AttributeType.STRING },
        ...(index.projection === 'KEYS_ONLY'
          ? { projectionType: dynamodb.ProjectionType.KEYS_ONLY }
          : { projectionType: dynamodb.ProjectionType.INCLUDE, nonKeyAttributes: [...index.projection] }),
      });
    }
  }

  /** The table's ARN and each index's ARN, spelled out. */
  get resourceArns(): string[] {
    return [this.table.tableArn, ...Object.values(INDEX).map((i) => `${this.table.tableArn}/index/${i.name}`)];
  }

  /** Lets `grantee` read and write items and query the indexes: the control plane's functions. */
  grantControlPlane(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: TABLE_ACTIONS, resources: this.resourceArns }));
  }

  /** Lets `grantee` write user-token records only (the setup function): PutItem on the table. */
  grantPutItem(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: [this.table.tableArn] }));
  }
}

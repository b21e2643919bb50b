// elastic.ts - the elastic loop on AWS (`-c elasticConfig=pools.yaml`): the pools file, read and checked at synth,
// travels to the tick and http functions in one environment variable (elastic/aws.ts); the tick role may launch EC2
// agents from the stack's launch template and nothing else: RunInstances only with that template (and launch
// templates the pools name by id), tagged with the cluster; tags only at creation; placement groups named `flurry-*`
// and tagged; terminations and deletions only of what carries the cluster tag; PassRole only of the agents' role, to
// EC2. Invariants: a pools file that cannot work on this stack fails the synth with the field named; the IAM policy
// is a separate inline policy of the tick role, and its cdk-nag acknowledgements name each wildcard resource.
import { Annotations, Aws, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ENV } from '../control/lambda/config.ts';
import { awsConfigProblems, encodeElasticConfig, launchTemplateIds, skippedNote } from '../elastic/aws.ts';
import { type ElasticConfig, isCloudPool, loadElasticConfig } from '../elastic/config.ts';
import type { AgentFleet } from './agents.ts';
import type { FlurryFunction } from './function.ts';

export interface ElasticPoolsProps {
  iid: string;
  /** The pools file (YAML or JSON), relative to the working directory of `cdk synth`. */
  configFile: string;
  /** Runs the elastic pass. */
  tick: FlurryFunction;
  /** Serve `GET /v1/elastic` (and accept jobs only the pools could run). */
  status: FlurryFunction[];
  agents: AgentFleet;
}

/** The tag that marks what the cluster owns (elastic/providers/ec2-request.ts TAG.cluster). */
const CLUSTER_TAG = 'flurry:cluster';

/** Reads and checks a pools file; errors name the file. */
export function readPoolsFile(file: string): ElasticConfig {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`elasticConfig=${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  try {
    return loadElasticConfig(text);
  } catch (err) {
    throw new Error(`elasticConfig=${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** An EC2 ARN in this stack's partition, region and (unless `global`) account. */
function ec2Arn(resource: string, global = false): string {
  return `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${global ? '' : Aws.ACCOUNT_ID}:${resource}`;
}

/** The finding id cdk-nag gives a wildcard resource (tokens rendered as `<AWS::Region>`). */
function iam5(resource: string): string {
  return `AwsSolutions-IAM5[Resource::${resource.replace(/\$\{Token\[AWS\.(\w+)\.\d+\]\}/g, (_, p: string) => `<AWS::${p}>`)}]`;
}

export class ElasticPools extends Construct {
  readonly config: ElasticConfig;
  readonly policy: iam.Policy;

  constructor(scope: Construct, id: string, props: ElasticPoolsProps) {
    super(scope, id);
    const config = readPoolsFile(props.configFile);
    const problems = awsConfigProblems(config, { arch: props.agents.arch });
    if (problems.length) throw new Error(`elasticConfig=${props.configFile}:\n  ${problems.join('\n  ')}`);
    this.config = config;
    for (const p of config.pools) if (p.provider === 'local') Annotations.of(this).addInfo(skippedNote(p));

    const encoded = encodeElasticConfig(config);
    for (const f of [props.tick, ...props.status]) f.fn.addEnvironment(ENV.elasticConfig, encoded);
    const bundle = props.agents.bundle;
    props.tick.fn.addEnvironment(ENV.agentBundle, `s3://${bundle.s3BucketName}/${bundle.s3ObjectKey}`);
    if (props.agents.securityGroup) props.tick.fn.addEnvironment(ENV.agentSecurityGroup, props.agents.securityGroup.attrGroupId);

    const templates = [props.agents.launchTemplate.launchTemplateId!, ...launchTemplateIds(config)].map((lt) => ec2Arn(`launch-template/${lt}`));
    const fromTemplate = { ArnEquals: { 'ec2:LaunchTemplate': templates } };
    const mine = { [`aws:RequestTag/${CLUSTER_TAG}`]: props.iid };
    const owned = { StringEquals: { [`aws:ResourceTag/${CLUSTER_TAG}`]: props.iid } };
    const created = ['instance/*', 'volume/*', 'network-interface/*'].map((r) => ec2Arn(r));
    const groups = ec2Arn('placement-group/flurry-*');
    const keyPairs = config.pools.some((p) => isCloudPool(p) && p.ec2?.keyName) ? [ec2Arn('key-pair/*')] : [];
    const used = [ec2Arn('image/*', true), ec2Arn('subnet/*'), ec2Arn('security-group/*'), groups, ec2Arn('spot-instances-request/*'), ...keyPairs];
    const statements = [
      // What a launch uses (its template, image, subnet, security groups, placement group, spot request): only with
      // one of the allowed launch templates.
      new iam.PolicyStatement({ sid: 'RunFromTemplate', actions: ['ec2:RunInstances'], resources: [...templates, ...used], conditions: fromTemplate }),
      // What a launch creates: only tagged with this cluster at creation.
      new iam.PolicyStatement({ sid: 'RunTagged', actions: ['ec2:RunInstances'], resources: created, conditions: { ...fromTemplate, StringEquals: mine } }),
      new iam.PolicyStatement({
        sid: 'TagOnCreate', actions: ['ec2:CreateTags'], resources: [...created, groups],
        conditions: { StringEquals: { 'ec2:CreateAction': ['RunInstances', 'CreatePlacementGroup'], ...mine } },
      }),
      new iam.PolicyStatement({ sid: 'CreateGroups', actions: ['ec2:CreatePlacementGroup'], resources: [groups], conditions: { StringEquals: mine } }),
      new iam.PolicyStatement({ sid: 'DeleteGroups', actions: ['ec2:DeletePlacementGroup'], resources: [groups], conditions: owned }),
      new iam.PolicyStatement({ sid: 'Terminate', actions: ['ec2:TerminateInstances'], resources: [ec2Arn('instance/*')], conditions: owned }),
      // Describe* calls support no resource-level permissions; the provider keeps only what carries the cluster tag.
      new iam.PolicyStatement({ sid: 'Describe', actions: ['ec2:DescribeInstances', 'ec2:DescribePlacementGroups'], resources: ['*'] }),
      new iam.PolicyStatement({
        sid: 'PassAgentRole', actions: ['iam:PassRole'], resources: [props.agents.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      }),
    ];
    this.policy = new iam.Policy(this, 'Ec2', { roles: [props.tick.role], statements });
    this.acknowledge([...created, ...used.filter((r) => r !== groups)], groups);
  }

  /** The cdk-nag IAM5 findings of the wildcard resources, each with its reason. */
  private acknowledge(launched: string[], groups: string): void {
    const reasons = new Map<string, string>();
    for (const r of launched) {
      reasons.set(
        r,
        'EC2 names instances, volumes, network interfaces and spot requests only when RunInstances creates them, and the ' +
          'subnets, security groups and AMI come from the pools file or the launch template: every RunInstances is ' +
          'limited to the stack’s launch template (ec2:LaunchTemplate), and what it creates must carry the cluster tag.',
      );
    }
    reasons.set(
      ec2Arn('instance/*'),
      'Instance ids exist only at run time: RunInstances may create instances only from the stack’s launch template and ' +
        'tagged with this cluster, and TerminateInstances applies only to instances carrying that tag ' +
        '(aws:ResourceTag/flurry:cluster), which only this stack’s launches get.',
    );
    reasons.set(
      groups,
      'Each multi-node EFA launch gets its own cluster placement group, named flurry-<launch id> at run time: the ARN is ' +
        'limited to that prefix, creation and tagging to the cluster tag, deletion to groups carrying it.',
    );
    reasons.set(
      '*',
      'ec2:DescribeInstances and ec2:DescribePlacementGroups support no resource-level permissions (the Service ' +
        'Authorization Reference lists none); they only read, and the provider keeps what carries the cluster tag.',
    );
    for (const [resource, reason] of reasons) Validations.of(this.policy).acknowledge({ id: iam5(resource), reason });
  }
}

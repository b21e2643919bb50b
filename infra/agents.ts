// agents.ts - what EC2 agents are launched from: the agent bundle (the `flurry` CLI with the node agent, built by
// esbuild at synth time from client/cli/main.ts and uploaded as an S3 asset), an instance role that can read only
// that object and the agents' join token, a security group with no inbound rules, and a launch template whose user
// data installs Node 22 and runs `flurry agent` under systemd (user-data.ts). The elastic loop launches from the same
// template, replacing its user data with its own (a pool-scoped join token instead of the shared one: elastic.ts).
// Invariants: agents only dial out (wss:// to API Gateway), so nothing may reach them from outside; IMDSv2 only;
// encrypted root volume; the bundle is never committed (it is built into the cloud assembly).
import { AssetHashType, BundlingOutput, DockerImage, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import { join } from 'node:path';
import { isArm64InstanceType } from './config.ts';
import { REPO_ROOT, REQUIRE_BANNER } from './function.ts';
import { agentBootCommands } from './user-data.ts';

export interface AgentFleetProps {
  iid: string;
  agentUri: string;
  joinToken: secretsmanager.ISecret;
  instanceTypes: string[];
  vpcId?: string;
}

/** Builds dist-like single-file bundle of the CLI into `outputDir/flurry.mjs` (local bundling, no Docker). */
export function bundleAgent(outputDir: string): void {
  buildSync({
    absWorkingDir: REPO_ROOT,
    entryPoints: ['client/cli/main.ts'],
    outfile: join(outputDir, 'flurry.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    logLevel: 'warning',
    banner: { js: REQUIRE_BANNER },
  });
}

export class AgentFleet extends Construct {
  readonly bundle: s3assets.Asset;
  readonly role: iam.Role;
  /** Only with a VPC id: a security group belongs to a VPC. */
  readonly securityGroup: ec2.CfnSecurityGroup | undefined;
  readonly launchTemplate: ec2.LaunchTemplate;
  /** The architecture of the launch template's AMI (one per template: the `instanceTypes` context's). */
  readonly arch: 'arm64' | 'x86_64';

  constructor(scope: Construct, id: string, props: AgentFleetProps) {
    super(scope, id);
    this.bundle = new s3assets.Asset(this, 'Bundle', {
      path: join(REPO_ROOT, 'node-agent'),
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Never pulled: local bundling always succeeds or throws.
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-slim'),
        outputType: BundlingOutput.SINGLE_FILE,
        local: {
          tryBundle(outputDir: string): boolean {
            bundleAgent(outputDir);
            return true;
          },
        },
      },
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `Flurry ${props.iid}: EC2 agents (read the agent bundle and the join token)`,
    });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bundle.bucket.arnForObjects(this.bundle.s3ObjectKey)] }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [props.joinToken.secretArn] }));

    if (props.vpcId) {
      // L1 on purpose: the L2 needs an IVpc, and a VPC cannot be looked up offline.
      this.securityGroup = new ec2.CfnSecurityGroup(this, 'SecurityGroup', {
        vpcId: props.vpcId,
        groupDescription: `Flurry ${props.iid} agents: no inbound rules (agents only dial out)`,
        securityGroupEgress: [{ ipProtocol: '-1', cidrIp: '0.0.0.0/0', description: 'wss:// to API Gateway, S3, Secrets Manager, package repositories, and whatever jobs reach' }],
      });
    }

    const userData = ec2.UserData.forLinux();
    userData.addCommands(
      ...agentBootCommands({
        region: Stack.of(this).region,
        bundleBucket: this.bundle.s3BucketName,
        bundleKey: this.bundle.s3ObjectKey,
        joinTokenSecretArn: props.joinToken.secretArn,
        agentUri: props.agentUri,
      }),
    );
    const arm = props.instanceTypes.every(isArm64InstanceType);
    this.arch = arm ? 'arm64' : 'x86_64';
    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: arm ? ec2.AmazonLinuxCpuType.ARM_64 : ec2.AmazonLinuxCpuType.X86_64 }),
      instanceType: new ec2.InstanceType(props.instanceTypes[0] ?? 'c7g.large'),
      role: this.role,
      userData,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      instanceInitiatedShutdownBehavior: ec2.InstanceInitiatedShutdownBehavior.TERMINATE,
      blockDevices: [{ deviceName: '/dev/xvda', volume: ec2.BlockDeviceVolume.ebs(30, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }) }],
      ...(this.securityGroup ? { securityGroup: ec2.SecurityGroup.fromSecurityGroupId(this, 'AgentGroup', this.securityGroup.attrGroupId) } : {}),
    });
  }
}

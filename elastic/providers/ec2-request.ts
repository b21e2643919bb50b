// ec2-request.ts - what the ec2 provider sends: the RunInstances input of a launch (launch template, EFA interface and
// cluster placement group, spot market options, subnet, ownership tags, IMDSv2, client token) and the user data that
// installs the node agent as a systemd unit dialing the pool's joinUrl with a pool-scoped, expiring join token.
// Invariants: pure (no I/O); the same inputs give the same request byte for byte (so a replay with the same token is
// idempotent at EC2); every instance is tagged with its cluster, pool and launch; the token never reaches a command
// line (it is written to a 0600 file the agent reads).
import type { RunInstancesCommandInput, Tag, TagSpecification } from '@aws-sdk/client-ec2';
import { nodeProperties, type InstanceTypeInfo } from '../catalog.ts';
import type { CloudPoolConfig, LaunchTemplateRef } from '../config-types.ts';
import { stableHash } from '../policy/format.ts';
import type { LaunchRequest } from '../provider.ts';

/** Tag keys that mark what the provider owns. */
export const TAG = { cluster: 'flurry:cluster', pool: 'flurry:pool', launch: 'flurry:launch' } as const;

export type { LaunchTemplateRef } from '../config-types.ts';

export interface Ec2LaunchContext {
  /** The cluster (instance id) the instances belong to: the value of the `flurry:cluster` tag. */
  cluster: string;
  /** Where the agent dials: the pool's joinUrl, else the control plane's own URL. */
  joinUrl: string;
  joinToken: string;
  /** The type's catalog entry (for the properties the agent reports). */
  type: InstanceTypeInfo;
  launchTemplate?: LaunchTemplateRef;
  /** PEM the agent trusts for wss:// (a self-signed head node). */
  caPem?: string;
  /** The agent command on the image (default `flurry`, found on PATH). */
  agentCommand?: string;
  /** For an image without the agent (the stack's stock Amazon Linux): how to install it, and whom it runs as. */
  boot?: AgentBoot;
}

/** Shell lines (run as root, before the token is written) that put `flurry` on the PATH, and the agent's user. */
export interface AgentBoot {
  install: string[];
  /** An unprivileged user the agent (and so every task) runs as; the install creates it. Default: root. */
  user?: string;
}

/** The EC2 ClientToken of a launch: its id, qualified by the cluster so two clusters in one account never collide. */
export function clientTokenOf(launchId: string, cluster: string): string {
  return `${launchId}.${stableHash(cluster)}`.slice(0, 64);
}

/** The launch template a pool uses: its own `ec2.launchTemplate`, else the provider's default. */
export function launchTemplateOf(pool: CloudPoolConfig, fallback?: LaunchTemplateRef): LaunchTemplateRef | undefined {
  return pool.ec2?.launchTemplate ?? fallback;
}

/** One argument of a systemd ExecStart line, quoted (systemd expands `%` and `$`; both are escaped). */
function unitArg(a: string): string {
  if (/^[A-Za-z0-9_./:+=,@-]+$/.test(a)) return a;
  return `"${a.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$')}"`;
}

/**
 * The user data script: writes the join token (and CA), installs `flurry-agent.service` and starts it.
 * @example Buffer.from(userData(req, ctx)).toString('base64') // what RunInstances' UserData carries
 */
export function userData(req: LaunchRequest, ctx: Ec2LaunchContext): string {
  const dir = '/var/lib/flurry-agent';
  const props = nodeProperties(ctx.type, { efa: req.pool.efa, capacityType: req.capacityType, properties: req.pool.properties });
  const args = [
    ctx.agentCommand ?? 'flurry', 'agent', '--uri', ctx.joinUrl, '--token-file', `${dir}/join-token`, '--state-dir', dir, '--spot-watch',
    ...props.flatMap((p) => ['--property', p]),
    ...(req.zone ? ['--zone', req.zone] : []),
    ...(req.placementGroup ? ['--group', req.placementGroup] : []),
    ...(ctx.caPem ? ['--ca', `${dir}/ca.pem`] : []),
  ];
  const lines = [
    '#!/bin/bash',
    `# Flurry elastic node: cluster ${ctx.cluster}, pool ${req.pool.name}, launch ${req.launchId} (written by the ec2 provider).`,
    '# The join token is scoped to the pool and expires; after joining, the agent keeps a node credential in its state directory.',
    'set -euo pipefail',
    ...(ctx.boot?.install ?? []),
    'umask 077',
    `install -d -m 0700 ${dir}`,
    `cat > ${dir}/join-token <<'FLURRY_JOIN_TOKEN'`,
    ctx.joinToken,
    'FLURRY_JOIN_TOKEN',
  ];
  if (ctx.caPem) lines.push(`cat > ${dir}/ca.pem <<'FLURRY_CA'`, ctx.caPem.trim(), 'FLURRY_CA');
  const user = ctx.boot?.user;
  if (user) lines.push(`chown -R ${user}:${user} ${dir}`);
  lines.push(
    "cat > /etc/systemd/system/flurry-agent.service <<'FLURRY_UNIT'",
    '[Unit]',
    'Description=Flurry node agent',
    'After=network-online.target',
    'Wants=network-online.target',
    '[Service]',
    ...(user ? [`User=${user}`, `Group=${user}`] : []),
    `ExecStart=/usr/bin/env ${args.map(unitArg).join(' ')}`,
    'Restart=always',
    'RestartSec=5',
    'KillMode=mixed',
    'TimeoutStopSec=30',
    '[Install]',
    'WantedBy=multi-user.target',
    'FLURRY_UNIT',
    'systemctl daemon-reload',
    'systemctl enable --now flurry-agent.service',
    '',
  );
  return lines.join('\n');
}

/** The ownership tags of a launch's resources (the pool's own tags first; ours win). */
export function tagsOf(req: LaunchRequest, cluster: string): Tag[] {
  const tags: Record<string, string> = {
    ...(req.pool.ec2?.tags ?? {}),
    Name: `flurry-${req.pool.name}`,
    [TAG.cluster]: cluster,
    [TAG.pool]: req.pool.name,
    [TAG.launch]: req.launchId,
  };
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/**
 * The RunInstances input of a launch. With a placement group: MinCount = MaxCount (all or nothing); without, MinCount 1
 * (partial capacity is accepted). With EFA: one EFA interface on network card 0, carrying the subnet and security
 * groups (EC2 refuses them at the top level then).
 * @example runInstancesInput(req, ctx).InterfaceType // undefined; .NetworkInterfaces[0].InterfaceType // 'efa'
 */
export function runInstancesInput(req: LaunchRequest, ctx: Ec2LaunchContext): RunInstancesCommandInput {
  const ec2 = req.pool.ec2 ?? {};
  const tags = tagsOf(req, ctx.cluster);
  const spec = (ResourceType: TagSpecification['ResourceType']): TagSpecification => ({ ResourceType, Tags: tags });
  const input: RunInstancesCommandInput = {
    InstanceType: req.instanceType as RunInstancesCommandInput['InstanceType'],
    MinCount: req.placementGroup ? req.count : 1,
    MaxCount: req.count,
    ClientToken: clientTokenOf(req.launchId, ctx.cluster),
    UserData: Buffer.from(userData(req, ctx), 'utf8').toString('base64'),
    TagSpecifications: [spec('instance'), spec('volume'), spec('network-interface')],
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
  };
  const lt = ctx.launchTemplate;
  if (lt) input.LaunchTemplate = { ...(lt.id ? { LaunchTemplateId: lt.id } : { LaunchTemplateName: lt.name }), Version: lt.version ?? '$Default' };
  if (ec2.imageId) input.ImageId = ec2.imageId;
  if (ec2.keyName) input.KeyName = ec2.keyName;
  if (ec2.instanceProfile) input.IamInstanceProfile = ec2.instanceProfile.startsWith('arn:') ? { Arn: ec2.instanceProfile } : { Name: ec2.instanceProfile };
  const efa = req.pool.efa && ctx.type.efa;
  if (efa) {
    input.NetworkInterfaces = [
      {
        DeviceIndex: 0,
        NetworkCardIndex: 0,
        InterfaceType: 'efa',
        DeleteOnTermination: true,
        ...(req.subnet ? { SubnetId: req.subnet } : {}),
        ...(ec2.securityGroupIds?.length ? { Groups: [...ec2.securityGroupIds] } : {}),
      },
    ];
  } else {
    if (req.subnet) input.SubnetId = req.subnet;
    if (ec2.securityGroupIds?.length) input.SecurityGroupIds = [...ec2.securityGroupIds];
  }
  if (req.placementGroup) input.Placement = { GroupName: req.placementGroup };
  if (req.capacityType === 'spot') {
    input.InstanceMarketOptions = { MarketType: 'spot', SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' } };
  }
  return input;
}

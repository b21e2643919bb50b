// ec2.ts - the `ec2` provider: RunInstances (one offering per launch: the policy diversifies, see docs/elastic.md),
// EFA interfaces and a cluster placement group for EFA types, spot market options, ownership tags, user data starting
// the agent; TerminateInstances; DescribeInstances filtered by the cluster tag; placement groups listed by that tag and
// deleted once unused (reconciliation decides when). EC2 errors become the typed errors of
// provider.ts. Invariants: idempotent on launchId through EC2's ClientToken (a replay with other parameters, e.g. a
// fresh join token, is answered from the instances that token already made); ownership is by tag, never by name.
import {
  CreatePlacementGroupCommand,
  DeletePlacementGroupCommand,
  DescribeInstancesCommand,
  type DescribeInstancesCommandInput,
  DescribePlacementGroupsCommand,
  type EC2Client,
  type Instance as Ec2Instance,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { BUILTIN_CATALOG, type Catalog, type InstanceTypeInfo } from '../catalog.ts';
import type { CloudPoolConfig } from '../config-types.ts';
import {
  type CloudProvider,
  type Instance,
  type InstanceState,
  InstanceNotFoundError,
  InsufficientCapacityError,
  type LaunchRequest,
  LimitExceededError,
  type Offering,
} from '../provider.ts';
import { type AgentBoot, clientTokenOf, type LaunchTemplateRef, launchTemplateOf, runInstancesInput, TAG } from './ec2-request.ts';

export interface Ec2ProviderOptions {
  client: EC2Client;
  /** The cluster (instance id): the `flurry:cluster` tag every instance carries. */
  cluster: string;
  /** A join token scoped to the pool, expiring (the host signs it). */
  joinToken(pool: CloudPoolConfig): Promise<string>;
  /** Where agents dial when the pool has no joinUrl (the control plane's public URL). */
  defaultJoinUrl?: string;
  /** The catalog the policy uses (types' EFA support and properties). */
  catalog?: Catalog;
  /** The launch template of pools that name none. */
  launchTemplate?: LaunchTemplateRef;
  /** PEM the agents trust for wss:// (a self-signed head node). */
  caPem?: string;
  agentCommand?: string;
  /**
   * How agents are installed on images without Flurry (the CDK stack's Amazon Linux launch template: ec2-boot.ts).
   * Applies to pools that launch from the default launch template's image (no ec2.imageId, no own launchTemplate).
   */
  boot?: AgentBoot;
  /** Seconds since the epoch. */
  clock?: () => number;
  log?: (line: string) => void;
}

const ICE_CODES = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientFreeAddressesInSubnet',
  'SpotMaxPriceTooLow',
  'Unsupported',
]);
const LIMIT_CODES = new Set(['InstanceLimitExceeded', 'VcpuLimitExceeded', 'MaxSpotInstanceCountExceeded', 'PlacementGroupLimitExceeded', 'RequestLimitExceeded']);
const NOT_FOUND_CODES = new Set(['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed']);

/** The EC2 error code of an SDK error (`name`, or `Code` on older shapes). */
export function errorCode(err: unknown): string {
  const e = err as { name?: string; Code?: string; code?: string };
  return e?.Code ?? e?.code ?? e?.name ?? '';
}

/** An EC2 error as a typed provider error (unchanged when it is none of ours). */
export function mapEc2Error(err: unknown, offering?: Offering, instanceId?: string): unknown {
  const code = errorCode(err);
  const message = (err as Error)?.message;
  if (offering && ICE_CODES.has(code)) return new InsufficientCapacityError(offering, `${code}: ${message}`, { cause: err });
  if (LIMIT_CODES.has(code)) return new LimitExceededError(code, message, { cause: err });
  if (instanceId && NOT_FOUND_CODES.has(code)) return new InstanceNotFoundError(instanceId, { cause: err });
  return err;
}

const STATES: Record<string, InstanceState> = {
  pending: 'pending',
  running: 'running',
  'shutting-down': 'terminating',
  stopping: 'terminating',
  stopped: 'terminating',
  terminated: 'terminated',
};

/**
 * The ec2 provider.
 * @example const p = new Ec2Provider({ client: new EC2Client({}), cluster: iid, joinToken, defaultJoinUrl: 'wss://head:8443' })
 */
export class Ec2Provider implements CloudProvider {
  readonly name = 'ec2';
  private readonly clock: () => number;
  /** Join tokens by launch: a replay in the same process sends identical parameters. */
  private readonly tokens = new Map<string, string>();

  constructor(private readonly opts: Ec2ProviderOptions) {
    this.clock = opts.clock ?? (() => Date.now() / 1000);
  }

  private typeOf(name: string): InstanceTypeInfo {
    const t = (this.opts.catalog ?? BUILTIN_CATALOG).get(name);
    if (!t) throw new Error(`instance type ${name} is not in the catalog`);
    return t;
  }

  async create(req: LaunchRequest): Promise<Instance[]> {
    const offering: Offering = { instanceType: req.instanceType, capacityType: req.capacityType };
    if (req.zone) offering.zone = req.zone;
    if (req.subnet) offering.subnet = req.subnet;
    const joinUrl = req.pool.joinUrl ?? this.opts.defaultJoinUrl;
    if (!joinUrl) throw new Error(`pool ${req.pool.name}: no joinUrl, and the control plane's URL is unknown`);
    const launchTemplate = launchTemplateOf(req.pool, this.opts.launchTemplate);
    if (!req.pool.ec2?.imageId && !launchTemplate) throw new Error(`pool ${req.pool.name}: give ec2.imageId (an AMI with the flurry agent) or a launch template`);
    if (req.placementGroup) await this.ensurePlacementGroup(req);
    let token = this.tokens.get(req.launchId);
    if (!token) {
      token = await this.opts.joinToken(req.pool);
      this.tokens.set(req.launchId, token);
    }
    const input = runInstancesInput(req, {
      cluster: this.opts.cluster, joinUrl, joinToken: token, type: this.typeOf(req.instanceType),
      ...(launchTemplate ? { launchTemplate } : {}),
      ...(this.opts.caPem ? { caPem: this.opts.caPem } : {}),
      ...(this.opts.agentCommand ? { agentCommand: this.opts.agentCommand } : {}),
      ...(this.opts.boot && !req.pool.ec2?.imageId && !req.pool.ec2?.launchTemplate ? { boot: this.opts.boot } : {}),
    });
    try {
      const out = await this.opts.client.send(new RunInstancesCommand(input));
      return (out.Instances ?? []).map((i) => this.toInstance(i, req));
    } catch (err) {
      if (errorCode(err) === 'IdempotentParameterMismatch') {
        // This launch ran before (another process, another token): answer with what it made.
        return this.describe({ Filters: [{ Name: 'client-token', Values: [clientTokenOf(req.launchId, this.opts.cluster)] }] });
      }
      throw mapEc2Error(err, offering);
    } finally {
      if (this.tokens.size > 256) this.tokens.clear();
    }
  }

  /** Create the launch's cluster placement group; one that exists already is fine. */
  private async ensurePlacementGroup(req: LaunchRequest): Promise<void> {
    try {
      await this.opts.client.send(
        new CreatePlacementGroupCommand({
          GroupName: req.placementGroup,
          Strategy: 'cluster',
          TagSpecifications: [{ ResourceType: 'placement-group', Tags: [{ Key: TAG.cluster, Value: this.opts.cluster }, { Key: TAG.pool, Value: req.pool.name }, { Key: TAG.launch, Value: req.launchId }] }],
        }),
      );
    } catch (err) {
      if (errorCode(err) !== 'InvalidPlacementGroup.Duplicate') throw mapEc2Error(err);
    }
  }

  async listPlacementGroups(): Promise<string[]> {
    const out = await this.opts.client.send(new DescribePlacementGroupsCommand({ Filters: [{ Name: `tag:${TAG.cluster}`, Values: [this.opts.cluster] }] }));
    return (out.PlacementGroups ?? [])
      .filter((g) => g.GroupName && g.State !== 'deleting' && g.State !== 'deleted' && (g.Tags ?? []).some((t) => t.Key === TAG.cluster && t.Value === this.opts.cluster))
      .map((g) => g.GroupName!);
  }

  async deletePlacementGroup(name: string): Promise<void> {
    try {
      await this.opts.client.send(new DeletePlacementGroupCommand({ GroupName: name }));
    } catch (err) {
      if (errorCode(err) !== 'InvalidPlacementGroup.Unknown') throw mapEc2Error(err);
    }
  }

  async delete(instanceId: string): Promise<void> {
    try {
      await this.opts.client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    } catch (err) {
      throw mapEc2Error(err, undefined, instanceId);
    }
  }

  async get(instanceId: string): Promise<Instance> {
    let found: Instance[];
    try {
      found = await this.describe({ InstanceIds: [instanceId] });
    } catch (err) {
      throw mapEc2Error(err, undefined, instanceId);
    }
    const inst = found[0];
    if (!inst) throw new InstanceNotFoundError(instanceId);
    return inst;
  }

  async list(): Promise<Instance[]> {
    const all = await this.describe({
      Filters: [
        { Name: `tag:${TAG.cluster}`, Values: [this.opts.cluster] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'shutting-down', 'stopping', 'stopped'] },
      ],
    });
    return all.filter((i) => i.state !== 'terminated');
  }

  async getInstanceTypes(pool: CloudPoolConfig): Promise<InstanceTypeInfo[]> {
    const cat = this.opts.catalog ?? BUILTIN_CATALOG;
    return pool.instanceTypes.flatMap((n) => {
      const t = cat.get(n);
      return t ? [{ ...t }] : [];
    });
  }

  /** DescribeInstances, every page, keeping only instances tagged with this cluster. */
  private async describe(input: DescribeInstancesCommandInput): Promise<Instance[]> {
    const out: Instance[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.opts.client.send(new DescribeInstancesCommand({ ...input, ...(NextToken ? { NextToken } : {}) }));
      for (const r of page.Reservations ?? []) {
        for (const i of r.Instances ?? []) {
          const tags = new Map((i.Tags ?? []).map((t) => [t.Key, t.Value]));
          if (tags.get(TAG.cluster) === this.opts.cluster) out.push(this.toInstance(i));
        }
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }

  private toInstance(i: Ec2Instance, req?: LaunchRequest): Instance {
    const tags = new Map((i.Tags ?? []).map((t) => [t.Key, t.Value]));
    const inst: Instance = {
      id: i.InstanceId ?? '',
      launchId: tags.get(TAG.launch) ?? req?.launchId ?? '',
      pool: tags.get(TAG.pool) ?? req?.pool.name ?? '',
      instanceType: i.InstanceType ?? req?.instanceType ?? '',
      capacityType: i.InstanceLifecycle === 'spot' ? 'spot' : req && !i.InstanceLifecycle ? req.capacityType : 'on-demand',
      state: STATES[i.State?.Name ?? 'pending'] ?? 'pending',
      launchedAt: i.LaunchTime ? i.LaunchTime.getTime() / 1000 : this.clock(),
    };
    if (i.Placement?.AvailabilityZone) inst.zone = i.Placement.AvailabilityZone;
    if (i.SubnetId) inst.subnet = i.SubnetId;
    if (i.Placement?.GroupName) inst.placementGroup = i.Placement.GroupName;
    return inst;
  }
}

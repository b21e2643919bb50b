// config-types.ts - the normalized elastic configuration as the policy and the providers read it: pools and their
// settings, every field documented. Invariants: plain data, durations in seconds; imports nothing heavier than types,
// so the pure policy does not pull in the YAML and schema code (config.ts produces these values).
import type { InstanceTypeInfo } from './catalog.ts';

/** How a cloud pool buys capacity; `spot-then-on-demand` prefers spot and falls back to on-demand when spot has none. */
export type PoolCapacityType = 'on-demand' | 'spot' | 'spot-then-on-demand';
export type CloudProviderName = 'local' | 'ec2' | 'sim';

/** A subnet to launch into; `zone` (its availability zone) lets the policy skip a zone that had no capacity. */
export interface SubnetConfig {
  id: string;
  zone?: string;
}

/** An EC2 launch template, by id (`lt-…`) or by name; `version` defaults to `$Default`. */
export interface LaunchTemplateRef {
  id?: string;
  name?: string;
  /** A version number, `$Default` or `$Latest`. */
  version?: string;
}

/** On-prem agents that join by themselves: the policy never launches, drains or terminates them. */
export interface StaticPoolConfig {
  name: string;
  provider: 'static';
  /** Informational: properties these nodes are expected to carry (they report their own). */
  properties: string[];
}

/** A pool the policy grows and shrinks through a provider. */
export interface CloudPoolConfig {
  name: string;
  provider: CloudProviderName;
  /** Types the policy may launch, cheapest fit first. For `local` pools: the one synthetic type `local.<name>`. */
  instanceTypes: string[];
  /** Nodes kept even with no work (launched if missing). */
  min: number;
  /** Nodes never exceeded: running + joining + in flight. */
  max: number;
  capacityType: PoolCapacityType;
  /** Attach EFA and launch multi-node jobs into one cluster placement group; every type must support EFA. */
  efa: boolean;
  /** ec2 only: subnets to launch into, in order of preference. */
  subnets: SubnetConfig[];
  /** Seconds a node may sit empty before it is drained and then terminated; Infinity = never. */
  idleTimeout: number;
  /** Seconds a job may wait for static pools before it bursts here; Infinity = never burst for waiting. */
  maxWaitBeforeBurst: number;
  /** Seconds an instance may take to join before it is terminated as broken. */
  joinTimeout: number;
  /** Where agents on launched instances dial back (ec2 behind an on-prem head node); absent = the API's own URL. */
  joinUrl?: string;
  /** Extra node properties for RFC 31 constraints, added to the type name, arch, `efa` and `spot`. */
  properties: string[];
  /** local only: what each spawned agent reports, and how long it takes to start. */
  local?: {
    /** Seconds from spawn to the agent's hello (default 2 s). */
    startupDelay: number;
    cores: number;
    /** Default 0. */
    gpus: number;
    memoryMB: number;
  };
  /** sim only. */
  sim?: {
    /** Seconds from launch to join (default 60 s). */
    bootDelay: number;
  };
  /** ec2 only: launch details for the ec2 provider. */
  ec2?: {
    /** AMI with the node agent installed (default: the provider's choice). */
    imageId?: string;
    securityGroupIds?: string[];
    /** IAM instance profile name or ARN for the instances. */
    instanceProfile?: string;
    /** EC2 key pair for SSH, if any. */
    keyName?: string;
    /** Extra tags on instances (the provider adds its ownership tags). */
    tags?: Record<string, string>;
    /**
     * Launch template to launch from (its settings apply unless the request overrides them: type, subnet, user data,
     * tags). Default: the provider's (on AWS, the stack's agent launch template).
     */
    launchTemplate?: LaunchTemplateRef;
  };
}

export type PoolConfig = StaticPoolConfig | CloudPoolConfig;

/** The normalized elastic configuration. */
export interface ElasticConfig {
  /** Scale-up trigger batching: a window opens at the first trigger and closes after `idle` s with no new trigger, or `max` s after it opened. */
  batch: { idle: number; max: number };
  /** USD per hour over all running and in-flight cloud instances; absent = no cap. */
  maxSpendPerHour?: number;
  /** Seconds an offering that reported insufficient capacity is skipped before it is tried again. */
  insufficientCapacityTTL: number;
  /** Catalog entries from the file: new types, or overrides of built-in ones (merged field by field). */
  catalog: InstanceTypeInfo[];
  pools: PoolConfig[];
}

/** Is this a pool the policy may grow and shrink? */
export function isCloudPool(p: PoolConfig | undefined): p is CloudPoolConfig {
  return p !== undefined && p.provider !== 'static';
}

/** The pool a name refers to, if any. */
export function poolNamed(config: ElasticConfig, name: string): PoolConfig | undefined {
  return config.pools.find((p) => p.name === name);
}

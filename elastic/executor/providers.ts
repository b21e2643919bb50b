// providers.ts - the providers of a pools file: one per kind (local processes, EC2, sim), shared by the pools of
// that kind, each given join tokens scoped to the pool that asks. Invariant: a pool of an unknown kind gets none (the
// executor notes it and leaves the pool alone).
import { EC2Client } from '@aws-sdk/client-ec2';
import { signClaims } from '../../control/security/tokens.ts';
import { catalogFor } from '../catalog.ts';
import { type CloudPoolConfig, type ElasticConfig, isCloudPool } from '../config-types.ts';
import type { CloudProvider } from '../provider.ts';
import { Ec2Provider } from '../providers/ec2.ts';
import type { AgentBoot, LaunchTemplateRef } from '../providers/ec2-request.ts';
import { LocalProvider } from '../providers/local.ts';
import { SimProvider } from '../providers/sim.ts';

export interface ProviderOptions {
  iid: string;
  config: ElasticConfig;
  /** The HMAC key join tokens are signed with. */
  joinKey: string;
  /** The control plane's URL: local agents dial it; ec2 pools without joinUrl too. */
  uri: string;
  /** local: where instances and agent state live (the instance directory's `elastic/`). */
  stateDir?: string;
  /** TLS certificate (PEM file and text) agents must trust. */
  caFile?: string;
  caPem?: string;
  ec2Client?: EC2Client;
  /** ec2: the launch template of pools that name none (on AWS, the stack's agent launch template). */
  launchTemplate?: LaunchTemplateRef;
  /** ec2: how pools launching from that template's own image get the agent installed (ec2-boot.ts). */
  boot?: AgentBoot;
  clock: () => number;
  log?: (line: string) => void;
}

/** A join token for a pool: scoped to it, valid for its joinTimeout plus an hour. */
export function poolJoinToken(iid: string, joinKey: string, clock: () => number): (pool: CloudPoolConfig) => Promise<string> {
  return (pool) => signClaims({ kind: 'join', iid, pool: pool.name, exp: Math.floor(clock() + pool.joinTimeout + 3600) }, joinKey);
}

/** One provider per kind, shared by the pools of that kind. */
export function buildProviders(o: ProviderOptions): { providers: Map<string, CloudProvider>; local?: LocalProvider } {
  const joinToken = poolJoinToken(o.iid, o.joinKey, o.clock);
  const providers = new Map<string, CloudProvider>();
  let local: LocalProvider | undefined;
  let ec2: Ec2Provider | undefined;
  let sim: SimProvider | undefined;
  for (const pool of o.config.pools) {
    if (!isCloudPool(pool)) continue;
    if (pool.provider === 'local') {
      local ??= new LocalProvider({ uri: o.uri, joinToken, clock: o.clock, ...(o.stateDir ? { stateDir: o.stateDir } : {}), ...(o.caFile ? { caFile: o.caFile } : {}), ...(o.log ? { log: o.log } : {}) });
      providers.set(pool.name, local);
    } else if (pool.provider === 'ec2') {
      ec2 ??= new Ec2Provider({
        client: o.ec2Client ?? new EC2Client({}), cluster: o.iid, joinToken, defaultJoinUrl: o.uri, catalog: catalogFor(o.config), clock: o.clock,
        ...(o.caPem ? { caPem: o.caPem } : {}), ...(o.log ? { log: o.log } : {}),
        ...(o.launchTemplate ? { launchTemplate: o.launchTemplate } : {}), ...(o.boot ? { boot: o.boot } : {}),
      });
      providers.set(pool.name, ec2);
    } else {
      sim ??= new SimProvider({ clock: o.clock, catalog: catalogFor(o.config) });
      providers.set(pool.name, sim);
    }
  }
  return local ? { providers, local } : { providers };
}

// aws.test.ts - the pools file on AWS: the encoded form round-trips (inf included), local pools are skipped with a
// note and ec2 pools get the stack's defaults, and synth-time checks refuse what the stack cannot launch.
import { describe, expect, it } from 'vitest';
import { awsConfigProblems, awsPools, decodeElasticConfig, encodeElasticConfig, launchTemplateIds, MAX_ENCODED_BYTES } from './aws.ts';
import { type CloudPoolConfig, parseElasticConfig } from './config.ts';

const config = parseElasticConfig({
  pools: [
    { name: 'onprem', provider: 'static' },
    { name: 'burst', provider: 'local', max: 2, idleTimeout: 'inf', local: { cores: 2, memoryMB: 1024 } },
    { name: 'cloud', provider: 'ec2', instanceTypes: ['c7g.xlarge'], max: 8, maxWaitBeforeBurst: 'inf' },
    { name: 'hpc', provider: 'ec2', instanceTypes: ['hpc7g.16xlarge'], efa: true, max: 4, subnets: ['subnet-0own'], ec2: { launchTemplate: 'lt-0123456789abcdef0' } },
  ],
});

describe('the encoded config', () => {
  it('round-trips, infinite durations included', () => {
    const text = encodeElasticConfig(config);
    expect(text).toContain('"idleTimeout":"inf"');
    expect(decodeElasticConfig(text)).toEqual(config);
    expect((decodeElasticConfig(text).pools[2] as CloudPoolConfig).maxWaitBeforeBurst).toBe(Infinity);
  });

  it('refuses what is not one', () => {
    expect(() => decodeElasticConfig('{')).toThrow(/not valid JSON/);
    expect(() => decodeElasticConfig('{"pools": 3}')).toThrow(/not an encoded pools file/);
  });
});

describe('awsPools', () => {
  it('skips local pools with a note and gives ec2 pools the stack’s subnets (and EFA pools its security group)', () => {
    const { config: here, notes } = awsPools(config, { subnetIds: ['subnet-0a', 'subnet-0b'], securityGroupId: 'sg-0agents' });
    expect(here.pools.map((p) => p.name)).toEqual(['onprem', 'cloud', 'hpc']);
    expect(notes).toEqual([expect.stringMatching(/^pool burst \(local\) is skipped on AWS: .*flurry start --elastic/)]);
    const [cloud, hpc] = [here.pools[1] as CloudPoolConfig, here.pools[2] as CloudPoolConfig];
    expect(cloud.subnets).toEqual([{ id: 'subnet-0a' }, { id: 'subnet-0b' }]);
    expect(cloud.ec2?.securityGroupIds).toBeUndefined(); // the launch template's group applies
    expect(hpc.subnets).toEqual([{ id: 'subnet-0own' }]);
    expect(hpc.ec2).toEqual({ launchTemplate: { id: 'lt-0123456789abcdef0' }, securityGroupIds: ['sg-0agents'] });
    expect(config.pools[2]).not.toBe(cloud); // the input is left alone
  });
});

describe('awsConfigProblems', () => {
  it('accepts a config the stack can launch', () => {
    expect(awsConfigProblems(config, { arch: 'arm64' })).toEqual([]);
    expect(launchTemplateIds(config)).toEqual(['lt-0123456789abcdef0']);
  });

  it('names each pool the stack cannot launch, and a config too big to carry', () => {
    const bad = parseElasticConfig({
      catalog: Array.from({ length: 40 }, (_, i) => ({ name: `x${i}.large`, cores: 4, memoryMB: 8192, onDemandPrice: 0.2 })),
      pools: [
        { name: 'intel', provider: 'ec2', instanceTypes: ['c6i.2xlarge'], max: 2 },
        { name: 'named', provider: 'ec2', instanceTypes: ['c7g.xlarge'], max: 2, ec2: { launchTemplate: 'my-template', instanceProfile: 'other-role' } },
      ],
    });
    const problems = awsConfigProblems(bad, { arch: 'arm64' });
    expect(problems).toEqual([
      expect.stringMatching(/^pools\[0\] \(intel\): c6i\.2xlarge is x86_64, but the stack's launch template boots the arm64 AMI/),
      expect.stringMatching(/^pools\[1\] \(named\): ec2\.instanceProfile: on AWS instances get the stack's agent instance profile/),
      expect.stringMatching(/^pools\[1\] \(named\): ec2\.launchTemplate: on AWS name it by id/),
      expect.stringMatching(new RegExp(`^the pools file is \\d+ bytes normalized, more than the ${MAX_ENCODED_BYTES}`)),
    ]);
  });
});

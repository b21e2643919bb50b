// ec2-boot.ts - the install lines of an EC2 agent launched from an image without Flurry (the CDK stack's Amazon Linux
// 2023 launch template): Node 22 from the distribution, the agent bundle from the stack's S3 asset (read with the
// instance role), a `flurry` wrapper on the PATH, and the unprivileged user the agent runs as.
// Invariants: pure; nothing secret here (the pool-scoped join token is written by ec2-request.ts's user data, after
// these lines, to a 0600 file); the same inputs give the same lines.
import type { AgentBoot } from './ec2-request.ts';

/** Where the agent bundle (one ESM file, infra/agents.ts) is. */
export interface AgentBundleLocation {
  region: string;
  bucket: string;
  key: string;
}

/** Parses `s3://bucket/key`; undefined for anything else. */
export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return m ? { bucket: m[1]!, key: m[2]! } : undefined;
}

/**
 * The boot of an agent that fetches its bundle from S3 (what the stack's own launch template does, minus the shared
 * join token: an elastic instance gets a token scoped to its pool instead).
 * @example s3AgentBoot({ region: 'us-east-1', bucket: 'cdk-assets', key: 'abc.mjs' }).user // 'flurry'
 */
export function s3AgentBoot(o: AgentBundleLocation): AgentBoot {
  return {
    user: 'flurry',
    install: [
      'dnf install -y nodejs22',
      'NODE="$(command -v node-22 || command -v node)"',
      'id flurry >/dev/null 2>&1 || useradd --system --create-home --home-dir /var/lib/flurry-agent --shell /sbin/nologin flurry',
      'install -d -m 0755 /opt/flurry',
      `aws s3 cp --only-show-errors --region ${o.region} s3://${o.bucket}/${o.key} /opt/flurry/flurry.mjs`,
      'chmod 0644 /opt/flurry/flurry.mjs',
      `printf '#!/bin/sh\\nexec %s /opt/flurry/flurry.mjs "$@"\\n' "$NODE" > /usr/local/bin/flurry`,
      'chmod 0755 /usr/local/bin/flurry',
    ],
  };
}

// user-data.ts - the boot script of an EC2 agent (Amazon Linux 2023): install Node 22 from the AL2023 repositories,
// fetch the agent bundle and the join token with the instance role, and run `flurry agent` under systemd.
// Invariants: the token is written only to a 0600 file owned by the agent's user, never to the console or the
// command line (ps); tasks run as the unprivileged `flurry` user, not root; systemd restarts the agent on failure.

export interface AgentBootOptions {
  region: string;
  /** S3 location of the agent bundle (a single ESM file). */
  bundleBucket: string;
  bundleKey: string;
  /** Secrets Manager secret holding the join token. */
  joinTokenSecretArn: string;
  /** wss://… of the agent stage. */
  agentUri: string;
}

/** The shell commands (bash, run as root by cloud-init). */
export function agentBootCommands(o: AgentBootOptions): string[] {
  return [
    'set -euo pipefail',
    'dnf install -y nodejs22',
    'NODE="$(command -v node-22 || command -v node)"',
    'id flurry >/dev/null 2>&1 || useradd --system --create-home --home-dir /var/lib/flurry-agent --shell /sbin/nologin flurry',
    'install -d -m 0755 /opt/flurry',
    'install -d -m 0700 -o flurry -g flurry /etc/flurry /var/lib/flurry-agent/state',
    `aws s3 cp --only-show-errors --region ${o.region} s3://${o.bundleBucket}/${o.bundleKey} /opt/flurry/flurry.mjs`,
    'chmod 0644 /opt/flurry/flurry.mjs',
    // Written through a umask so the token is never readable by others, not even for an instant.
    `(umask 077; aws secretsmanager get-secret-value --region ${o.region} --secret-id ${o.joinTokenSecretArn} --query SecretString --output text > /etc/flurry/join-token)`,
    'chown flurry:flurry /etc/flurry/join-token',
    'cat > /etc/systemd/system/flurry-agent.service <<UNIT',
    '[Unit]',
    'Description=Flurry node agent',
    'After=network-online.target',
    'Wants=network-online.target',
    '[Service]',
    'User=flurry',
    'Group=flurry',
    `ExecStart=\${NODE} /opt/flurry/flurry.mjs agent --uri ${o.agentUri} --token-file /etc/flurry/join-token --state-dir /var/lib/flurry-agent/state --spot-watch`,
    'Restart=always',
    'RestartSec=5',
    // The agent stops its tasks itself on SIGTERM (and reports them); systemd kills leftovers after the timeout.
    'KillMode=mixed',
    'TimeoutStopSec=30',
    '[Install]',
    'WantedBy=multi-user.target',
    'UNIT',
    'systemctl daemon-reload',
    'systemctl enable --now flurry-agent.service',
  ];
}

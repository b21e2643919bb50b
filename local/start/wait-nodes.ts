// wait-nodes.ts - waits until the local agents have joined, as the owner sees it in GET /v1/resources.
// Invariant: a node counts once it is listed under its hostname and is not down; the timeout error names the nodes
// still missing and where their logs are.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';

export interface WaitNodesOptions {
  uri: string;
  /** The owner's bearer token. */
  token: string;
  /** Hostnames that must be up. */
  nodes: string[];
  timeoutMs: number;
  /** A certificate to trust for https:// (self-signed --tls-cert). */
  ca?: Buffer;
  /** The logs directory, for the error message. */
  logs: string;
  pollMs?: number;
}

interface ResourceListing {
  nodes?: Array<{ name: string; state: string }>;
}

/** GET `path` with the bearer token; resolves with the status and the parsed JSON body. */
export function getJson(uri: string, path: string, token: string, ca?: Buffer): Promise<{ status: number; body: unknown }> {
  const url = new URL(path, uri);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { authorization: `Bearer ${token}` }, ...(ca ? { ca } : {}), timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Resolves once every node in `nodes` is up; rejects after the timeout, naming the missing ones.
 * @example await waitForNodes({ uri, token, nodes: ['node0', 'node1'], timeoutMs: 60_000, logs })
 */
export async function waitForNodes(o: WaitNodesOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  let missing = [...o.nodes];
  let lastError = '';
  while (missing.length > 0) {
    try {
      const { status, body } = await getJson(o.uri, '/v1/resources', o.token, o.ca);
      if (status !== 200) throw new Error(`GET /v1/resources answered ${status}: ${JSON.stringify(body)}`);
      const up = new Set(((body as ResourceListing).nodes ?? []).filter((n) => n.state !== 'down').map((n) => n.name));
      missing = o.nodes.filter((n) => !up.has(n));
      lastError = '';
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      const seconds = Math.round(o.timeoutMs / 1000);
      const first = missing[0]!;
      throw new Error(
        `timed out after ${seconds} s waiting for the local agents to join: ${o.nodes.length - missing.length} of ${o.nodes.length} up, ` +
          `missing ${missing.join(', ')}${lastError ? ` (last error: ${lastError})` : ''}; see ${join(o.logs, `${first}.log`)}`,
      );
    }
    await new Promise((r) => setTimeout(r, o.pollMs ?? 100));
  }
}

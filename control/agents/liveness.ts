// liveness.ts - protocol 4.2: a node silent for too long is disconnected; a node offline for longer than the grace
// period loses its jobs (fatal exception, resources freed), so work is never stuck on a node that is gone.
// Runs every few seconds in local mode and in each tick on AWS.
import { rankList } from '../core/resource/rv1.ts';
import type { JobManager } from '../jobs/job-manager.ts';
import type { JobTable } from '../store/jobs.ts';
import type { NodeItem, NodeTable } from '../store/nodes.ts';
import type { AgentTransport } from './transport.ts';

export interface LivenessDeps {
  iid: string;
  nodes: NodeTable;
  jobs: JobTable;
  manager: JobManager;
  transport: AgentTransport;
  /** Seconds since the epoch. */
  clock: () => number;
  heartbeatSeconds: number;
  /** When the node was last heard from: memory in local mode, the node item's `hb` on AWS. */
  lastSeen: (node: NodeItem) => number;
  nodeChanged: (node: NodeItem) => void;
  log?: (line: string) => void;
}

/** Missed heartbeats before a connected node is considered gone, and the grace an offline node gets to come back. */
export const MISSED_HEARTBEATS = 3;

export async function reapNodes(deps: LivenessDeps): Promise<{ disconnected: string[]; lost: string[] }> {
  const now = deps.clock();
  const limit = MISSED_HEARTBEATS * deps.heartbeatSeconds;
  const disconnected: string[] = [];
  const lost: string[] = [];
  for (const node of await deps.nodes.list(deps.iid)) {
    if (node.online && now - deps.lastSeen(node) > limit) {
      // Silent but still connected (a hung agent or a half-open socket): drop the connection.
      if (node.conn) await deps.transport.close(node.conn, 1001, 'missed heartbeats').catch(() => undefined);
      await deps.nodes.update(deps.iid, node.name, { online: false, conn: null, downSince: now });
      deps.nodeChanged({ ...node, online: false, conn: undefined, downSince: now });
      disconnected.push(node.name);
      deps.log?.(`liveness: ${node.name} missed ${MISSED_HEARTBEATS} heartbeats; disconnected`);
    } else if (!node.online && node.downSince !== undefined && now - node.downSince > limit) {
      const failed = await failJobsOn(deps, node);
      if (failed) {
        lost.push(node.name);
        deps.log?.(`liveness: ${node.name} is down; ${failed} job(s) got an exception`);
      }
    }
  }
  return { disconnected, lost };
}

/** Fatal exception on every job still holding resources on the node (their other nodes are killed as a result). */
async function failJobsOn(deps: LivenessDeps, node: NodeItem): Promise<number> {
  const running = await deps.jobs.queryActive(deps.iid, 'running');
  const here = running.filter((r) => r.R && rankList(r.R).includes(node.rank));
  await Promise.all(here.map((r) => deps.manager.execution.nodeLost(r.id, node.rank, `node ${node.name} is down`)));
  return here.length;
}

// summary.ts - what `resource list` shows: nodes, cores and GPUs by state, and free/total counts.
// Invariant: free counts cover up nodes only; a partly allocated up node appears under both free and allocated,
// with its cores split between them (as `flux resource list` does); down and drained count whole nodes.

import type { NodeVertex } from './node.ts';
import { formatIdset } from '../idset.ts';
import { compressHostlist } from '../hostlist.ts';

/** One row of the summary. `ranks` is an RFC 22 idset, `nodelist` an RFC 29 hostlist. */
export interface StateCounts {
  nodes: number;
  ranks: string;
  nodelist: string;
  cores: number;
  gpus: number;
}

export interface ResourceSummary {
  /** Up nodes with at least one free core or GPU, and those free cores and GPUs. */
  free: StateCounts;
  /** Nodes (in any state) with something allocated, and the allocated cores and GPUs. */
  allocated: StateCounts;
  down: StateCounts;
  drained: StateCounts;
  cores: { free: number; total: number };
  gpus: { free: number; total: number };
}

class Row {
  ranks: number[] = [];
  hosts: string[] = [];
  cores = 0;
  gpus = 0;
  add(n: NodeVertex, cores: number, gpus: number): void {
    this.ranks.push(n.rank);
    this.hosts.push(n.hostname);
    this.cores += cores;
    this.gpus += gpus;
  }
  done(): StateCounts {
    return {
      nodes: this.ranks.length,
      ranks: formatIdset(this.ranks),
      nodelist: this.ranks.length > 0 ? compressHostlist(this.hosts) : '',
      cores: this.cores,
      gpus: this.gpus,
    };
  }
}

/**
 * Summarize nodes given in ascending rank order. O(nodes).
 * @example summarize(index.nodes).free.nodelist // 'n[0-3,7]'
 */
export function summarize(nodes: readonly NodeVertex[]): ResourceSummary {
  const free = new Row();
  const allocated = new Row();
  const down = new Row();
  const drained = new Row();
  let totalCores = 0;
  let totalGpus = 0;
  let freeCores = 0;
  let freeGpus = 0;
  for (const n of nodes) {
    totalCores += n.cores;
    totalGpus += n.gpus;
    if (n.state === 'up') {
      if (n.freeCores + n.freeGpus > 0) free.add(n, n.freeCores, n.freeGpus);
      freeCores += n.freeCores;
      freeGpus += n.freeGpus;
    } else {
      (n.state === 'down' ? down : drained).add(n, n.cores, n.gpus);
    }
    if (n.jobs > 0) allocated.add(n, n.cores - n.freeCores, n.gpus - n.freeGpus);
  }
  return {
    free: free.done(),
    allocated: allocated.done(),
    down: down.done(),
    drained: drained.done(),
    cores: { free: freeCores, total: totalCores },
    gpus: { free: freeGpus, total: totalGpus },
  };
}

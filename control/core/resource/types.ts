// types.ts - the shapes shared by the jobspec reader, the resource graph, the scheduler and the agents:
// what a node offers (NodeInventory), what a job asks for (ResourceRequest), and what it gets (R, RFC 20).

/** RFC 31 constraint: `{properties: ["efa", "^spot"]}`, `{hostlist: ["n[1-4]"]}`, `{ranks: ["0-3"]}`, `{and|or|not: [...]}`. */
export type Constraint = { [operator: string]: Array<string | Constraint> };

/** What one node reports when it joins. */
export interface NodeInventory {
  hostname: string;
  /** Total cores, spread evenly over `sockets`. */
  cores: number;
  /** Sockets; defaults to 1. */
  sockets?: number;
  gpus: number;
  /** Memory in MiB. */
  memoryMB: number;
  /** Properties for RFC 31 constraints: instance type, `efa`, `spot`, `onprem`, user labels. */
  properties: string[];
  /** Availability zone or site; defaults to "default". */
  zone?: string;
  /** Placement group or rack; defaults to "default". */
  group?: string;
}

/**
 * What a V1 jobspec asks of the resource graph (RFC 25 shapes reduced to numbers).
 * `node[nodes] > slot[slots] > {core[coresPerSlot], gpu[gpusPerSlot]}`, or `slot[slots] > ...` without a node level.
 */
export interface ResourceRequest {
  /** Number of nodes when the jobspec has a node vertex; absent means "as many as it takes". */
  nodes?: number;
  /** Slots per node when `nodes` is set; total slots otherwise. */
  slots: number;
  coresPerSlot: number;
  gpusPerSlot: number;
  /** Memory per slot in MiB (0 = not asked). */
  memoryMBPerSlot?: number;
  /** Whole nodes: no other job may share them. */
  exclusive: boolean;
  constraint?: Constraint;
}

/** RFC 20 resource set, version 1. Ids in R_lite children and ranks are RFC 22 idsets. */
export interface Rv1 {
  version: 1;
  execution: {
    R_lite: Array<{ rank: string; children: { core?: string; gpu?: string } }>;
    nodelist: string[];
    /** Seconds since the epoch. */
    starttime: number;
    /** Seconds since the epoch; 0 = no expiration. */
    expiration: number;
    /** Property name → idset of ranks having it. */
    properties?: Record<string, string>;
  };
}

/** Matching policies. `locality` packs into the fewest groups, then the fewest nodes. */
export type MatchPolicy = 'first' | 'high' | 'locality' | 'spread';

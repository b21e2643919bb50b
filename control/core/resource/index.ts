// index.ts - the resource graph's public surface: the graph and matcher, R (RFC 20) helpers, and shared types.
export * from './types.ts';
export { ResourceGraph, type MatchOptions, type NodeInfo } from './graph.ts';
export type { NodeState } from './node.ts';
export type { ResourceSummary, StateCounts } from './summary.ts';
export { buildRv1, parseRv1, rankList, rankShares, coresOnRank, gpusOnRank, nodeCount, hostnames, type RankShare } from './rv1.ts';

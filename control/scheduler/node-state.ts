// node-state.ts - how a stored node maps onto the resource graph's node states.
import type { NodeItem } from '../store/nodes.ts';

/** Offline nodes are down; drained ones (online or not) are never matched; the rest are up. */
export function nodeGraphState(node: Pick<NodeItem, 'online' | 'drained'>): 'up' | 'down' | 'drained' {
  if (!node.online) return 'down';
  if (node.drained) return 'drained';
  return 'up';
}

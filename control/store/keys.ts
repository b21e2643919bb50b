// keys.ts - how ids become key strings. Job ids are FLUIDs (64-bit): keys use 16 hex digits so that
// lexicographic order is numeric order (and so submit order, since a FLUID starts with its timestamp).

export const hex16 = (id: bigint): string => id.toString(16).padStart(16, '0');
export const fromHex16 = (text: string): bigint => BigInt(`0x${text}`);

export const jobPk = (id: bigint): string => `J#${hex16(id)}`;
export const instancePk = (iid: string): string => `I#${iid}`;
export const nodeSk = (name: string): string => `NODE#${name}`;
export const outputSk = (nodeIndex: number, seq: number): string =>
  `O#${String(nodeIndex).padStart(5, '0')}#${String(seq).padStart(9, '0')}`;

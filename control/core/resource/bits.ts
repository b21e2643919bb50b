// bits.ts - fixed-size bitsets in Uint32Arrays for per-node core and GPU occupancy (bit set = allocated).
// Invariant: bits at or beyond the set's logical size are never set; every function is allocation-free except `bitsToIds`.

/** A bitset able to hold `size` bits, all clear. @example const b = newBits(96) // 3 words */
export function newBits(size: number): Uint32Array {
  return new Uint32Array(Math.max(1, Math.ceil(size / 32)));
}

/** Is bit `i` set? @example testBit(b, 5) */
export function testBit(bits: Uint32Array, i: number): boolean {
  return ((bits[i >>> 5]! >>> (i & 31)) & 1) === 1;
}

/** Set bit `i`. @example setBit(b, 5) */
export function setBit(bits: Uint32Array, i: number): void {
  bits[i >>> 5] = bits[i >>> 5]! | (1 << (i & 31));
}

/** Clear bit `i`. @example clearBit(b, 5) */
export function clearBit(bits: Uint32Array, i: number): void {
  bits[i >>> 5] = bits[i >>> 5]! & ~(1 << (i & 31));
}

/**
 * Collect up to `want` clear bits in [from, to), lowest first, into `out` (appended); returns how many were found.
 * Does not change `bits`. @example clearBitsIn(b, 0, 48, 4, out) // the 4 lowest free cores of socket 0
 */
export function clearBitsIn(bits: Uint32Array, from: number, to: number, want: number, out: number[]): number {
  let found = 0;
  let i = from;
  while (i < to && found < want) {
    const word = i >>> 5;
    // Free bits of this word at positions >= i, below `to`.
    let free = ~bits[word]! & (0xffffffff << (i & 31));
    const wordEnd = (word + 1) << 5;
    if (to < wordEnd) free &= (1 << (to & 31)) - 1;
    while (free !== 0 && found < want) {
      const low = free & -free;
      out.push((word << 5) + 31 - Math.clz32(low));
      free ^= low;
      found++;
    }
    i = wordEnd;
  }
  return found;
}

/** Number of set bits in [from, to). @example countSet(b, 0, 96) */
export function countSet(bits: Uint32Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (testBit(bits, i)) n++;
  return n;
}

/** The set bits, ascending. @example bitsToIds(b, 96) // [0, 1, 7] */
export function bitsToIds(bits: Uint32Array, size: number): number[] {
  const ids: number[] = [];
  for (let w = 0; w < bits.length; w++) {
    let v = bits[w]!;
    while (v !== 0) {
      const low = v & -v;
      const id = (w << 5) + 31 - Math.clz32(low);
      if (id < size) ids.push(id);
      v ^= low;
    }
  }
  return ids;
}

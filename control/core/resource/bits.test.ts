// bits.test.ts - the occupancy bitsets, across word boundaries.
import { describe, expect, it } from 'vitest';
import { bitsToIds, clearBit, clearBitsIn, countSet, newBits, setBit, testBit } from './bits.ts';

describe('bits', () => {
  it('sets, clears and lists bits across words', () => {
    const b = newBits(96);
    expect(b.length).toBe(3);
    for (const i of [0, 31, 32, 63, 95]) setBit(b, i);
    expect(bitsToIds(b, 96)).toEqual([0, 31, 32, 63, 95]);
    expect(testBit(b, 31)).toBe(true);
    clearBit(b, 31);
    expect(testBit(b, 31)).toBe(false);
    expect(countSet(b, 0, 96)).toBe(4);
  });

  it('finds the lowest clear bits within a range', () => {
    const b = newBits(96);
    for (let i = 28; i < 40; i++) setBit(b, i);
    const out: number[] = [];
    expect(clearBitsIn(b, 26, 48, 5, out)).toBe(5);
    expect(out).toEqual([26, 27, 40, 41, 42]);
    const tail: number[] = [];
    expect(clearBitsIn(b, 90, 96, 10, tail)).toBe(6);
    expect(tail).toEqual([90, 91, 92, 93, 94, 95]);
    const none: number[] = [];
    expect(clearBitsIn(b, 28, 40, 3, none)).toBe(0);
  });
});

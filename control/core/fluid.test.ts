// fluid.test.ts - RFC 19 FLUIDs: the RFC's examples, every encoding's round trip, the generator's rules, bad input.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InvalidInputError } from './errors.ts';
import {
  FLUID_DEFAULT_EPOCH_MS,
  FLUID_ENCODINGS,
  FLUID_MAX,
  FluidGenerator,
  decodeFluid,
  encodeFluid,
  fluidParts,
  fluidTimestamp,
  isFluid,
} from './fluid.ts';

const RFC_ID = 6731191091817518n;

describe('RFC 19 examples', () => {
  it('encodes 6731191091817518 in every encoding', () => {
    expect(encodeFluid(RFC_ID)).toBe('ƒuZZybuNNy');
    expect(encodeFluid(RFC_ID, 'f58')).toBe('ƒuZZybuNNy');
    expect(encodeFluid(RFC_ID, 'hex')).toBe('0x17e9fb8df16c2e');
    expect(encodeFluid(RFC_ID, 'dothex')).toBe('0017.e9fb.8df1.6c2e');
    expect(encodeFluid(RFC_ID, 'dec')).toBe('6731191091817518');
    expect(encodeFluid(RFC_ID, 'words')).toBe('reform-remote-galileo--heart-package-academy');
  });

  it('decodes the RFC examples of each encoding', () => {
    expect(decodeFluid('ƒuZZybuNNy')).toBe(RFC_ID);
    expect(decodeFluid('fuZZybuNNy')).toBe(RFC_ID);
    expect(decodeFluid('0x17e9fb8df16c2e')).toBe(RFC_ID);
    expect(decodeFluid('0017.e9fb.8df1.6c2e')).toBe(RFC_ID);
    expect(decodeFluid('reform-remote-galileo--heart-package-academy')).toBe(RFC_ID);
    const other = decodeFluid('0xedaf97d000000');
    expect(decodeFluid('000e.daf9.7d00.0000')).toBe(other);
    expect(decodeFluid('random-idea-yoyo--sugar-printer-academy')).toBe(other);
    expect(encodeFluid(other)).toBe('ƒZemgA8Bzf');
    expect(decodeFluid('ƒ278oEf7zGf')).toBeGreaterThan(0n);
  });

  it('ignores surrounding whitespace', () => {
    expect(decodeFluid('  ƒuZZybuNNy\n')).toBe(RFC_ID);
    expect(decodeFluid('\t6731191091817518 ')).toBe(RFC_ID);
  });

  it('accepts words in any case and dothex with short groups', () => {
    expect(decodeFluid('REFORM-Remote-galileo--heart-package-academy')).toBe(RFC_ID);
    expect(decodeFluid('17.e9fb.8df1.6c2e')).toBe(RFC_ID);
    expect(decodeFluid('0X17E9FB8DF16C2E')).toBe(RFC_ID);
    expect(decodeFluid('ƒ1uZZybuNNy')).toBe(RFC_ID); // a leading zero digit, as Flux accepts
  });
});

describe('round trips', () => {
  const edges = [0n, 1n, 57n, 58n, 1023n, 1n << 24n, 1n << 32n, (1n << 32n) - 1n, RFC_ID, FLUID_MAX - 1n, FLUID_MAX];
  for (const to of FLUID_ENCODINGS) {
    it(`${to}: edge values`, () => {
      for (const id of edges) expect(decodeFluid(encodeFluid(id, to))).toBe(id);
    });
    it(`${to}: random 64-bit values`, () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: FLUID_MAX }), (id) => decodeFluid(encodeFluid(id, to)) === id),
        { numRuns: 500 },
      );
    });
  }

  it('encodes 0 and 2^64−1 as expected', () => {
    expect(encodeFluid(0n)).toBe('ƒ1');
    expect(encodeFluid(0n, 'dothex')).toBe('0000.0000.0000.0000');
    expect(encodeFluid(0n, 'words')).toBe('academy-academy-academy--academy-academy-academy');
    expect(encodeFluid(FLUID_MAX)).toBe('ƒjpXCZedGfVQ');
    expect(encodeFluid(FLUID_MAX, 'hex')).toBe('0xffffffffffffffff');
    expect(encodeFluid(FLUID_MAX, 'dothex')).toBe('ffff.ffff.ffff.ffff');
  });

  it('f58 preserves numeric order for ids of the same length', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n << 40n, max: 1n << 50n }), fc.bigInt({ min: 1n << 40n, max: 1n << 50n }), (a, b) => {
        const [ea, eb] = [encodeFluid(a), encodeFluid(b)];
        fc.pre(ea.length === eb.length);
        return (a < b) === (ea < eb);
      }),
    );
  });
});

describe('bad input', () => {
  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['   ', /empty/],
    ['xyz', /expected a job id such as ƒuZZybuNNy/],
    ['12abc', /expected a job id such as ƒuZZybuNNy/],
    ['-5', /never negative/],
    ['ƒ', /nothing after/],
    ['f', /nothing after/],
    ['ƒ0abc', /"0" is not a base58 digit/],
    ['fOO', /"O" is not a base58 digit/],
    ['ƒjpXCZedGfVR', /larger than 64 bits/],
    ['ƒ1111111111111111111111111112', /too long/],
    ['ƒ2jpXCZedGfVQ', /larger than 64 bits/],
    ['18446744073709551616', /larger than 64 bits/],
    ['0x10000000000000000', /larger than 64 bits/],
    ['0x', /hex must be/],
    ['0xg1', /hex must be/],
    ['0017.e9fb.8df1', /four groups/],
    ['0017.e9fb.8df1.6c2e.0000', /four groups/],
    ['00017.e9fb.8df1.6c2e', /four groups/],
    ['reform-remote-galileo', /6 words/],
    ['reform-remote-galileo--heart-package-nope', /"nope" is not a mnemonicode word/],
    ['reform-remote-galileo--heart-package-yes', /"yes" is not a mnemonicode word/],
    ['verbal-verbal-verbal--academy-academy-academy', /does not encode a 32-bit value/],
    ['😃😄', /emoji encoding is not supported/],
  ];
  for (const [text, why] of bad) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      expect(() => decodeFluid(text)).toThrow(InvalidInputError);
      expect(() => decodeFluid(text)).toThrow(why);
      expect(() => decodeFluid(text)).toThrow(`invalid job id "${text}"`);
      expect(isFluid(text)).toBe(false);
    });
  }

  it('shortens very long input in the message', () => {
    expect(() => decodeFluid('x'.repeat(500))).toThrow(/^invalid job id "x{64}…": /);
  });

  it('refuses to encode out-of-range values', () => {
    expect(() => encodeFluid(-1n)).toThrow(InvalidInputError);
    expect(() => encodeFluid(FLUID_MAX + 1n, 'hex')).toThrow(/0\.\.2\^64-1/);
    expect(() => encodeFluid(1n, 'emoji' as never)).toThrow(/unknown encoding "emoji"/);
  });

  it('isFluid accepts every encoding', () => {
    for (const to of FLUID_ENCODINGS) expect(isFluid(encodeFluid(RFC_ID, to))).toBe(true);
    expect(isFluid('node12')).toBe(false);
  });
});

describe('FluidGenerator', () => {
  const fakeClock = (start: number) => {
    let now = start;
    const clock = () => now;
    return { clock, set: (t: number) => void (now = t), step: (ms: number) => void (now += ms) };
  };
  const T0 = FLUID_DEFAULT_EPOCH_MS + 1_000_000;

  it('lays out [timestamp | generator | sequence] and reports the timestamp', () => {
    const { clock } = fakeClock(T0);
    const gen = new FluidGenerator({ id: 42, clock });
    const a = gen.next();
    expect(fluidParts(a)).toEqual({ timestamp: 1_000_000, generator: 42, sequence: 0 });
    expect(fluidParts(gen.next()).sequence).toBe(1);
    expect(fluidTimestamp(a)).toBe(T0);
  });

  it('honours a custom epoch', () => {
    const gen = new FluidGenerator({ id: 1, clock: () => 5_000, epoch: 1_000 });
    const id = gen.next();
    expect(fluidParts(id).timestamp).toBe(4_000);
    expect(fluidTimestamp(id, 1_000)).toBe(5_000);
  });

  it('issues 1024 ids per ms, then moves on to the next ms ahead of the clock', () => {
    const { clock, step } = fakeClock(T0);
    const gen = new FluidGenerator({ id: 7, clock });
    const ids = gen.nextBatch(1024 * 3 + 5);
    const parts = ids.map(fluidParts);
    expect(parts[1023]).toEqual({ timestamp: 1_000_000, generator: 7, sequence: 1023 });
    expect(parts[1024]).toEqual({ timestamp: 1_000_001, generator: 7, sequence: 0 });
    expect(parts.at(-1)).toEqual({ timestamp: 1_000_003, generator: 7, sequence: 4 });
    // The clock catches up one ms: logical time is still ahead, so the sequence just continues.
    step(1);
    expect(fluidParts(gen.next())).toEqual({ timestamp: 1_000_003, generator: 7, sequence: 5 });
    // The clock overtakes: the sequence restarts at the clock's ms.
    step(10);
    expect(fluidParts(gen.next())).toEqual({ timestamp: 1_000_011, generator: 7, sequence: 0 });
  });

  it('never goes backwards when the clock does', () => {
    const { clock, set } = fakeClock(T0);
    const gen = new FluidGenerator({ id: 3, clock });
    const a = gen.next();
    set(T0 - 60_000);
    const b = gen.next();
    set(FLUID_DEFAULT_EPOCH_MS - 5); // before the epoch
    const c = gen.next();
    expect(b).toBeGreaterThan(a);
    expect(c).toBeGreaterThan(b);
    expect(fluidParts(c).timestamp).toBe(1_000_000);
  });

  it('is strictly increasing under any sequence of clock moves (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ move: fc.integer({ min: -50, max: 50 }), count: fc.integer({ min: 0, max: 1500 }) }), { maxLength: 20 }),
        (steps) => {
          const { clock, step } = fakeClock(T0);
          const gen = new FluidGenerator({ id: 16383, clock });
          let last = -1n;
          for (const { move, count } of steps) {
            step(move);
            const batch = count % 2 === 0 ? gen.nextBatch(count) : Array.from({ length: count }, () => gen.next());
            for (const id of batch) {
              if (id <= last || fluidParts(id).generator !== 16383) return false;
              last = id;
            }
          }
          return true;
        },
      ),
      { numRuns: 100 },
    );
  });

  it('gives distinct generators disjoint ids in the same ms', () => {
    const clock = () => T0;
    const a = new FluidGenerator({ id: 1, clock }).nextBatch(2000);
    const b = new FluidGenerator({ id: 2, clock }).nextBatch(2000);
    const all = new Set([...a, ...b]);
    expect(all.size).toBe(4000);
  });

  it('resumes strictly after a previously issued id', () => {
    const { clock } = fakeClock(T0);
    const first = new FluidGenerator({ id: 5, clock });
    const ids = first.nextBatch(1024);
    const resumed = new FluidGenerator({ id: 5, clock, after: ids.at(-1)! });
    const next = resumed.next();
    expect(next).toBeGreaterThan(ids.at(-1)!);
    expect(fluidParts(next)).toEqual({ timestamp: 1_000_001, generator: 5, sequence: 0 });
  });

  it('rejects bad generator ids and batch sizes', () => {
    const clock = () => T0;
    for (const id of [-1, 16384, 1.5, Number.NaN]) {
      expect(() => new FluidGenerator({ id, clock })).toThrow(InvalidInputError);
    }
    const gen = new FluidGenerator({ id: 0, clock });
    expect(() => gen.nextBatch(-1)).toThrow(/batch size/);
    expect(gen.nextBatch(0)).toEqual([]);
  });

  it('fails loudly when the 40-bit timestamp is exhausted or the clock is broken', () => {
    const late = new FluidGenerator({ id: 0, clock: () => 2 ** 40, epoch: 0 });
    expect(() => late.next()).toThrow(/exhausted/);
    const broken = new FluidGenerator({ id: 0, clock: () => Number.NaN });
    expect(() => broken.next()).toThrow(/clock returned NaN/);
  });
});

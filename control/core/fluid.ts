// fluid.ts - RFC 19 FLUIDs: 64-bit job ids [timestamp:40 | generator:14 | sequence:10], their generator and encodings.
// Invariants: ids are bigint in 0..2^64-1; a generator never repeats or goes backwards, even if its clock does;
// every encoding round-trips exactly, and decodeFluid auto-detects them in the RFC's order (dothex, words, f58, hex, dec).
import { FlurryError, InvalidInputError } from './errors.ts';
import { MN_BASE, MN_INDEX, MN_WORDS } from './fluid-words.ts';

export const FLUID_TIMESTAMP_BITS = 40;
export const FLUID_GENERATOR_BITS = 14;
export const FLUID_SEQUENCE_BITS = 10;
/** Largest FLUID, 2^64 − 1. */
export const FLUID_MAX = (1n << 64n) - 1n;
/** Generator ids are 0..16383. */
export const FLUID_MAX_GENERATOR = (1 << FLUID_GENERATOR_BITS) - 1;
const MAX_TIMESTAMP = 2 ** FLUID_TIMESTAMP_BITS; // exclusive; ~34.8 years of milliseconds
const SEQ_PER_MS = 1 << FLUID_SEQUENCE_BITS;

/**
 * Default FLUID epoch: 2024-01-01T00:00:00Z in ms since the Unix epoch. RFC 19 leaves the epoch to the
 * implementation (Flux uses the instance start time); 40 bits of ms from here last until late 2058. An epoch of 0
 * would not work: ms since 1970 already exceed 2^40. An instance must keep its epoch fixed for its whole life.
 */
export const FLUID_DEFAULT_EPOCH_MS = 1_704_067_200_000;

export type FluidEncoding = 'f58' | 'hex' | 'dothex' | 'dec' | 'words';
export const FLUID_ENCODINGS: readonly FluidEncoding[] = ['f58', 'hex', 'dothex', 'dec', 'words'];

export interface FluidGeneratorOptions {
  /** Generator id, 0..16383 (Flux uses the broker rank). Two live generators must never share one. */
  id: number;
  /** Milliseconds since the Unix epoch (inject `Date.now` in production, a stepped fake in tests). */
  clock: () => number;
  /** FLUID epoch in ms since the Unix epoch; default FLUID_DEFAULT_EPOCH_MS. */
  epoch?: number;
  /** Last id this generator issued before a restart: the generator resumes strictly after it. */
  after?: bigint;
}

/**
 * Issues k-ordered unique FLUIDs: up to 1024 per millisecond; when a millisecond's sequence is used up it moves
 * on to the next one, so logical time may run ahead of the clock, and it never moves backwards.
 * A clock reading before the epoch counts as the epoch itself.
 * With the default epoch, ids issued in 2026 look like ƒ3WVM5X3z1hh (11 digits); with the instance's creation time
 * as epoch, as Flux does, the first hours give short ids like ƒ2R4f8Nacw.
 * @example const gen = new FluidGenerator({ id: 0, clock: Date.now, epoch: instanceCreatedAt }); encodeFluid(gen.next())
 */
export class FluidGenerator {
  readonly id: number;
  readonly epoch: number;
  readonly #clock: () => number;
  readonly #idBits: bigint;
  #ts = -1; // logical ms since the epoch of the last id issued
  #seq = SEQ_PER_MS; // next sequence number within #ts

  constructor({ id, clock, epoch = FLUID_DEFAULT_EPOCH_MS, after }: FluidGeneratorOptions) {
    if (!Number.isInteger(id) || id < 0 || id > FLUID_MAX_GENERATOR) {
      throw new InvalidInputError(`must be an integer in 0..${FLUID_MAX_GENERATOR}, got ${id}`, 'FLUID generator id');
    }
    if (!Number.isFinite(epoch)) throw new InvalidInputError(`must be a finite number of ms, got ${epoch}`, 'FLUID epoch');
    this.id = id;
    this.epoch = epoch;
    this.#clock = clock;
    this.#idBits = BigInt(id) << BigInt(FLUID_SEQUENCE_BITS);
    if (after !== undefined) {
      const { timestamp, sequence } = fluidParts(after);
      this.#ts = timestamp;
      this.#seq = sequence + 1;
    }
  }

  /** The next id. Throws FlurryError('fluid_exhausted') once 2^40 ms past the epoch. */
  next(): bigint {
    this.#tick();
    return this.#take();
  }

  /**
   * `n` consecutive ids from one clock reading (same order as `n` calls to next()).
   * @example gen.nextBatch(3) // [a, a + 1n, a + 2n] when they fit in the current millisecond
   */
  nextBatch(n: number): bigint[] {
    if (!Number.isInteger(n) || n < 0) throw new InvalidInputError(`must be an integer ≥ 0, got ${n}`, 'batch size');
    const ids: bigint[] = new Array<bigint>(n);
    if (n > 0) this.#tick();
    for (let i = 0; i < n; i++) ids[i] = this.#take();
    return ids;
  }

  #tick(): void {
    const reading = this.#clock();
    if (!Number.isFinite(reading)) throw new FlurryError('internal', `FLUID clock returned ${reading}`);
    const now = Math.max(0, Math.floor(reading - this.epoch));
    if (now > this.#ts) {
      this.#ts = now;
      this.#seq = 0;
    }
  }

  #take(): bigint {
    if (this.#seq >= SEQ_PER_MS) {
      this.#ts += 1;
      this.#seq = 0;
    }
    if (this.#ts >= MAX_TIMESTAMP) {
      throw new FlurryError('fluid_exhausted', 'FLUID timestamp exhausted: 2^40 ms have passed since the FLUID epoch');
    }
    const id = (BigInt(this.#ts) << 24n) | this.#idBits | BigInt(this.#seq);
    this.#seq += 1;
    return id;
  }
}

/**
 * The three fields of a FLUID.
 * @example fluidParts(6731191091817518n) // { timestamp: 401210253, generator: 15451, sequence: 46 }
 */
export function fluidParts(id: bigint): { timestamp: number; generator: number; sequence: number } {
  checkRange(id);
  return {
    timestamp: Number(id >> 24n),
    generator: Number((id >> 10n) & 0x3fffn),
    sequence: Number(id & 0x3ffn),
  };
}

/**
 * When the id was issued, in ms since the Unix epoch, given the generator's FLUID epoch.
 * @example fluidTimestamp(gen.next()) // ≈ Date.now()
 */
export function fluidTimestamp(id: bigint, epoch: number = FLUID_DEFAULT_EPOCH_MS): number {
  return epoch + fluidParts(id).timestamp;
}

const F58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const F58_VALUE = new Map([...F58_ALPHABET].map((c, i) => [c, BigInt(i)]));
const F58_PREFIX = 'ƒ'; // U+0192

/**
 * Encode a FLUID; f58 (`ƒ` + base58) by default.
 * @example encodeFluid(6731191091817518n) // 'ƒuZZybuNNy'; encodeFluid(6731191091817518n, 'dothex') // '0017.e9fb.8df1.6c2e'
 */
export function encodeFluid(id: bigint, to: FluidEncoding = 'f58'): string {
  checkRange(id);
  switch (to) {
    case 'f58': {
      let digits = '';
      let n = id;
      do {
        digits = F58_ALPHABET[Number(n % 58n)] + digits;
        n /= 58n;
      } while (n > 0n);
      return F58_PREFIX + digits;
    }
    case 'hex':
      return `0x${id.toString(16)}`;
    case 'dothex':
      return id.toString(16).padStart(16, '0').replace(/(....)(?=.)/g, '$1.');
    case 'dec':
      return id.toString();
    case 'words':
      return `${wordGroup(Number(id & 0xffffffffn))}--${wordGroup(Number(id >> 32n))}`;
    default:
      throw new InvalidInputError(`unknown encoding "${String(to)}" (expected one of ${FLUID_ENCODINGS.join(', ')})`);
  }
}

/**
 * Decode a FLUID in any RFC 19 encoding, ignoring surrounding whitespace.
 * @example decodeFluid('ƒuZZybuNNy') === decodeFluid('fuZZybuNNy') === decodeFluid('0x17e9fb8df16c2e') // 6731191091817518n
 */
export function decodeFluid(text: string): bigint {
  const s = text.trim();
  const fail = (why: string): never => {
    const shown = text.length > 64 ? `${text.slice(0, 64)}…` : text;
    throw new InvalidInputError(`invalid job id "${shown}": ${why}`);
  };
  if (s === '') return fail('empty');
  let id: bigint;
  if (s.includes('.')) {
    if (!/^[0-9a-fA-F]{1,4}(\.[0-9a-fA-F]{1,4}){3}$/.test(s)) {
      return fail('dotted hex must be four groups of 1-4 hex digits, like 0017.e9fb.8df1.6c2e');
    }
    id = BigInt(`0x${s.split('.').map((g) => g.padStart(4, '0')).join('')}`);
  } else if (s.includes('-')) {
    if (/^-\d+$/.test(s)) return fail('job ids are never negative');
    id = decodeWords(s, fail);
  } else if (s.startsWith(F58_PREFIX) || s.startsWith('f')) {
    const digits = s.slice(1);
    if (digits === '') return fail('nothing after the f58 prefix');
    if (digits.length > 12) return fail('too long for f58 (at most 12 base58 digits)');
    id = 0n;
    for (const c of digits) {
      const v = F58_VALUE.get(c);
      if (v === undefined) return fail(`"${c}" is not a base58 digit (0, O, I and l are never used)`);
      id = id * 58n + v;
      if (id > FLUID_MAX) return fail('larger than 64 bits');
    }
  } else if (/^\p{Extended_Pictographic}/u.test(s)) {
    return fail('the emoji encoding is not supported; use f58, hex, dothex, dec or words');
  } else if (/^0[xX]/.test(s)) {
    if (!/^0[xX][0-9a-fA-F]+$/.test(s)) return fail('hex must be 0x followed by hex digits');
    id = BigInt(s);
  } else {
    if (!/^\d+$/.test(s)) {
      return fail(
        'expected a job id such as ƒuZZybuNNy, 6731191091817518, 0x17e9fb8df16c2e, 0017.e9fb.8df1.6c2e or reform-remote-galileo--heart-package-academy',
      );
    }
    id = BigInt(s);
  }
  if (id > FLUID_MAX) return fail('larger than 64 bits');
  return id;
}

/**
 * Whether text decodes as a FLUID in some encoding.
 * @example isFluid('ƒuZZybuNNy') // true; isFluid('node12') // false
 */
export function isFluid(text: string): boolean {
  try {
    decodeFluid(text);
    return true;
  } catch {
    return false;
  }
}

function checkRange(id: bigint): void {
  if (typeof id !== 'bigint' || id < 0n || id > FLUID_MAX) {
    throw new InvalidInputError(`invalid job id ${String(id)}: must be an integer in 0..2^64-1`);
  }
}

/** mnemonicode: a 32-bit group is three base-1626 digits, least significant first (Flux encodes the id's bytes little-endian). */
function wordGroup(x: number): string {
  const a = x % MN_BASE;
  const b = Math.floor(x / MN_BASE) % MN_BASE;
  const c = Math.floor(x / (MN_BASE * MN_BASE));
  return `${MN_WORDS[a]}-${MN_WORDS[b]}-${MN_WORDS[c]}`;
}

function decodeWords(s: string, fail: (why: string) => never): bigint {
  const words = s.toLowerCase().split(/-+/);
  if (words.length !== 6) return fail(`the words encoding has 6 words (like academy-academy-academy--academy-academy-academy), got ${words.length}`);
  const digits = words.map((w) => {
    const d = MN_INDEX.get(w);
    if (d === undefined || d >= MN_BASE) return fail(`"${w}" is not a mnemonicode word`);
    return d;
  });
  const group = (i: number): bigint => {
    const x = digits[i]! + digits[i + 1]! * MN_BASE + digits[i + 2]! * MN_BASE * MN_BASE;
    if (x > 0xffffffff) return fail(`"${words.slice(i, i + 3).join('-')}" does not encode a 32-bit value`);
    return BigInt(x);
  };
  return (group(3) << 32n) | group(0);
}

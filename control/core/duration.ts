// duration.ts - RFC 23 Flux Standard Duration ("1.5m", "30s", "2h", "infinity") and the CLI's time limits.
// Invariants: durations are seconds, never negative or NaN (Infinity is allowed: "inf"/"infinity");
// formatFSD output always parses back with parseFSD; bad input throws InvalidInputError.
import { InvalidInputError } from './errors.ts';

/** Seconds per RFC 23 unit suffix (case sensitive); no suffix means seconds. */
const UNITS: Readonly<Record<string, number>> = { ms: 0.001, '': 1, s: 1, m: 60, h: 3600, d: 86400 };

// N is "a form allowed by C99 strtod": decimal with optional exponent, hexadecimal with optional binary
// exponent, or inf/infinity (any case), with an optional leading "+". Like strtod the match is greedy, so
// "0x1d" is 29 seconds, not one day.
const DECIMAL = /^\+?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const HEX = /^\+?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?/;
const INF = /^\+?inf(?:inity)?/i;

/**
 * Parse a Flux Standard Duration into seconds.
 * @example parseFSD('1.5m') // 90; parseFSD('250ms') // 0.25; parseFSD('10') // 10; parseFSD('infinity') // Infinity
 */
export function parseFSD(text: string): number {
  return parseParts(text, 'duration').seconds;
}

/**
 * Format seconds as a Flux Standard Duration: the largest unit in which the value is at least 1 and has at most
 * two decimals (90 → "1.5m", 100 → "100s"), else the largest unit in which it is at least 1, to 6 significant digits.
 * @example formatFSD(90) // '1.5m'; formatFSD(7200) // '2h'; formatFSD(0.5) // '500ms'; formatFSD(Infinity) // 'infinity'
 */
export function formatFSD(seconds: number): string {
  if (typeof seconds !== 'number' || Number.isNaN(seconds) || seconds < 0) {
    throw new InvalidInputError(`invalid duration ${String(seconds)}: must be a number of seconds ≥ 0`);
  }
  if (seconds === Infinity) return 'infinity';
  if (seconds === 0) return '0s';
  const units: Array<[string, number]> = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1], ['ms', 0.001]];
  const fitting = units.filter(([unit, size]) => seconds / size >= 1 || unit === 'ms');
  for (const [unit, size] of fitting) {
    const v = seconds / size;
    const hundredths = Math.round(v * 100);
    if (hundredths > 0 && Math.abs(v * 100 - hundredths) <= 1e-9 * v * 100) return `${hundredths / 100}${unit}`;
  }
  const [unit, size] = fitting[0]!;
  return `${Number((seconds / size).toPrecision(6))}${unit}`;
}

/**
 * Parse a job time limit (`-t`) into seconds, 0 meaning unlimited. A bare number is minutes, as with
 * `flux submit -t`; anything else is an FSD; 0 and inf/infinity mean no limit.
 * @example parseTimeLimit('30') // 1800; parseTimeLimit('1.5h') // 5400; parseTimeLimit('90s') // 90; parseTimeLimit('inf') // 0
 */
export function parseTimeLimit(text: string): number {
  const { seconds, unit, infinite } = parseParts(text, 'time limit');
  if (infinite) return 0;
  return unit === '' ? seconds * 60 : seconds;
}

function parseParts(text: string, what: string): { seconds: number; unit: string; infinite: boolean } {
  const fail = (why: string): never => {
    const shown = text.length > 64 ? `${text.slice(0, 64)}…` : text;
    throw new InvalidInputError(`invalid ${what} "${shown}": ${why}`);
  };
  if (typeof text !== 'string') return fail('must be a string');
  const s = text.trim();
  if (s === '') return fail('empty (expected a number with an optional unit, like 30s, 1.5m, 2h, 1d or infinity)');
  if (s.startsWith('-')) return fail('durations are never negative');
  let n: number;
  let infinite = false;
  const m = HEX.exec(s) ?? DECIMAL.exec(s) ?? INF.exec(s);
  if (!m) return fail('expected a number with an optional unit, like 30s, 1.5m, 2h, 1d or infinity');
  const num = m[0].replace(/^\+/, '');
  const rest = s.slice(m[0].length);
  if (/^inf/i.test(num)) {
    n = Infinity;
    infinite = true;
  } else if (/^0[xX]/.test(num)) {
    n = parseHexFloat(num);
  } else {
    n = Number(num);
  }
  if (!Number.isFinite(n) && !infinite) return fail('too large');
  const size = UNITS[rest];
  if (size === undefined) return fail(`unknown unit "${rest}" (use ms, s, m, h or d; units are case sensitive)`);
  const seconds = n * size;
  if (!Number.isFinite(seconds) && !infinite) return fail('too large');
  return { seconds, unit: rest, infinite };
}

/** "0x1.8p3" → 12: hex mantissa, optional binary exponent. */
function parseHexFloat(text: string): number {
  const [mantissa = '', exponent = '0'] = text.slice(2).split(/[pP]/);
  const [whole = '', frac = ''] = mantissa.split('.');
  let v = whole === '' ? 0 : parseInt(whole, 16);
  for (let i = 0; i < frac.length; i++) v += parseInt(frac[i]!, 16) / 16 ** (i + 1);
  return v * 2 ** Number(exponent);
}

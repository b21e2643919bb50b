// format.ts - how the policy words numbers in its reasons: durations (`40m`, `1h30m`), money (`$0.34/h`), id lists.
// Invariant: pure and locale-independent, so reasons are identical on every machine.

/**
 * A duration in seconds, in the largest two units that matter.
 * @example fmtDuration(2400) // '40m'; fmtDuration(5400) // '1h30m'; fmtDuration(Infinity) // 'unlimited'
 */
export function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return 'unlimited';
  const sign = s < 0 ? '-' : '';
  let rest = Math.round(Math.abs(s));
  if (rest < 60) return `${sign}${rest}s`;
  const units: Array<[string, number]> = [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]];
  const parts: string[] = [];
  for (const [name, size] of units) {
    if (parts.length === 2) break;
    const n = Math.floor(rest / size);
    if (n > 0 || parts.length > 0) {
      if (n > 0) parts.push(`${n}${name}`);
      else parts.push('');
      rest -= n * size;
    }
  }
  return sign + parts.filter(Boolean).join('');
}

/** A time relative to now: `+40m`, `now`. */
export function fmtIn(at: number, now: number): string {
  if (!Number.isFinite(at)) return 'never';
  return at <= now ? 'now' : `+${fmtDuration(at - now)}`;
}

/** Dollars per hour, with enough digits for cheap types. @example fmtPrice(0.34) // '$0.34/h' */
export function fmtPrice(usdPerHour: number): string {
  const digits = usdPerHour < 0.1 ? 4 : 2;
  return `$${usdPerHour.toFixed(digits).replace(/(\.\d\d\d*?)0+$/, '$1')}/h`;
}

/** A short list of ids: all of them up to `max`, then "and N more". */
export function fmtIds(ids: readonly string[], max = 5): string {
  if (ids.length <= max) return ids.join(', ');
  return `${ids.slice(0, max).join(', ')} and ${ids.length - max} more`;
}

/** "1 job" / "3 jobs". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * A stable short hash of a string (FNV-1a, 64 bits via two 32-bit lanes), as base-36: the basis of launch ids.
 * @example stableHash('burst|c6i.2xlarge|3') // always the same 13-ish characters
 */
export function stableHash(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
    h2 = (h2 ^ (h2 >>> 15)) >>> 0;
  }
  return h1.toString(36).padStart(7, '0') + h2.toString(36).padStart(7, '0');
}

// time.ts - how the CLI prints times and durations, as Flux's tools do: the compact duration of `flux jobs`
// (`2.341s`, `12.5m`), H:MM:SS, ISO 8601 local time, and the eventlog's raw/iso/offset/human timestamps.
// Invariants: pure (the time zone is the process's, via Date); inputs are seconds since the epoch or durations in seconds.

/** Four significant digits without trailing zeros, like C's %.4g for the ranges used here. */
function g4(x: number): string {
  return String(Number(x.toPrecision(4)));
}

/**
 * A duration as `flux jobs` prints runtimes: ms precision under 10 s, then 4 significant digits in s, m, h or d.
 * @example compactFSD(2.3414) // '2.341s'; compactFSD(754) // '12.57m'; compactFSD(0.0002) // '0s'; compactFSD(Infinity) // 'inf'
 */
export function compactFSD(secs: number): string {
  if (secs === Infinity) return 'inf';
  if (!(secs >= 1e-3)) return '0s';
  if (secs < 10) return `${secs.toFixed(3)}s`;
  if (secs < 60) return `${g4(secs)}s`;
  if (secs < 3600) return `${g4(secs / 60)}m`;
  if (secs < 86400) return `${g4(secs / 3600)}h`;
  return `${g4(secs / 86400)}d`;
}

/**
 * A duration as H:MM:SS (hours unbounded), rounded down to the second.
 * @example hms(3725.9) // '1:02:05'
 */
export function hms(secs: number): string {
  const s = Math.max(0, Math.floor(secs));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
}

const two = (n: number) => String(n).padStart(2, '0');

/**
 * A timestamp as local ISO 8601 without zone or fraction (`flux jobs` !D).
 * @example isoLocal(1578403860) // '2020-01-07T13:31:00' in UTC
 */
export function isoLocal(t: number): string {
  const d = new Date(t * 1000);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/**
 * A timestamp in UTC ISO 8601 with microseconds, as `flux job eventlog -T iso` prints it.
 * @example isoUtcMicros(1699995759.5377746) // '2023-11-14T21:02:39.537774Z'
 */
export function isoUtcMicros(t: number): string {
  const whole = Math.floor(t);
  const micros = Math.floor((t - whole) * 1e6 + 1e-6);
  const d = new Date(whole * 1000);
  const date = `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}`;
  return `${date}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(micros).padStart(6, '0')}Z`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The absolute stamp of human-readable eventlogs: `[Nov14 21:02]` in local time.
 * @example humanStamp(1699995759.5) // '[Nov14 21:02]' in UTC
 */
export function humanStamp(t: number): string {
  const d = new Date(t * 1000);
  return `[${MONTHS[d.getMonth()]}${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}]`;
}

/**
 * The relative stamp of human-readable eventlogs: `[  +0.022011]`.
 * @example humanOffset(0.022011) // '[  +0.022011]'
 */
export function humanOffset(dt: number): string {
  return `[${`+${dt.toFixed(6)}`.padStart(11)}]`;
}

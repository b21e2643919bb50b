// eventlog.ts - one eventlog entry per line, as `flux job eventlog` prints it: `<time> <name> key=value ...` with
// JSON-encoded values, the time raw (`1699995759.537775`), iso, offset from the first event, or human (`[Nov14
// 21:02]` then `[  +0.022011]` offsets); or each entry as compact JSON. Invariant: one formatter per eventlog, fed
// its entries in order (offset and human times are relative to earlier entries).
import type { JobEvent } from '../../sdk/types.ts';
import { humanOffset, humanStamp, isoUtcMicros } from './time.ts';

export const TIME_FORMATS = ['raw', 'iso', 'offset', 'human'] as const;
export type TimeFormat = (typeof TIME_FORMATS)[number];

/** A human stamp is printed again once an entry is this many seconds after the last one printed. */
const HUMAN_RESTAMP_SECONDS = 60;

/**
 * The context as Flux prints it: `key=value` pairs, values JSON-encoded (strings quoted).
 * @example formatContext({ type: 'cancel', severity: 0 }) // 'type="cancel" severity=0'
 */
export function formatContext(context: Record<string, unknown> | undefined): string {
  if (!context) return '';
  return Object.entries(context)
    .map(([k, v]) => `${k}=${JSON.stringify(v) ?? 'null'}`)
    .join(' ');
}

/** Formats the entries of one eventlog, in order. */
export class EventlogFormatter {
  readonly #format: 'text' | 'json';
  readonly #time: TimeFormat;
  #t0: number | undefined;
  #base: number | undefined;

  constructor(opts: { format?: 'text' | 'json'; time?: TimeFormat } = {}) {
    this.#format = opts.format ?? 'text';
    this.#time = opts.time ?? 'raw';
  }

  /**
   * The line for the next entry (no newline).
   * @example new EventlogFormatter().line({ timestamp: 1699995759.5377746, name: 'priority', context: { priority: 16 } }) // '1699995759.537775 priority priority=16'
   */
  line(ev: JobEvent): string {
    if (this.#format === 'json') return JSON.stringify(ev);
    const ctx = formatContext(ev.context);
    return `${this.#stamp(ev.timestamp)} ${ev.name}${ctx ? ` ${ctx}` : ''}`;
  }

  #stamp(t: number): string {
    this.#t0 ??= t;
    switch (this.#time) {
      case 'iso':
        return isoUtcMicros(t);
      case 'offset':
        return (t - this.#t0).toFixed(6);
      case 'human':
        if (this.#base === undefined || t - this.#base >= HUMAN_RESTAMP_SECONDS) {
          this.#base = t;
          return humanStamp(t);
        }
        return humanOffset(t - this.#base);
      default:
        return t.toFixed(6);
    }
  }
}

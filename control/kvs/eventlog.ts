// eventlog.ts - RFC 18 KVS eventlogs: one JSON object per line ({timestamp, name, context?}), only ever appended
// to, whole lines at a time. Invariants: pure (runs in the SDK too); an event that would not read back the same
// (no name, a name with whitespace, a timestamp ≤ 0, a context that is not an object) is refused on both sides.
import { InvalidInputError } from '../core/errors.ts';

export interface KvsEvent {
  /** Seconds since the Unix epoch, > 0. */
  timestamp: number;
  name: string;
  context?: Record<string, unknown>;
}

/**
 * An event as one eventlog line (newline included), after checking it.
 * @example formatEvent({ timestamp: 1.5, name: 'go', context: { n: 1 } }) // '{"timestamp":1.5,"name":"go","context":{"n":1}}\n'
 */
export function formatEvent(e: KvsEvent): string {
  checkEvent(e, 'event');
  const out: KvsEvent = { timestamp: e.timestamp, name: e.name };
  if (e.context !== undefined) out.context = e.context;
  return `${JSON.stringify(out)}\n`;
}

/**
 * The events of an eventlog's text; a malformed line is an InvalidInputError naming it.
 * @example parseEventlog('{"timestamp":1,"name":"a"}\n') // [{ timestamp: 1, name: 'a' }]
 */
export function parseEventlog(text: string): KvsEvent[] {
  const reader = new EventlogReader();
  const events = reader.feed(text);
  if (reader.partial !== '') throw new InvalidInputError(`line ${reader.lines + 1}: no newline at the end of the eventlog`);
  return events;
}

/** Reads an eventlog as it grows: feed it each appended piece; it returns the events completed so far. */
export class EventlogReader {
  /** Text after the last newline. */
  partial = '';
  /** Lines read so far. */
  lines = 0;

  feed(text: string): KvsEvent[] {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    const out: KvsEvent[] = [];
    for (const line of parts) {
      this.lines++;
      if (line.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new InvalidInputError(`line ${this.lines}: not JSON`);
      }
      out.push(checkEvent(value, `line ${this.lines}`));
    }
    return out;
  }
}

function checkEvent(value: unknown, where: string): KvsEvent {
  const e = value as Partial<KvsEvent> | null;
  if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new InvalidInputError(`${where}: an event must be a JSON object`);
  if (typeof e.timestamp !== 'number' || !(e.timestamp > 0) || !Number.isFinite(e.timestamp)) throw new InvalidInputError(`${where}: timestamp must be a number > 0`);
  if (typeof e.name !== 'string' || e.name === '' || /\s/.test(e.name)) throw new InvalidInputError(`${where}: name must be a non-empty word`);
  if (e.context !== undefined && (e.context === null || typeof e.context !== 'object' || Array.isArray(e.context))) {
    throw new InvalidInputError(`${where}: context must be a JSON object`);
  }
  return e as KvsEvent;
}

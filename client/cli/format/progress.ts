// progress.ts - a one-line progress bar on stderr (`\r`-rewritten) for long submissions. Invariants: draws only on
// a TTY, at most ~10 times a second, and always ends with a newline once started, so later output starts clean.

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

/** A progress line: `update(done)` as work completes, `end()` when finished (or failed). */
export class ProgressLine {
  readonly #out: ProgressStream;
  readonly #label: string;
  readonly #total: number;
  readonly #now: () => number;
  #last = -Infinity;
  #drawn = false;
  readonly #start: number;

  constructor(out: ProgressStream, label: string, total: number, now: () => number = () => Date.now()) {
    this.#out = out;
    this.#label = label;
    this.#total = total;
    this.#now = now;
    this.#start = now();
  }

  /** Whether a bar is worth showing: a TTY and more than `threshold` items. */
  static wanted(out: ProgressStream, total: number, threshold = 100): boolean {
    return Boolean(out.isTTY) && total > threshold;
  }

  update(done: number, force = false): void {
    const t = this.#now();
    if (!force && t - this.#last < 100 && done < this.#total) return;
    this.#last = t;
    this.#drawn = true;
    this.#out.write(`\r${this.render(done, t)}`);
  }

  end(done?: number): void {
    if (done !== undefined) this.update(done, true);
    if (this.#drawn) this.#out.write('\n');
    this.#drawn = false;
  }

  /**
   * The line for `done` of the total.
   * @example new ProgressLine(out, 'submit', 200).render(50, start + 1000) // 'submit [#####...] 50/200 25% 50/s'
   */
  render(done: number, t: number): string {
    const frac = this.#total > 0 ? Math.min(1, done / this.#total) : 1;
    const width = Math.max(10, Math.min(40, (this.#out.columns ?? 80) - this.#label.length - 40));
    const filled = Math.round(frac * width);
    const secs = Math.max(1e-3, (t - this.#start) / 1000);
    const rate = Math.round(done / secs);
    return `${this.#label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.#total} ${Math.floor(frac * 100)}% ${rate}/s`;
  }
}

// batcher.ts - merges concurrent writes into shared requests: items added while a flush is in flight wait and
// go together in the next one, so a burst costs a few batched requests instead of one request per caller.
// Invariant: add() resolves only after the flush carrying its items succeeded (durable), and rejects if it failed.

interface Waiting<T> {
  items: T[];
  resolve(): void;
  reject(err: unknown): void;
}

export class WriteBatcher<T> {
  private waiting: Array<Waiting<T>> = [];
  private flushes = 0;
  private scheduled = false;

  /**
   * @param write performs one flush (it may split the items into several requests itself)
   * @param maxFlushes flushes in flight at once
   * @param maxItems items per flush
   */
  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxFlushes = 2,
    private readonly maxItems = 2000,
  ) {}

  add(items: T[]): Promise<void> {
    if (!items.length) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setTimeout(() => {
          this.scheduled = false;
          this.pump();
        }, 0);
      }
    });
  }

  private pump(): void {
    while (this.flushes < this.maxFlushes && this.waiting.length) {
      const take: Array<Waiting<T>> = [];
      let count = 0;
      while (this.waiting.length && (count === 0 || count + this.waiting[0]!.items.length <= this.maxItems)) {
        const w = this.waiting.shift()!;
        take.push(w);
        count += w.items.length;
      }
      this.flushes++;
      this.write(take.flatMap((w) => w.items))
        .then(
          () => take.forEach((w) => w.resolve()),
          (err) => take.forEach((w) => w.reject(err)),
        )
        .finally(() => {
          this.flushes--;
          this.pump();
        });
    }
  }
}

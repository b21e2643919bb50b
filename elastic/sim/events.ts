// events.ts - the simulator's event queue: a binary min-heap ordered by time, then by insertion, so events at the
// same instant run in the order they were scheduled. Invariant: pop never returns an event earlier than one already
// popped unless it was pushed with an earlier time afterwards (the simulator never does).

export interface Timed {
  at: number;
}

/** A min-heap of events by `at`, stable for equal times. */
export class EventQueue<E extends Timed> {
  private heap: Array<{ e: E; seq: number }> = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(e: E): void {
    this.heap.push({ e, seq: this.seq++ });
    let i = this.heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  /** The earliest event without removing it. */
  peek(): E | undefined {
    return this.heap[0]?.e;
  }

  pop(): E | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (!top || !last) return undefined;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.heap.length && this.less(l, m)) m = l;
        if (r < this.heap.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top.e;
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    return x.e.at < y.e.at || (x.e.at === y.e.at && x.seq < y.seq);
  }

  private swap(a: number, b: number): void {
    const t = this.heap[a]!;
    this.heap[a] = this.heap[b]!;
    this.heap[b] = t;
  }
}

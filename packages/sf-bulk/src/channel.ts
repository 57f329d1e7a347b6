// A back-pressured async queue: the run pushes outcomes, the caller's for-await pulls them.

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * An async queue of outcomes with back-pressure. Built for one outcome a row at a million rows: `push`
 * returns a promise only when the queue is over capacity (most pushes cost nothing but an array store),
 * and the iterator hands out queued items as already-resolved promises, with no async generator frame
 * to resume per item (the 1M-row profile had a promise and a generator step a row here).
 *
 * @internal
 */
export class Channel<T> {
  private items: T[] = [];
  private head = 0;
  private closed = false;
  private failure: unknown;
  private wakeReader: (() => void) | undefined;
  private writers: Array<() => void> = [];
  discard = false;
  constructor(private readonly capacity: number) {}

  /** Queues an item; a promise (to await before pushing more) only when the queue is over capacity. */
  push(item: T): Promise<void> | undefined {
    if (this.discard) return undefined;
    this.items.push(item);
    if (this.wakeReader) this.wake();
    if (this.items.length - this.head > this.capacity)
      return new Promise<void>((resolve) => this.writers.push(resolve));
    return undefined;
  }

  close(error?: unknown): void {
    this.closed = true;
    this.failure = error;
    this.wake();
  }

  drain(): void {
    this.discard = true;
    this.items = [];
    this.head = 0;
    for (const writer of this.writers.splice(0)) writer();
  }

  private wake(): void {
    const reader = this.wakeReader;
    this.wakeReader = undefined;
    reader?.();
  }

  /** The next item, or undefined when none is queued (it is taken off the queue). */
  private take(): { item: T } | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined as T;
    this.head++;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.writers.length > 0 && this.items.length - this.head <= this.capacity / 2) {
      for (const writer of this.writers.splice(0)) writer();
    }
    return { item };
  }

  private async wait(): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      const taken = this.take();
      if (taken) return { done: false, value: taken.item };
      if (this.closed) {
        if (this.failure !== undefined) throw this.failure;
        return DONE;
      }
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
    }
  }

  /** The queue as an async iterator (one reader). After `return()` (a `break`), it yields nothing more. */
  iterate(): AsyncIterableIterator<T> {
    let finished = false;
    const iterator: AsyncIterableIterator<T> = {
      next: (): Promise<IteratorResult<T, undefined>> => {
        if (finished) return Promise.resolve(DONE);
        const taken = this.take();
        if (taken) return Promise.resolve({ done: false, value: taken.item });
        const waited = this.wait();
        // Once the queue ends (or fails), the iterator is done, as an async generator would be.
        waited.then(
          (result) => {
            if (result.done) finished = true;
          },
          () => {
            finished = true;
          },
        );
        return waited;
      },
      return: (): Promise<IteratorResult<T, undefined>> => {
        finished = true;
        return Promise.resolve(DONE);
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }
}

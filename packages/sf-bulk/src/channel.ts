// A back-pressured async queue: the run pushes outcomes, the caller's for-await pulls them.

/** An async queue of outcomes with back-pressure. @internal */
export class Channel<T> {
  private items: T[] = [];
  private head = 0;
  private closed = false;
  private failure: unknown;
  private wakeReader: (() => void) | undefined;
  private writers: Array<() => void> = [];
  discard = false;
  constructor(private readonly capacity: number) {}

  async push(item: T): Promise<void> {
    if (this.discard) return;
    this.items.push(item);
    this.wake();
    if (this.items.length - this.head > this.capacity) await new Promise<void>((resolve) => this.writers.push(resolve));
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

  async *iterate(): AsyncGenerator<T> {
    for (;;) {
      if (this.head < this.items.length) {
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
        yield item;
        continue;
      }
      if (this.closed) {
        if (this.failure !== undefined) throw this.failure;
        return;
      }
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
    }
  }
}

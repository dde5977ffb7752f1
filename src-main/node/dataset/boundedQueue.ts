/**
 * An async FIFO with a capacity: `put` waits while the queue is full, `take` waits while it is
 * empty. It is what keeps a fast producer from decoding a whole data set into memory ahead of a
 * slow consumer.
 */
export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private readonly waiting: (() => void)[] = [];
  private closed = false;
  private failure: { error: unknown } | undefined;
  /** The most items ever held at once. */
  highWater = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.items.length;
  }

  private wake(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Adds an item once there is room; resolves false (dropping the item) if the queue was closed. */
  async put(item: T): Promise<boolean> {
    while (this.items.length >= this.capacity && !this.closed) await this.wait();
    if (this.closed) return false;
    this.items.push(item);
    this.highWater = Math.max(this.highWater, this.items.length);
    this.wake();
    return true;
  }

  /** The next item; undefined once the queue is closed and drained; throws what {@link fail} was given. */
  async take(): Promise<T | undefined> {
    while (this.items.length === 0) {
      if (this.failure) throw this.failure.error;
      if (this.closed) return undefined;
      await this.wait();
    }
    const item = this.items.shift() as T;
    this.wake();
    return item;
  }

  /** No more puts; takers drain what is left. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  /** Close, and make takers throw `error` once the remaining items are drained. */
  fail(error: unknown): void {
    this.failure = { error };
    this.close();
  }
}

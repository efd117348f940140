/**
 * A first-in first-out queue of at most `capacity` items in one preallocated array: pushing onto a full queue
 * drops the oldest item (returned, so the caller can count it). Taking from the front and putting back never
 * allocates more than the items themselves.
 */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Appends `item`; when full, the oldest item is dropped and returned. */
  push(item: T): T | undefined {
    if (this.count < this.capacity) {
      this.items[(this.head + this.count++) % this.capacity] = item;
      return undefined;
    }
    const dropped = this.items[this.head] as T;
    this.items[this.head] = item;
    this.head = (this.head + 1) % this.capacity;
    return dropped;
  }

  /** Removes and returns up to `n` items from the front, oldest first. */
  take(n: number): T[] {
    const out: T[] = [];
    while (out.length < n && this.count > 0) {
      out.push(this.items[this.head] as T);
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
    return out;
  }

  /**
   * Puts `batch` (taken earlier, oldest first) back at the front. What no longer fits, the oldest first, is not
   * put back: the number of such items is returned.
   */
  putBack(batch: readonly T[]): number {
    const room = this.capacity - this.count;
    const kept = Math.min(room, batch.length);
    for (let i = batch.length - 1; i >= batch.length - kept; i--) {
      this.head = (this.head - 1 + this.capacity) % this.capacity;
      this.items[this.head] = batch[i];
      this.count++;
    }
    return batch.length - kept;
  }
}

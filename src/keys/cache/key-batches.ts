import type { KeySource } from './key-store';

/** Most tokens in one read: one parameter of 64-character strings, kept small. */
const MAX_BATCH = 1_000;

interface Waiter {
  readonly token: string;
  resolve(row: KeySource | null): void;
  reject(err: unknown): void;
}

/**
 * Misses of the key cache read together: one read at a time, and every miss that arrives while it runs waits for
 * the next, which asks for all of them in one query. A burst of cold keys costs a few queries, not one each, and
 * never more connections than one.
 */
export class KeyBatches {
  private waiting: Waiter[] = [];
  private busy = false;
  private scheduled = false;

  constructor(private readonly read: (tokens: readonly string[]) => Promise<KeySource[]>) {}

  /** The key's row, or null when there is none. */
  get(token: string): Promise<KeySource | null> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ token, resolve, reject });
      this.schedule();
    });
  }

  /** After the current I/O callbacks: the misses of requests read together go out together. */
  private schedule(): void {
    if (this.busy || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.send());
  }

  private send(): void {
    this.scheduled = false;
    if (this.busy || this.waiting.length === 0) return;
    const batch = this.waiting.length <= MAX_BATCH ? this.waiting : this.waiting.slice(0, MAX_BATCH);
    this.waiting = batch === this.waiting ? [] : this.waiting.slice(MAX_BATCH);
    this.busy = true;
    this.read(batch.map((w) => w.token))
      .then(
        (rows) => {
          const found = new Map<string, KeySource>();
          for (const r of rows) found.set(r.token, r);
          for (const w of batch) w.resolve(found.get(w.token) ?? null);
        },
        (err: unknown) => {
          for (const w of batch) w.reject(err);
        },
      )
      .finally(() => {
        this.busy = false;
        if (this.waiting.length > 0) this.schedule();
      });
  }
}

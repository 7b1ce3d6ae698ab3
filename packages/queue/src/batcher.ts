import type { TimerHandle, Timers } from '@baton/plugin';

/** Options of {@link Batcher}. */
export interface BatcherOptions<Item> {
  /** Sends one batch (one storage request where the store allows). */
  send: (items: readonly Item[]) => Promise<void>;
  /** Timers (injected). */
  timers: Timers;
  /** A batch is sent once it holds this many items. */
  batchSize: number;
  /** …or this long after its first item was added, in ms, whichever comes first. */
  delayMs: number;
  /** Called when a batch fails; its items are dropped (every use is a hint that can be lost). */
  onError: (error: unknown, items: readonly Item[]) => void;
}

/**
 * Gathers items that do not need a request of their own right away and sends them together:
 * the ready markers of claimed jobs (deleted in one `deleteMany`) and the journal of finished jobs
 * (one object per batch). What is batched is always a hint, so waiting a moment costs nothing but
 * a little staleness, and a lost batch only costs a read later.
 */
export class Batcher<Item> {
  readonly #options: BatcherOptions<Item>;
  #pending: Item[] = [];
  #timer: TimerHandle | undefined;
  // Batches being sent, with their items.
  readonly #inFlight = new Map<Promise<void>, readonly Item[]>();

  constructor(options: BatcherOptions<Item>) {
    this.#options = options;
  }

  /** Items waiting for the next batch. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /** Queues `item` for the next batch. */
  add(item: Item): void {
    this.#pending.push(item);
    if (this.#pending.length >= this.#options.batchSize) {
      void this.flush();
      return;
    }
    this.#timer ??= this.#options.timers.setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, this.#options.delayMs);
  }

  /** Sends what is pending now and waits for every batch in flight. Never rejects. */
  async flush(): Promise<void> {
    if (this.#timer !== undefined) {
      this.#options.timers.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      const sending: Promise<void> = this.#options.send(batch).then(
        () => undefined,
        (error: unknown) => {
          this.#options.onError(error, batch);
        },
      );
      this.#inFlight.set(sending, batch);
      void sending.finally(() => this.#inFlight.delete(sending));
    }
    await Promise.all(this.#inFlight.keys());
  }

  /**
   * Withdraws the items `matches` selects: drops them from the next batch, and waits for a batch
   * already carrying one, so that nothing of it lands after what the caller does next (e.g. a
   * marker written again under the same key while its deletion was waiting).
   */
  async withdraw(matches: (item: Item) => boolean): Promise<void> {
    this.#pending = this.#pending.filter((item) => !matches(item));
    const carrying = [...this.#inFlight].filter(([, items]) => items.some(matches)).map(([sending]) => sending);
    await Promise.all(carrying);
  }
}

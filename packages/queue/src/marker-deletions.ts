import { deleteKeys, type ObjectStore } from '@baton/storage';
import type { TimerHandle, Timers } from '@baton/plugin';

/** Options of {@link MarkerDeletions}. */
export interface MarkerDeletionsOptions {
  /** The store to delete from (one `deleteMany` request per batch where it batches). */
  store: ObjectStore;
  /** Timers (injected). */
  timers: Timers;
  /** A batch is sent once it holds this many markers. */
  batchSize: number;
  /** …or this long after its first marker was added, in ms, whichever comes first. */
  delayMs: number;
  /** Called when a batch fails (its markers stay; whoever lists them next sees they are stale). */
  onError: (error: unknown, markers: readonly string[]) => void;
}

/**
 * Deletes the ready markers of claimed jobs in batches instead of one request each: the claim
 * itself (a compare-and-swap on the job record) is what makes a job taken, a marker is only a
 * hint, so its deletion can wait a moment and share one request with others. The wait is short
 * because other workers that list a claimed job's marker spend a read to find it taken.
 */
export class MarkerDeletions {
  readonly #options: MarkerDeletionsOptions;
  #pending: string[] = [];
  #timer: TimerHandle | undefined;
  // Batches being sent, with their markers.
  readonly #inFlight = new Map<Promise<void>, readonly string[]>();

  constructor(options: MarkerDeletionsOptions) {
    this.#options = options;
  }

  /** Markers waiting for the next batch. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  /** Queues `marker` for deletion. */
  add(marker: string): void {
    this.#pending.push(marker);
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
      const sending: Promise<void> = deleteKeys(this.#options.store, batch).then(
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
   * Withdraws `marker` before it is written again (a job readied anew under the same key, e.g. a
   * retry in the same millisecond): drops it from the next batch, and waits for a batch already
   * carrying it, so that no deletion lands after the new write.
   */
  async withdraw(marker: string): Promise<void> {
    this.#pending = this.#pending.filter((pending) => pending !== marker);
    const carrying = [...this.#inFlight].filter(([, markers]) => markers.includes(marker)).map(([sending]) => sending);
    await Promise.all(carrying);
  }
}

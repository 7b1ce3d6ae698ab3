/**
 * The fencing rule of leader-only work: once work under an epoch has acted, work under an older
 * epoch is refused — it can only come from a process that lost its leadership without noticing
 * yet. One fence per thing fenced (a queue, a TTL collection), fed the epoch of every run and the
 * epoch written into every record it reads.
 */
export class EpochFence {
  readonly #staleError: (epoch: number, highestEpoch: number) => Error;
  #highestEpoch = 0;

  /** @param staleError builds the error to throw for stale work (the package's own typed error). */
  constructor(staleError: (epoch: number, highestEpoch: number) => Error) {
    this.#staleError = staleError;
  }

  /** The highest epoch seen so far (0 before any). */
  get highestEpoch(): number {
    return this.#highestEpoch;
  }

  /** Admits work under `epoch`, or throws the stale error if a higher epoch has been seen. */
  admit(epoch: number): void {
    if (epoch < this.#highestEpoch) throw this.#staleError(epoch, this.#highestEpoch);
    this.#highestEpoch = epoch;
  }

  /**
   * Checks a record written by leader work under `recordEpoch` against the work's own `epoch`: a
   * newer record means a newer leader has acted, so this work is stale (and the fence remembers it).
   */
  checkRecord(recordEpoch: number, epoch: number): void {
    if (recordEpoch <= epoch) return;
    this.#highestEpoch = Math.max(this.#highestEpoch, recordEpoch);
    throw this.#staleError(epoch, recordEpoch);
  }
}

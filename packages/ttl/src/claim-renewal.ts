import type { TimerHandle } from '@baton/plugin';
import type { RecordStore, VersionedRecord } from './record-store';
import type { TTLContext } from './ttl-context';

/**
 * Keeps a callback claim alive while its callback runs: every third of `callbackTimeoutMs` it
 * compare-and-swaps the claimed record to a fresh version (same claim, new bytes, new ETag), so a
 * sweeper of another process — which takes a claim back only after observing the same ETag for
 * `callbackTimeoutMs` — never takes over a claim whose claimer is alive and leading.
 *
 * `signal` aborts when the claim is lost (the record changed under us: rewritten, or taken over),
 * so the callback can stop. Renewal stops when the leadership signal aborts (the callback is told
 * to finish quickly; a new leader takes over only `callbackTimeoutMs` after the last renewal) or
 * when {@link ClaimRenewal.stop} is called.
 */
export class ClaimRenewal {
  readonly #context: TTLContext;
  readonly #records: RecordStore;
  readonly #lost = new AbortController();
  readonly #leadership: AbortSignal | undefined;
  #current: VersionedRecord;
  #timer: TimerHandle | undefined;
  #inFlight: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(context: TTLContext, records: RecordStore, held: VersionedRecord, leadership: AbortSignal | undefined) {
    this.#context = context;
    this.#records = records;
    this.#current = held;
    this.#leadership = leadership;
    this.#schedule();
  }

  /** Aborted when the claim is lost. */
  get signal(): AbortSignal {
    return this.#lost.signal;
  }

  /** Stops renewing and returns the claimed record as last written (its ETag is the one to compare-and-swap on). */
  async stop(): Promise<VersionedRecord> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#context.options.environment.timers.clearTimeout(this.#timer);
    await this.#inFlight;
    return this.#current;
  }

  #schedule(): void {
    if (this.#stopped || this.#lost.signal.aborted || this.#leadership?.aborted === true) return;
    const intervalMs = Math.max(1, Math.floor(this.#context.options.callbackTimeoutMs / 3));
    this.#timer = this.#context.options.environment.timers.setTimeout(() => {
      this.#inFlight = this.#renew();
    }, intervalMs);
  }

  async #renew(): Promise<void> {
    if (this.#stopped || this.#leadership?.aborted === true) return;
    const held = this.#current;
    try {
      // Without the leadership signal: an aborted renewal would itself be an unknown outcome.
      const outcome = await this.#records.replace(this.#context.rewrite(held.record, {}), held.etag);
      const current = outcome.kind === 'written' ? outcome.current : await this.#records.read(held.record.key);
      if (current?.record.state !== 'claimed' || current.record.claim?.token !== held.record.claim?.token) {
        this.#lost.abort(new Error(`the callback claim on ${JSON.stringify(held.record.key)} was lost: the record changed`));
        return;
      }
      this.#current = current; // ours still (a renewal whose outcome was settled late is ours too)
    } catch (error) {
      // The store is failing: keep the last known version and try again next time.
      this.#context.options.logger.warn({ recordKey: held.record.key, error }, `[ttl:${this.#context.options.collection}] renewing the callback claim on ${JSON.stringify(held.record.key)} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.#schedule();
  }
}

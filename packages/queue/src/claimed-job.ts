import { ClaimLostError } from './errors';
import type { RecordedError } from './job-record';
import type { JobRecord } from './job-record';
import type { VersionedJob } from './job-store';
import { completeJob, failJob, heartbeatJob, releaseJob } from './job-transitions';
import type { JsonValue } from './json-value';
import type { QueueContext } from './queue-context';
import { retryDelay } from './queue-options';

/** Where a claim stands, from this worker's point of view. */
export type ClaimStatus = 'held' | 'finished' | 'released' | 'lost';

/**
 * One claim this worker holds. Every write goes through here, one at a time (heartbeats never
 * race the final write), each a compare-and-swap on the ETag this worker last wrote. A refused
 * write means someone else changed the record — the leader judged the claim expired — so the
 * claim is lost and nothing more is written.
 */
export class ClaimedJob {
  readonly #context: QueueContext;
  #record: JobRecord;
  #etag: string;
  #status: ClaimStatus = 'held';
  #queue: Promise<unknown> = Promise.resolve();
  readonly #onLost: (error: ClaimLostError) => void;
  // Monotonic time the last write that landed (the claim, or a heartbeat) was sent: the lease
  // runs for the visibility timeout from then, whatever the leader's clock says.
  #leaseFrom: number;

  /** @param sentAt monotonic time (the injected clock) the claim's write was sent. */
  constructor(context: QueueContext, claimed: VersionedJob, onLost: (error: ClaimLostError) => void, sentAt: number) {
    this.#context = context;
    this.#record = claimed.record;
    this.#etag = claimed.etag;
    this.#onLost = onLost;
    this.#leaseFrom = sentAt;
  }

  /**
   * When the claim's own visibility timeout ends on this process's monotonic clock unless a
   * heartbeat lands first: past it, the leader may have given the job to another worker.
   */
  get leaseDeadline(): number {
    return this.#leaseFrom + (this.#record.claim?.visibilityTimeoutMs ?? this.#context.options.visibilityTimeoutMs);
  }

  /** The job id. */
  get id(): string {
    return this.#record.id;
  }

  /** The record as last written by this worker. */
  get record(): JobRecord {
    return this.#record;
  }

  /** Where the claim stands. */
  get status(): ClaimStatus {
    return this.#status;
  }

  /**
   * Rewrites the record with a new heartbeat count, so observers see it change.
   *
   * @throws {ClaimLostError} when the claim was lost (or already finished).
   */
  heartbeat(): Promise<void> {
    return this.#serialised(async () => {
      this.#assertHeld();
      await this.#write(heartbeatJob(this.#record));
    });
  }

  /** Stores the result. Returns false (and writes nothing) when the claim is no longer held. */
  complete(result: JsonValue): Promise<boolean> {
    return this.#serialised(async () => {
      if (this.#status !== 'held') return false;
      const now = this.#context.options.environment.clock.wallNow();
      if (!(await this.#tryWrite(completeJob(this.#record, result, now)))) return false;
      this.#status = 'finished';
      this.#context.emit('job:completed', { id: this.id, attempt: this.#record.attempt, result });
      return true;
    });
  }

  /** Records a failed attempt: a delayed retry, or the dead letter when attempts are used up. */
  fail(error: RecordedError, outcome: 'failed' | 'timed-out'): Promise<boolean> {
    return this.#serialised(async () => {
      if (this.#status !== 'held') return false;
      const { options } = this.#context;
      const now = options.environment.clock.wallNow();
      const retryAt = now + retryDelay(options, this.#record.attempt, options.environment.random);
      const failed = failJob(this.#record, { outcome, error, writer: options.workerId, now, retryAt });
      if (!(await this.#tryWrite(failed))) return false;
      this.#status = 'finished';
      // The record is the truth; the marker only makes the job findable. If this write fails the
      // leader's sweep re-creates it (see recoverExpiredClaims).
      await this.#putMarkerFor(failed);
      if (failed.state === 'dead') {
        options.logger.warn({ jobId: this.id, attempt: failed.attempt, error: error.message }, 'job dead-lettered after its last attempt');
        this.#context.emit('job:dead', { id: this.id, attempt: failed.attempt, error });
      } else {
        this.#context.emit('job:failed', { id: this.id, attempt: failed.attempt, error, retryAt });
      }
      return true;
    });
  }

  /** Gives the job back at once (shutdown): ready for any worker, the attempt not counted. */
  release(): Promise<boolean> {
    return this.#serialised(async () => {
      if (this.#status !== 'held') return false;
      const released = releaseJob(this.#record, this.#context.options.environment.clock.wallNow());
      if (!(await this.#tryWrite(released))) return false;
      this.#status = 'released';
      await this.#putMarkerFor(released);
      this.#context.emit('job:released', { id: this.id, attempt: this.#record.attempt + 1 });
      return true;
    });
  }

  async #putMarkerFor(record: JobRecord): Promise<void> {
    const { keys, jobs, options } = this.#context;
    const key =
      record.state === 'dead' ? keys.dead(record.id) : record.state === 'delayed' ? keys.delayed(record.id, record.availableAt) : keys.ready(record.id, record.priority, record.availableAt);
    try {
      await jobs.putMarker(key);
    } catch (error) {
      options.logger.warn({ jobId: record.id, key, error }, 'could not write an index marker; the leader sweep will repair it');
    }
  }

  async #tryWrite(record: JobRecord): Promise<boolean> {
    try {
      await this.#write(record);
      return true;
    } catch (error) {
      if (error instanceof ClaimLostError) return false;
      throw error;
    }
  }

  async #write(record: JobRecord): Promise<void> {
    const sentAt = this.#context.options.environment.clock.monotonicNow();
    const outcome = await this.#context.jobs.replace(record, this.#etag);
    if (outcome.kind === 'written') {
      this.#record = record;
      this.#etag = outcome.etag;
      this.#leaseFrom = sentAt;
      return;
    }
    this.#status = 'lost';
    const error = new ClaimLostError(this.id, 'the job record was changed by another process (the claim was judged expired)');
    this.#context.options.logger.warn({ jobId: this.id, attempt: this.#record.attempt }, 'claim lost: the job record changed under this worker');
    this.#context.emit('job:claim-lost', { id: this.id, attempt: this.#record.attempt });
    this.#onLost(error);
    throw error;
  }

  #assertHeld(): void {
    if (this.#status !== 'held') throw new ClaimLostError(this.id, `the claim is ${this.#status}`);
  }

  #serialised<Result>(operation: () => Promise<Result>): Promise<Result> {
    const next = this.#queue.then(operation, operation);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

import { ClaimedJob } from './claimed-job';
import { reportCorruptRecord } from './corrupt-records';
import { randomToken } from '@baton/plugin';
import { sleep } from '@baton/storage';
import { ClaimLostError, CorruptRecordError, InvalidQueueOptionsError, JobTimeoutError, ProcessorStoppedError } from './errors';
import { assertDuration } from './job-options';
import { recordError } from './job-record';
import type { VersionedJob } from './job-store';
import { claimJob } from './job-transitions';
import { assertKnownOptions } from './known-options';
import { encodeJsonValue, type JsonValue } from './json-value';
import type { QueueContext } from './queue-context';

// Stale markers met since the last listing before listing afresh: one. A stale marker means other
// workers claim from the same page; each further one would cost a read, a fresh LIST costs one request.
const STALE_HITS_BEFORE_RELISTING = 1;

/** What a handler is given for one attempt. */
export interface JobContext<Data = JsonValue> {
  /** The job id. */
  id: string;
  /** The payload, as enqueued. */
  data: Data;
  /** This attempt's number, from 1. */
  attempt: number;
  /** The attempts allowed. */
  maxAttempts: number;
  /**
   * Aborts when the job's `timeoutMs` passes (reason: `JobTimeoutError`), when the processor's
   * shutdown grace ends (`ProcessorStoppedError`), or when the claim is lost or no write (claim,
   * heartbeat) has landed within the claim's visibility timeout on this process's monotonic clock
   * (`ClaimLostError`).
   * Stop work promptly when it aborts.
   */
  signal: AbortSignal;
  /**
   * Heartbeats now, on top of the automatic heartbeats: call it after a long synchronous stretch.
   *
   * @throws {ClaimLostError} when the claim has been lost: stop working on the job.
   */
  extendLease(): Promise<void>;
}

/** A job handler, sync or async: its return value (plain JSON, or undefined for null) is stored as the result. */
export type JobHandler<Data = JsonValue> = (job: JobContext<Data>) => unknown;

/** Options of {@link Queue.process}. */
export interface ProcessOptions {
  /** Handlers run at once in this process. Default 1; 1..1000. */
  concurrency?: number;
}

const KNOWN_PROCESS_OPTIONS: ReadonlySet<string> = new Set<keyof ProcessOptions>(['concurrency']);

/** Options of {@link Processor.stop}. */
export interface StopOptions {
  /**
   * How long in-flight handlers may keep running before their signals abort and their jobs are
   * released to other workers, in ms. Default 10000.
   */
  timeoutMs?: number;
}

/**
 * The processing loop started by {@link Queue.process}: keeps up to `concurrency` handlers
 * running, each on a claimed job kept alive by heartbeats. Stop it with {@link Processor.stop}.
 */
export class Processor {
  readonly #context: QueueContext;
  readonly #handler: JobHandler<never>;
  readonly #concurrency: number;
  readonly #stopController = new AbortController();
  readonly #inFlight = new Map<string, { claimed: ClaimedJob; controller: AbortController; done: Promise<void> }>();
  #candidates: string[] = [];
  #candidatesListedAt = Number.NEGATIVE_INFINITY;
  // Ready markers found stale (their job already taken), with when, on the monotonic clock (see #claimNext).
  readonly #staleSince = new Map<string, number>();
  #staleHitsSinceListing = 0;
  #slotFreed: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  /** @internal Created by {@link Queue.process}. */
  constructor(context: QueueContext, handler: JobHandler<never>, options: ProcessOptions = {}) {
    if (typeof handler !== 'function') throw new InvalidQueueOptionsError('handler', handler, 'process() needs a handler function');
    this.#context = context;
    this.#handler = handler;
    assertKnownOptions(options, KNOWN_PROCESS_OPTIONS, (option, value, reason) => new InvalidQueueOptionsError(option, value, reason));
    this.#concurrency = options.concurrency ?? 1;
    assertDuration('concurrency', this.#concurrency, 1, 1000);
  }

  /** Jobs being handled right now. */
  get activeCount(): number {
    return this.#inFlight.size;
  }

  /** Whether {@link stop} has been called. */
  get stopped(): boolean {
    return this.#stopController.signal.aborted;
  }

  /** @internal Starts the loop. */
  start(): void {
    this.#loop = this.#run();
  }

  /**
   * Graceful shutdown: stops claiming at once, lets in-flight handlers finish for up to
   * `timeoutMs`, then aborts the rest and releases their jobs (ready again at once, the attempt
   * not counted) so other workers take them without waiting for the visibility timeout.
   * Idempotent: a second call returns the same promise.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.#stopping ??= this.#stop(options.timeoutMs ?? 10_000);
    return this.#stopping;
  }

  async #stop(timeoutMs: number): Promise<void> {
    assertDuration('timeoutMs', timeoutMs, 0);
    const { timers } = this.#context.options.environment;
    this.#stopController.abort(new ProcessorStoppedError());
    this.#slotFreed?.();
    await this.#loop;
    await this.#context.jobs.flushBatches();
    const everyone = Promise.all([...this.#inFlight.values()].map((entry) => entry.done));
    let timer: ReturnType<typeof timers.setTimeout> | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => {
      timer = timers.setTimeout(() => {
        resolve('timeout');
      }, timeoutMs);
    });
    const outcome = await Promise.race([everyone.then(() => 'done' as const), graceOver]);
    if (timer !== undefined) timers.clearTimeout(timer);
    if (outcome === 'done') return;
    const unfinished = [...this.#inFlight.values()];
    this.#context.options.logger.info({ unfinished: unfinished.length }, 'shutdown grace over: releasing unfinished jobs');
    await Promise.all(
      unfinished.map(async ({ claimed, controller }) => {
        controller.abort(new ProcessorStoppedError());
        await this.#release(claimed);
      }),
    );
  }

  /** Releases a claim (ready again at once, the attempt not counted). Never rejects. */
  async #release(claimed: ClaimedJob): Promise<void> {
    try {
      await claimed.release();
    } catch (error) {
      // Not released: the leader takes it back after the visibility timeout instead.
      this.#reportError(error, `releasing job ${claimed.id}`);
    }
  }

  async #run(): Promise<void> {
    const signal = this.#stopController.signal;
    const { pollIntervalMs } = this.#context.options;
    const { timers } = this.#context.options.environment;
    while (!signal.aborted) {
      if (this.#inFlight.size >= this.#concurrency) {
        await new Promise<void>((resolve) => {
          this.#slotFreed = resolve;
        });
        this.#slotFreed = undefined;
        continue;
      }
      let claimed: ClaimedJob | undefined;
      try {
        claimed = await this.#claimNext(signal);
      } catch (error) {
        if (this.stopped) break;
        this.#reportError(error, 'claiming a job');
      }
      if (claimed !== undefined && this.stopped) {
        // The claim was settled as applied after stop() aborted it: give it back, uncounted.
        await this.#release(claimed);
        break;
      }
      if (claimed !== undefined) {
        this.#startHandler(claimed);
        continue;
      }
      try {
        await sleep(pollIntervalMs, signal, timers);
      } catch {
        break;
      }
    }
  }

  /**
   * Finds and claims one ready job, or returns undefined when there is none (or none left that
   * others did not take first). Lists the ready index only when the local buffer of candidates is
   * empty or older than the poll interval, so the cost is one LIST per `claimBatchSize` claims,
   * independent of the queue's size.
   */
  async #claimNext(signal: AbortSignal): Promise<ClaimedJob | undefined> {
    const { options, keys, jobs } = this.#context;
    const { clock, random } = options.environment;
    // At most two listings per call: when even a fresh listing offers only jobs others take first,
    // workers outnumber the jobs, and waiting a poll interval beats chasing each new job with all of them.
    let listings = 0;
    for (;;) {
      if (
        this.#candidates.length === 0 ||
        this.#staleHitsSinceListing >= STALE_HITS_BEFORE_RELISTING ||
        clock.monotonicNow() - this.#candidatesListedAt > options.pollIntervalMs
      ) {
        if (listings === 2) return undefined;
        listings += 1;
        this.#staleHitsSinceListing = 0;
        // Our own claimed markers go first, so that this listing does not offer them back.
        await this.#context.jobs.flushMarkerDeletions();
        const page = await jobs.store.list({ prefix: keys.readyPrefix, limit: options.claimBatchSize, signal });
        const now = clock.monotonicNow();
        const listedMarkers = new Set(page.entries.map((entry) => entry.key));
        for (const marker of this.#staleSince.keys()) if (!listedMarkers.has(marker)) this.#staleSince.delete(marker);
        // A marker found stale is usually about to be deleted by its claimer: skip it without
        // another read, unless it has lingered for a poll interval (see below).
        this.#candidates = [...listedMarkers].filter((marker) => now - (this.#staleSince.get(marker) ?? Number.NEGATIVE_INFINITY) >= options.pollIntervalMs);
        this.#candidatesListedAt = now;
        if (this.#candidates.length === 0) return undefined;
      }
      const marker = this.#candidates.shift() as string;
      const id = keys.jobIdFromMarker(marker);
      const current = await this.#readCandidate(id, marker, signal);
      if (current === 'corrupt') continue;
      if (current?.record.state !== 'ready' || keys.ready(id, current.record.priority, current.record.availableAt) !== marker) {
        // Stale: the job was claimed, finished, purged, or re-readied under another key. Usually
        // its claimer is about to delete the marker, so every worker deleting it too would only
        // multiply requests: delete it only when it is still stale a poll interval later.
        if (this.#staleSince.has(marker)) {
          this.#staleSince.delete(marker);
          jobs.deleteMarkerSoon(marker);
        } else {
          this.#staleSince.set(marker, clock.monotonicNow());
        }
        // Other workers are claiming from the same page: stop following it in the same order, and
        // list afresh soon rather than read more jobs they have taken meanwhile.
        this.#staleHitsSinceListing += 1;
        this.#candidates = shuffleWithinPriority(this.#candidates, keys.readyPrefix.length, random);
        continue;
      }
      const claim = {
        token: randomToken(random, 16),
        worker: options.workerId,
        claimedAt: clock.wallNow(),
        visibilityTimeoutMs: options.visibilityTimeoutMs,
        heartbeats: 0,
      };
      const record = claimJob(current.record, claim);
      const sentAt = clock.monotonicNow();
      const outcome = await jobs.replace(record, current.etag, signal);
      if (outcome.kind === 'lost') {
        // Another worker won this one. Workers list the same page and would keep colliding if
        // they all went on in the same order: once contention shows, try the rest shuffled within
        // each priority (a worker alone never loses, so it keeps strict enqueue order).
        this.#candidates = shuffleWithinPriority(this.#candidates, keys.readyPrefix.length, random);
        continue;
      }
      jobs.deleteMarkerSoon(marker);
      options.logger.debug({ jobId: id, attempt: record.attempt }, 'claimed job');
      this.#context.emit('job:active', { id, attempt: record.attempt });
      return new ClaimedJob(this.#context, { record, etag: outcome.etag }, () => undefined, sentAt);
    }
  }

  /**
   * Reads a candidate's record. A record that is not a job costs only itself: its marker is set
   * aside (deleted; the record is kept for inspection), so no listing offers it again.
   */
  async #readCandidate(id: string, marker: string, signal: AbortSignal): Promise<VersionedJob | undefined | 'corrupt'> {
    try {
      return await this.#context.jobs.read(id, signal);
    } catch (error) {
      if (!(error instanceof CorruptRecordError)) throw error;
      this.#context.jobs.deleteMarkerSoon(marker);
      reportCorruptRecord(this.#context, error, 'claiming a job');
      return 'corrupt';
    }
  }

  #startHandler(claimed: ClaimedJob): void {
    const controller = new AbortController();
    const done = this.#handle(claimed, controller).finally(() => {
      this.#inFlight.delete(claimed.id);
      this.#slotFreed?.();
    });
    this.#inFlight.set(claimed.id, { claimed, controller, done });
  }

  async #handle(claimed: ClaimedJob, controller: AbortController): Promise<void> {
    const { options } = this.#context;
    const { timers, clock } = options.environment;
    const record = claimed.record;
    const heartbeatEvery = Math.max(1, Math.floor((record.claim?.visibilityTimeoutMs ?? options.visibilityTimeoutMs) / 3));
    let heartbeatTimer: ReturnType<typeof timers.setTimeout> | undefined;
    let timeoutTimer: ReturnType<typeof timers.setTimeout> | undefined;
    let settled = false;
    const scheduleHeartbeat = (): void => {
      heartbeatTimer = timers.setTimeout(() => {
        claimed.heartbeat().then(
          () => {
            if (!settled) scheduleHeartbeat();
          },
          (error: unknown) => {
            if (claimed.status === 'lost') {
              controller.abort(error);
              return;
            }
            // A failed heartbeat is retried at the next tick; the claim survives as long as one lands within the visibility timeout.
            this.#reportError(error, `heartbeat of job ${claimed.id}`);
            if (!settled) scheduleHeartbeat();
          },
        );
      }, heartbeatEvery);
    };
    scheduleHeartbeat();
    // Heartbeats that fail (rather than being refused) leave the claim "held" here while the
    // leader may already have given the job to another worker: at the claim's own visibility
    // deadline on the local monotonic clock, the handler's signal aborts.
    let deadlineTimer: ReturnType<typeof timers.setTimeout> | undefined;
    const watchDeadline = (): void => {
      deadlineTimer = timers.setTimeout(() => {
        if (settled) return;
        if (clock.monotonicNow() < claimed.leaseDeadline) {
          watchDeadline();
          return;
        }
        controller.abort(new ClaimLostError(claimed.id, 'no write landed within the visibility timeout: the leader may have given the job to another worker'));
      }, Math.max(1, claimed.leaseDeadline - clock.monotonicNow()));
    };
    watchDeadline();

    // Through a promise chain, so that a handler that throws synchronously is handled like a rejection.
    const handlerDone = Promise.resolve().then(() =>
      this.#handler({
        id: record.id,
        data: record.data as never,
        attempt: record.attempt,
        maxAttempts: record.maxAttempts,
        signal: controller.signal,
        // A loss found by the handler's own heartbeat aborts the signal too, as an automatic one does:
        // work the handler started with the signal stops with it.
        extendLease: () =>
          claimed.heartbeat().catch((error: unknown) => {
            if (claimed.status === 'lost') controller.abort(error);
            throw error;
          }),
      }),
    );
    const outcomes: Promise<{ ok: true; result: unknown } | { ok: false; error: unknown }>[] = [
      handlerDone.then(
        (result) => ({ ok: true as const, result }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    ];
    if (record.timeoutMs !== null) {
      const timeoutMs = record.timeoutMs;
      // At the timeout the signal aborts; a handler that ignores it gets one more visibility
      // timeout to settle, then the attempt is recorded as failed regardless.
      outcomes.push(
        new Promise((resolve) => {
          timeoutTimer = timers.setTimeout(() => {
            const error = new JobTimeoutError(record.id, timeoutMs);
            controller.abort(error);
            timeoutTimer = timers.setTimeout(() => {
              resolve({ ok: false, error });
            }, heartbeatEvery * 3);
          }, timeoutMs);
        }),
      );
    }
    const outcome = await Promise.race(outcomes);
    settled = true;
    if (heartbeatTimer !== undefined) timers.clearTimeout(heartbeatTimer);
    if (deadlineTimer !== undefined) timers.clearTimeout(deadlineTimer);
    if (timeoutTimer !== undefined) timers.clearTimeout(timeoutTimer);
    try {
      if (outcome.ok) {
        let result: JsonValue;
        try {
          const value = outcome.result === undefined ? null : outcome.result;
          encodeJsonValue(value, undefined, 'The handler result');
          result = value as JsonValue;
        } catch (error) {
          await claimed.fail(recordError(error), 'failed');
          return;
        }
        await claimed.complete(result);
      } else {
        const timedOut = controller.signal.reason instanceof JobTimeoutError;
        if (controller.signal.reason instanceof ProcessorStoppedError) return; // released by stop()
        await claimed.fail(recordError(outcome.error), timedOut ? 'timed-out' : 'failed');
      }
    } catch (error) {
      // The final write failed (store unreachable): the leader takes the job back after the
      // visibility timeout and it runs again — delivery is at-least-once.
      this.#reportError(error, `recording the outcome of job ${claimed.id}`);
    }
  }

  #reportError(error: unknown, context: string): void {
    this.#context.options.logger.warn({ error, context }, `queue worker: ${context} failed; will retry`);
    this.#context.emit('worker:error', { error, context });
  }
}

/**
 * Shuffles sorted ready markers within each run of equal priority (the 3 characters after the
 * prefix), leaving the priority order intact.
 */
export function shuffleWithinPriority(markers: string[], prefixLength: number, random: () => number): string[] {
  const priorityOf = (marker: string): string => marker.slice(prefixLength, prefixLength + 3);
  for (let start = 0; start < markers.length; ) {
    let end = start + 1;
    while (end < markers.length && priorityOf(markers[end] as string) === priorityOf(markers[start] as string)) end += 1;
    for (let index = end - 1; index > start; index -= 1) {
      const other = start + Math.floor(random() * (index - start + 1));
      [markers[index], markers[other]] = [markers[other] as string, markers[index] as string];
    }
    start = end;
  }
  return markers;
}

import { describeValue } from '@baton/plugin';

/** A machine-readable queue error code, stable across releases. */
export type QueueErrorCode =
  | 'INVALID_JOB_DATA'
  | 'JOB_DATA_TOO_LARGE'
  | 'INVALID_JOB_OPTIONS'
  | 'INVALID_QUEUE_OPTIONS'
  | 'JOB_NOT_FOUND'
  | 'CLAIM_LOST'
  | 'STALE_EPOCH'
  | 'JOB_TIMEOUT'
  | 'PROCESSOR_STOPPED'
  | 'CORRUPT_RECORD';

/** The base of every error `@baton/queue` throws itself. Branch on the subclass or on `code`. */
export class QueueError extends Error {
  /** Stable machine-readable code. */
  readonly code: QueueErrorCode;

  constructor(code: QueueErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * Job data (or a handler's result) is not plain JSON: a function, a BigInt, a cycle, `undefined`,
 * a non-finite number, a class instance... Nothing was written. Convert the value to plain JSON first.
 */
export class InvalidJobDataError extends QueueError {
  /** Where in the value the problem is, as a JSON path (`$.items[2].callback`). */
  readonly path: string;
  /** What is wrong there. */
  readonly reason: string;

  constructor(path: string, reason: string) {
    super('INVALID_JOB_DATA', `Job data is not JSON-serialisable at ${path}: ${reason}. Nothing was written; pass plain JSON (objects, arrays, strings, finite numbers, booleans, null).`);
    this.path = path;
    this.reason = reason;
  }
}

/** The encoded job data (or result) is larger than the limit. Nothing was written: store large payloads elsewhere and enqueue a reference. */
export class JobDataTooLargeError extends QueueError {
  /** The encoded size, in UTF-8 bytes. */
  readonly sizeBytes: number;
  /** The limit, in UTF-8 bytes. */
  readonly limitBytes: number;

  constructor(sizeBytes: number, limitBytes: number, what = 'Job data') {
    super('JOB_DATA_TOO_LARGE', `${what} is ${sizeBytes} bytes as JSON; the limit is ${limitBytes}. Nothing was written: put large payloads in object storage yourself and enqueue their key.`);
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

/** An enqueue option is invalid. Nothing was written. The message names the option and its rule. */
export class InvalidJobOptionsError extends QueueError {
  /** The option's name. */
  readonly option: string;

  constructor(option: string, value: unknown, rule: string) {
    super('INVALID_JOB_OPTIONS', `Invalid enqueue option ${option} (${describeValue(value)}): ${rule}. Nothing was written.`);
    this.option = option;
  }
}

/** A queue or processor option is invalid. The message names the option and its rule. */
export class InvalidQueueOptionsError extends QueueError {
  /** The option's name. */
  readonly option: string;

  constructor(option: string, value: unknown, rule: string) {
    super('INVALID_QUEUE_OPTIONS', `Invalid queue option ${option} (${describeValue(value)}): ${rule}.`);
    this.option = option;
  }
}

/** No job with this id exists (never enqueued, or purged after its retention period). */
export class JobNotFoundError extends QueueError {
  /** The id asked for. */
  readonly jobId: string;

  constructor(jobId: string) {
    super('JOB_NOT_FOUND', `No job ${JSON.stringify(jobId)} in this queue: it was never enqueued here, or it finished and was purged after its retention period.`);
    this.jobId = jobId;
  }
}

/**
 * This worker no longer holds the claim on a job: its visibility lease was judged expired and the
 * job was given to another worker (or released). Stop working on it; its result will not be kept.
 */
export class ClaimLostError extends QueueError {
  /** The job. */
  readonly jobId: string;

  constructor(jobId: string, detail: string) {
    super('CLAIM_LOST', `The claim on job ${JSON.stringify(jobId)} was lost: ${detail}. Stop working on it; another worker runs it (delivery is at-least-once). If this happens often, raise visibilityTimeoutMs or call extendLease() more often.`);
    this.jobId = jobId;
  }
}

/** A leader duty was called with an epoch older than one already seen: this caller is no longer leader. */
export class StaleEpochError extends QueueError {
  /** The epoch the caller gave. */
  readonly epoch: number;
  /** The highest epoch seen. */
  readonly highestEpoch: number;

  constructor(epoch: number, highestEpoch: number) {
    super('STALE_EPOCH', `Leader duty called with epoch ${epoch}, but epoch ${highestEpoch} has already acted on this queue: this process is no longer the leader. Stop leader-only work until leadership is regained.`);
    this.epoch = epoch;
    this.highestEpoch = highestEpoch;
  }
}

/** A handler ran longer than its job's `timeoutMs`. Its signal was aborted with this error. */
export class JobTimeoutError extends QueueError {
  /** The job. */
  readonly jobId: string;
  /** The job's timeout. */
  readonly timeoutMs: number;

  constructor(jobId: string, timeoutMs: number) {
    super('JOB_TIMEOUT', `Job ${JSON.stringify(jobId)} ran longer than its timeoutMs (${timeoutMs} ms); the attempt counts as failed.`);
    this.jobId = jobId;
    this.timeoutMs = timeoutMs;
  }
}

/** The processor is shutting down: the handler's signal is aborted with this error. */
export class ProcessorStoppedError extends QueueError {
  constructor() {
    super('PROCESSOR_STOPPED', 'The processor is stopping: finish or abandon the job; if it is not finished in time it is released to other workers.');
  }
}

/** A stored record cannot be read as a job: written by hand, by a newer version, or corrupted. */
export class CorruptRecordError extends QueueError {
  /** The key of the record. */
  readonly key: string;
  /** What is wrong with it (the validator's words, without the advice of the message). */
  readonly reason: string;

  constructor(key: string, reason: string) {
    super('CORRUPT_RECORD', `The record at ${JSON.stringify(key)} is not a job this version can read: ${reason}. Inspect it; delete it if it is garbage.`);
    this.key = key;
    this.reason = reason;
  }
}

import type { CorruptRecordError } from './errors';
import type { RecordedError } from './job-record';
import type { JsonValue } from './json-value';

/**
 * Events a {@link Queue} emits. They are local: each is emitted by the process that made the
 * change (the worker that completed a job, the leader that recovered one), not broadcast to the
 * fleet. Listeners must not throw.
 */
export interface QueueEvents {
  /** A job was written (not emitted for an idempotent duplicate). */
  'job:enqueued': { id: string; delayed: boolean };
  /** This worker claimed a job. */
  'job:active': { id: string; attempt: number };
  /** A handler finished and its result was stored. */
  'job:completed': { id: string; attempt: number; result: JsonValue };
  /** An attempt failed and the job will be retried (`retryAt`, wall clock). */
  'job:failed': { id: string; attempt: number; error: RecordedError; retryAt: number };
  /** The job used up its attempts and was dead-lettered. */
  'job:dead': { id: string; attempt: number; error: RecordedError };
  /** The leader found a claim unchanged for the visibility timeout and took it back. */
  'job:expired': { id: string; attempt: number; worker: string; dead: boolean };
  /** This worker released an unfinished job at shutdown. */
  'job:released': { id: string; attempt: number };
  /** This worker lost its claim (it was judged expired): its outcome was discarded. */
  'job:claim-lost': { id: string; attempt: number };
  /** A delayed job became ready. */
  'job:promoted': { id: string };
  /** A dead job was moved back to ready. */
  'job:redriven': { id: string };
  /**
   * A stored record could not be read as a job (garbage, wrong types, a newer format): it was set
   * aside — its index marker deleted, the record kept for inspection — and only it is skipped.
   */
  'record:corrupt': { key: string; context: string; error: CorruptRecordError };
  /** Something failed in the background (a heartbeat, a claim, a poll) and will be retried. */
  'worker:error': { error: unknown; context: string };
}

/** The name of a queue event. */
export type QueueEventName = keyof QueueEvents;

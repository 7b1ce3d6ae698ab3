import { assertQueueName } from './queue-options';

/**
 * The storage layout of one queue, under `queues/<name>/`:
 *
 * | Key | What | Written by |
 * | --- | --- | --- |
 * | `jobs/<id>.json` | the job record: the one source of truth, changed only by conditional writes | everyone |
 * | `ready/<priority>-<availableAt>-<id>` | empty marker: the job is ready. Key order = run order | enqueuer, leader |
 * | `delayed/<dueAt>-<id>` | empty marker: the job waits until `dueAt` (wall clock) | enqueuer, failing worker |
 * | `dead/<id>` | empty marker: the job is dead-lettered (for `redrive` and `stats`) | failing worker, leader |
 * | `idempotency/<sha256 of key>` | which job an idempotency key produced, and until when it dedupes | enqueuer |
 * | `finished/<time>-<token>.json` | a batch of jobs a worker completed (id, ETag, finishedAt), read and deleted by the leader | worker |
 *
 * Markers are hints, the record is the truth: a marker whose job is not in the marker's state is
 * stale and is deleted by whoever sees it. Priority is stored inverted (`999 - priority`) so
 * that the highest priority lists first; times are zero-padded to 15 digits so that key order is
 * numeric order.
 */
/**
 * The folder, under the store's prefix, that holds everything of queue `name` (records, indexes,
 * idempotency keys): what an IAM policy for the queue must cover.
 *
 * @throws {InvalidQueueOptionsError} when `name` is not a valid queue name.
 */
export function queueStoragePrefix(name: string): string {
  assertQueueName(name);
  return new QueueKeys(name).root;
}

export class QueueKeys {
  /** The queue's root prefix, ending in `/`. */
  readonly root: string;

  constructor(queueName: string) {
    this.root = `queues/${queueName}/`;
  }

  /** Prefix of all job records. */
  get jobsPrefix(): string {
    return `${this.root}jobs/`;
  }

  /** Prefix of the ready index. */
  get readyPrefix(): string {
    return `${this.root}ready/`;
  }

  /** Prefix of the delayed index. */
  get delayedPrefix(): string {
    return `${this.root}delayed/`;
  }

  /** Prefix of the dead-letter index. */
  get deadPrefix(): string {
    return `${this.root}dead/`;
  }

  /** Prefix of the journal of completed jobs (see `finished-journal.ts`). */
  get finishedPrefix(): string {
    return `${this.root}finished/`;
  }

  /** A journal object of completed jobs, written at `time` (wall ms) under a random `token`. */
  finishedBatch(time: number, token: string): string {
    return `${this.finishedPrefix}${padTime(time)}-${token}.json`;
  }

  /** Prefix of the idempotency records. */
  get idempotencyPrefix(): string {
    return `${this.root}idempotency/`;
  }

  /** The key of a job record. */
  job(id: string): string {
    return `${this.jobsPrefix}${id}.json`;
  }

  /** The job id in a job record key, or `undefined` for a key that is not one. */
  jobIdFromKey(key: string): string | undefined {
    if (!key.startsWith(this.jobsPrefix) || !key.endsWith('.json')) return undefined;
    return key.slice(this.jobsPrefix.length, -'.json'.length);
  }

  /** The ready marker of a job with this priority, available since `availableAt` (wall ms). */
  ready(id: string, priority: number, availableAt: number): string {
    return `${this.readyPrefix}${String(MAX_PRIORITY - priority).padStart(3, '0')}-${padTime(availableAt)}-${id}`;
  }

  /** The delayed marker of a job due at `dueAt` (wall ms). */
  delayed(id: string, dueAt: number): string {
    return `${this.delayedPrefix}${padTime(dueAt)}-${id}`;
  }

  /** The dead-letter marker of a job. */
  dead(id: string): string {
    return `${this.deadPrefix}${id}`;
  }

  /** The idempotency record for a hashed idempotency key. */
  idempotency(hash: string): string {
    return `${this.idempotencyPrefix}${hash}`;
  }

  /** The job id at the end of a marker key (`…-<id>` or `dead/<id>`). */
  jobIdFromMarker(key: string): string {
    const name = key.slice(key.lastIndexOf('/') + 1);
    return name.slice(name.lastIndexOf('-') + 1);
  }

  /**
   * What is wrong with a key under the ready, delayed or dead index, or `undefined` for a marker
   * this package writes (`ready/<999 - priority>-<availableAt>-<id>`, `delayed/<dueAt>-<id>`,
   * `dead/<id>`). A malformed one is never a job's marker: workers and the leader delete it as stale.
   */
  markerProblem(key: string): string | undefined {
    const patterns: [string, RegExp, string][] = [
      [this.readyPrefix, /^\d{3}-\d{15}-[^-/]+$/, '<999 - priority>-<availableAt>-<job id>'],
      [this.delayedPrefix, /^\d{15}-[^-/]+$/, '<dueAt>-<job id>'],
      [this.deadPrefix, /^[^-/]+$/, '<job id>'],
    ];
    for (const [prefix, pattern, shape] of patterns) {
      if (key.startsWith(prefix)) return pattern.test(key.slice(prefix.length)) ? undefined : `not a marker name this queue writes (${prefix.slice(this.root.length)}${shape})`;
    }
    return 'not under a marker index';
  }

  /** The due time encoded in a delayed marker key, or `undefined` for a malformed key. */
  dueAtFromDelayedMarker(key: string): number | undefined {
    const match = /^(\d{15})-/.exec(key.slice(this.delayedPrefix.length));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  }
}

/** The highest priority; priorities are integers from 0 (default, lowest) to this. */
export const MAX_PRIORITY = 999;

function padTime(wallMs: number): string {
  return String(Math.max(0, Math.floor(wallMs))).padStart(15, '0');
}

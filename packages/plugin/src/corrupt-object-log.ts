import type { Logger } from './logger';

/** One object under a plugin's prefix that it cannot read and has set aside. */
export interface CorruptObjectReport<Problem extends Error> {
  /** The object's key. */
  key: string;
  /** What the plugin was doing when it met the object (`claiming a job`, `sweeping`, ...). */
  context: string;
  /** What is wrong with it (the plugin's typed error, with a `code`). */
  error: Problem;
}

// Enough for any real incident; past it the memory starts afresh (an object may then be reported again).
const DEFAULT_CAPACITY = 10_000;

/**
 * How the queue and the TTL report an object under their prefix that they cannot read (garbage,
 * truncated, wrong types, a foreign key, an impossible number) and set aside so that it costs only
 * itself: one warning through the injected logger and one report (the plugin emits its event)
 * per object version, however often it is met, and a count for the plugin's metrics.
 */
export class CorruptObjectLog<Problem extends Error> {
  readonly #logger: Logger;
  readonly #label: string;
  readonly #onReport: (report: CorruptObjectReport<Problem>) => void;
  readonly #capacity: number;
  readonly #reported = new Set<string>();
  #count = 0;

  /**
   * @param options.label the start of every warning (`queue orders`, `[ttl:sessions]`)
   * @param options.onReport called once per object version (emit the plugin's event here; it must not throw)
   */
  constructor(options: { logger: Logger; label: string; onReport: (report: CorruptObjectReport<Problem>) => void; capacity?: number }) {
    this.#logger = options.logger;
    this.#label = options.label;
    this.#onReport = options.onReport;
    this.#capacity = options.capacity ?? DEFAULT_CAPACITY;
  }

  /** How many object versions have been reported so far. */
  get count(): number {
    return this.#count;
  }

  /**
   * Reports `key` as set aside, unless this version of it was reported already. `version` (an
   * ETag) makes a rewritten object count again; without it the key is reported once.
   * Returns whether this was the first report.
   */
  report(key: string, context: string, error: Problem, version?: string): boolean {
    const identity = version === undefined ? key : `${key}\u0000${version}`;
    if (this.#reported.has(identity)) return false;
    if (this.#reported.size >= this.#capacity) this.#reported.clear();
    this.#reported.add(identity);
    this.#count += 1;
    this.#logger.warn({ key, context, error }, `${this.#label}: ${context}: set aside ${key}, which it cannot read (${error.message})`);
    this.#onReport({ key, context, error });
    return true;
  }
}

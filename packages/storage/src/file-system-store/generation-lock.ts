import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sleep } from '../abort';
import { currentProcessIdentity, isProcessAlive, type ProcessIdentity } from './process-identity';

/** A lock generation file's content. Written once (by link), never changed. */
type GenerationRecord = { state: 'held'; holder: ProcessIdentity } | { state: 'free' };

/** Where a lock's generations live, and how long to wait for it. */
export interface GenerationLockOptions {
  /** The lock's own directory (created when missing). */
  directory: string;
  /** A directory on the same file system for files being written. */
  temporaryDirectory: string;
  /** Give up waiting after this long. */
  timeoutMs: number;
}

/** Raised when a live process held the lock for longer than the timeout. */
export class LockTimeoutError extends Error {
  constructor(
    readonly directory: string,
    readonly holder: ProcessIdentity,
    timeoutMs: number,
  ) {
    super(
      `Timed out after ${timeoutMs} ms waiting for the lock ${directory}, held by pid ${holder.pid} on ${holder.host}; if that process is hung, stop it`,
    );
    this.name = 'LockTimeoutError';
  }
}

// Generations kept before old ones are removed, so that a process paused between reading the
// directory and linking its next generation still finds that name taken.
const GENERATIONS_KEPT = 32;
const CLEANUP_THRESHOLD = 64;
const GENERATION_DIGITS = 15;

/**
 * A mutual-exclusion lock between processes on one host, made of immutable numbered files.
 *
 * The lock's state is its highest-numbered file (its generation): "held by process P" or "free".
 * Taking it means creating the next number with `link()`, which fails if the name exists, so of
 * all contenders exactly one wins each generation. Nothing is ever overwritten or removed to
 * take the lock, so a crashed holder is recovered from without the races of deleting a stale
 * lock file: the next contender sees the holder is dead and simply creates the next generation.
 */
export class GenerationLock {
  readonly #options: GenerationLockOptions;
  // Contenders in this process queue here instead of polling the file system against each other.
  #localTail: Promise<void> = Promise.resolve();

  constructor(options: GenerationLockOptions) {
    this.#options = options;
  }

  /** Runs `critical` while holding the lock. */
  async withLock<Result>(critical: () => Promise<Result>, signal?: AbortSignal): Promise<Result> {
    const previous = this.#localTail;
    let releaseLocal!: () => void;
    this.#localTail = new Promise<void>((resolve) => (releaseLocal = resolve));
    try {
      await previous;
      const generation = await this.#acquire(signal);
      try {
        return await critical();
      } finally {
        await this.#write(generation + 1, { state: 'free' });
      }
    } finally {
      releaseLocal();
    }
  }

  async #acquire(signal: AbortSignal | undefined): Promise<number> {
    const deadline = Date.now() + this.#options.timeoutMs;
    let delayMs = 1;
    for (;;) {
      signal?.throwIfAborted();
      const generations = await this.#generations();
      const latest = generations.at(-1) ?? 0;
      const record = latest === 0 ? undefined : await this.#read(latest);
      if (latest !== 0 && record === undefined) continue; // removed by a cleanup: look again
      const available = record === undefined || record.state === 'free' || !isProcessAlive(record.holder);
      if (available) {
        const next = latest + 1;
        if (await this.#write(next, { state: 'held', holder: currentProcessIdentity() })) {
          if (await this.#isLatest(next)) {
            if (generations.length > CLEANUP_THRESHOLD) await this.#removeOlderThan(latest - GENERATIONS_KEPT, generations);
            return next;
          }
          // Our view was stale and the number had been cleaned up: this generation is not the
          // lock's state (a higher one is), so it was never visible as held. Withdraw and retry.
          await unlink(this.#path(next)).catch(() => undefined);
        }
        continue;
      }
      if (Date.now() >= deadline) throw new LockTimeoutError(this.#options.directory, record.holder, this.#options.timeoutMs);
      await sleep(delayMs + Math.random() * delayMs, signal);
      delayMs = Math.min(delayMs * 2, 50);
    }
  }

  async #generations(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.#options.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(this.#options.directory, { recursive: true });
      return [];
    }
    return names
      .filter((name) => /^\d+$/.test(name))
      .map(Number)
      .sort((left, right) => left - right);
  }

  async #isLatest(generation: number): Promise<boolean> {
    const generations = await this.#generations();
    return generations.at(-1) === generation;
  }

  async #read(generation: number): Promise<GenerationRecord | undefined> {
    try {
      return JSON.parse(await readFile(this.#path(generation), 'utf8')) as GenerationRecord;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Creates generation `generation` with `record`, atomically. False when it already exists. */
  async #write(generation: number, record: GenerationRecord): Promise<boolean> {
    const temporary = join(this.#options.temporaryDirectory, `lock-${process.pid}-${randomBytes(6).toString('hex')}`);
    await writeFile(temporary, JSON.stringify(record));
    try {
      await link(temporary, this.#path(generation));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await unlink(temporary).catch(() => undefined);
    }
  }

  async #removeOlderThan(limit: number, generations: readonly number[]): Promise<void> {
    await Promise.all(
      generations.filter((generation) => generation < limit).map((generation) => unlink(this.#path(generation)).catch(() => undefined)),
    );
  }

  #path(generation: number): string {
    return join(this.#options.directory, String(generation).padStart(GENERATION_DIGITS, '0'));
  }
}

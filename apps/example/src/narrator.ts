/**
 * Prints the demo's story: numbered chapters and lines stamped with the seconds since the start.
 * The end-to-end test reads exactly these lines, so their wording is part of what it checks.
 */
export class Narrator {
  readonly #startedAt = performance.now();
  readonly #write: (line: string) => void;
  #chapters = 0;

  constructor(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)) {
    this.#write = write;
  }

  /** Milliseconds since the narrator was created. */
  get elapsedMs(): number {
    return performance.now() - this.#startedAt;
  }

  /** Opens the next chapter. */
  chapter(title: string): void {
    this.#chapters += 1;
    this.#write('');
    this.#write(`${this.#stamp()} ── ${this.#chapters}. ${title} ──`);
  }

  /** One line of the story. */
  say(text: string): void {
    this.#write(`${this.#stamp()}    ${text}`);
  }

  /** A line that stands out: what went wrong, or how it ended. */
  announce(text: string): void {
    this.#write('');
    this.#write(`${this.#stamp()} ${text}`);
  }

  #stamp(): string {
    return `[${(this.elapsedMs / 1000).toFixed(2).padStart(6)} s]`;
  }
}

/** Milliseconds, printed for people: `840 ms`, `3.21 s`. */
export function formatDuration(milliseconds: number): string {
  return milliseconds < 1000 ? `${Math.round(milliseconds)} ms` : `${(milliseconds / 1000).toFixed(2)} s`;
}

/** Milliseconds between two `process.hrtime.bigint()` stamps. */
export function elapsedMs(from: bigint, to: bigint): number {
  return Number(to - from) / 1e6;
}

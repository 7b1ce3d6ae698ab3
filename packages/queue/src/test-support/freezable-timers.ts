/** Test helper: timers that can be frozen, dropping every pending and future callback (a crashed process). */
export class FreezableTimers {
  #frozen = false;
  readonly #handles = new Set<ReturnType<typeof setTimeout>>();

  /** Drops every pending callback and refuses to run new ones. */
  freeze(): void {
    this.#frozen = true;
    for (const handle of this.#handles) clearTimeout(handle);
    this.#handles.clear();
  }

  /** Schedules unless frozen. */
  setTimeout = (callback: () => void, delayMs: number): object => {
    const handle = setTimeout(() => {
      this.#handles.delete(handle);
      if (!this.#frozen) callback();
    }, delayMs);
    if (this.#frozen) clearTimeout(handle);
    else this.#handles.add(handle);
    return handle;
  };

  /** Cancels. */
  clearTimeout = (handle: object | number): void => {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
    this.#handles.delete(handle as ReturnType<typeof setTimeout>);
  };
}

/** Resolves when `condition` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

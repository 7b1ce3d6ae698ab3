/** One entry of an {@link EventQueue}. */
export interface QueuedEvent {
  /** When it is due, in simulated milliseconds. */
  readonly time: number;
  /** The order it was added in: breaks ties between events due at the same time. */
  readonly sequence: number;
  /** What to run. */
  readonly callback: () => void;
  /** Set by `cancel`: the entry stays in the heap until it reaches the top, then is skipped. */
  cancelled: boolean;
}

// Cancelled entries are removed by rebuilding the heap once they are this many and over half of it:
// lazy deletion keeps cancel O(1), and the rebuild bounds the memory the dead entries hold
// (a coordinator re-arms its timers constantly).
const COMPACTION_MINIMUM = 1024;

/**
 * A binary min-heap of events ordered by (time, sequence). The sequence makes the order total,
 * so events due at the same instant run in the order they were scheduled: the property that makes
 * a simulation replay identically from its seed.
 */
export class EventQueue {
  #heap: QueuedEvent[] = [];
  #cancelled = 0;

  /** Entries in the heap that have not been cancelled. */
  get size(): number {
    return this.#heap.length - this.#cancelled;
  }

  /** Adds `event`. */
  push(event: QueuedEvent): void {
    const heap = this.#heap;
    heap.push(event);
    let index = heap.length - 1;
    // Sift up.
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex] as QueuedEvent;
      if (!isEarlier(event, parent)) break;
      heap[index] = parent;
      index = parentIndex;
    }
    heap[index] = event;
  }

  /** The earliest event that is not cancelled, without removing it. */
  peek(): QueuedEvent | undefined {
    this.#dropCancelledTop();
    return this.#heap[0];
  }

  /** Removes and returns the earliest event that is not cancelled. */
  pop(): QueuedEvent | undefined {
    this.#dropCancelledTop();
    return this.#removeTop();
  }

  /** Marks `event` cancelled. It must be in this queue and not yet popped. */
  cancel(event: QueuedEvent): void {
    if (event.cancelled) return;
    event.cancelled = true;
    this.#cancelled += 1;
    if (this.#cancelled >= COMPACTION_MINIMUM && this.#cancelled * 2 > this.#heap.length) this.#compact();
  }

  #dropCancelledTop(): void {
    while (this.#heap.length > 0 && (this.#heap[0] as QueuedEvent).cancelled) {
      this.#removeTop();
      this.#cancelled -= 1;
    }
  }

  #removeTop(): QueuedEvent | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    // Sift the last entry down from the root.
    const length = heap.length;
    let index = 0;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      let child = left;
      if (right < length && isEarlier(heap[right] as QueuedEvent, heap[left] as QueuedEvent)) child = right;
      const childEvent = heap[child] as QueuedEvent;
      if (!isEarlier(childEvent, last)) break;
      heap[index] = childEvent;
      index = child;
    }
    heap[index] = last;
    return top;
  }

  #compact(): void {
    const live = this.#heap.filter((event) => !event.cancelled);
    // Sorting yields a valid heap, and the sort is cheap next to the garbage it frees.
    live.sort((left, right) => (isEarlier(left, right) ? -1 : 1));
    this.#heap = live;
    this.#cancelled = 0;
  }
}

function isEarlier(left: QueuedEvent, right: QueuedEvent): boolean {
  return left.time < right.time || (left.time === right.time && left.sequence < right.sequence);
}

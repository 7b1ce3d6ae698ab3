import type { Queue } from '@baton/queue';
import type { ObjectStore } from '@baton/storage';
import type { TTLCollection } from '@baton/ttl';
import type { DemoCluster } from '../demo-cluster';
import type { DemoOptions } from '../demo-options';
import type { Narrator } from '../narrator';

/** What every chapter works with. */
export interface DemoContext {
  /** What the demo runs with. */
  options: DemoOptions;
  /** Where the story is told. */
  narrator: Narrator;
  /** The worker processes. */
  cluster: DemoCluster;
  /** The narrator's handle on the demo queue: it enqueues as a producer, and never processes or leads. */
  queue: Queue;
  /** The narrator's handle on the demo's TTL collection: it writes and reads records, and never sweeps. */
  ttl: TTLCollection;
  /** The store itself, to check what is really there. */
  store: ObjectStore;
}

/** One chapter of the demo: runs, narrates, and throws {@link DemoStepError} when what it shows did not happen. */
export interface Chapter {
  /** The chapter's heading. */
  title: string;
  /** Shows what the chapter is about, checking that it happened. */
  run(context: DemoContext): Promise<void>;
}

/** A step of the demo did not do what it demonstrates (or timed out): the demo exits non-zero. */
export class DemoStepError extends Error {
  constructor(
    readonly chapter: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${chapter}: ${message}`, options);
    this.name = 'DemoStepError';
  }
}

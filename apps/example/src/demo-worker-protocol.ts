// What the narrator and its worker processes tell each other. Every event is also appended to the
// worker's own JSON-lines file, so the last moments of a killed worker are on record.

/** What each worker process is told (as JSON on its command line). */
export interface DemoWorkerConfig {
  /** The coordinator timings (already checked by the core's rules in the narrator). */
  timings: { heartbeatInterval: number; leaseTimeout: number; renewDeadline: number; workerTimeout: number };
  /** The coordinator namespace whose election the worker joins. */
  namespace: string;
  /** The queue every worker processes. */
  queueName: string;
  /** Handlers at once in this worker. */
  concurrency: number;
  /** The queue's visibility timeout. */
  visibilityTimeoutMs: number;
  /** How often an idle worker looks for jobs. */
  pollIntervalMs: number;
  /** The TTL collection every worker installs (only the leader sweeps it). */
  ttlCollection: string;
  /** How often the leader sweeps it. */
  ttlSweepIntervalMs: number;
}

/** A demo job: how long its handler works. */
export interface DemoJob {
  /** The job's number in its batch (0 for a single job). */
  number: number;
  /** How long the handler works on it. */
  durationMs: number;
}

interface EventBase {
  /** The worker's coordinator id (`unknown` before it joined the election). */
  workerId: string;
  /** Its process id. */
  pid: number;
  /** `process.hrtime.bigint()` (CLOCK_MONOTONIC, shared by every process on the host), as a decimal string. */
  t: string;
}

/** One event of a worker process. */
export type DemoWorkerEvent = EventBase &
  (
    | { type: 'ready'; epoch: number }
    | { type: 'acquired'; epoch: number }
    | { type: 'lost'; epoch: number; reason: string }
    | { type: 'leader'; leader: string | null; epoch: number }
    | { type: 'started'; id: string; attempt: number }
    | { type: 'completed'; id: string; attempt: number }
    | { type: 'swept'; epoch: number; expired: number; staleMarkers: number; requests: number; durationMs: number; lagP50Ms: number | null; lagP99Ms: number | null }
    | { type: 'stopping' }
    | { type: 'stopped' }
    | { type: 'fatal'; message: string }
  );

/** A {@link DemoWorkerEvent} as the worker writes it, before the common fields are added. */
export type DemoWorkerEventFields = DemoWorkerEvent extends infer Event ? (Event extends DemoWorkerEvent ? Omit<Event, keyof EventBase> : never) : never;

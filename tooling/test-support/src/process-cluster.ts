import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readEventFile } from './event-file';

/** What every event a worker fixture reports carries. */
export interface ClusterEvent {
  /** The event kind; `ready` (with `workerId`) marks a started worker. */
  type: string;
  /** The worker's id, on `ready` at least. */
  workerId?: string;
}

/** One worker process. */
export interface ClusterProcess<Event extends ClusterEvent> {
  /** Position in the cluster (0-based, in start order). */
  readonly index: number;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Where the process appends its events. */
  readonly eventsFile: string;
  /** Set once the process reported `ready`. */
  workerId: string | undefined;
  /** Events received over IPC, in arrival order. */
  readonly events: Event[];
  /** Resolves when the process has exited. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: boolean;
  /** Whether it was sent SIGSTOP (and not SIGCONT since). */
  stopped: boolean;
  /** When it was sent SIGKILL (hrtime), if it was. */
  killedAt?: bigint;
}

/** Options for {@link ProcessCluster}. */
export interface ProcessClusterOptions {
  /** The TypeScript fixture each worker runs (through tsx). */
  script: string;
  /** A directory for the event files (created). */
  directory: string;
  /** The fixture's arguments for worker `index`, given its event file. */
  args: (eventsFile: string, index: number) => string[];
  /** Extra environment for the workers. */
  env?: Record<string, string>;
}

type Waiter = () => void;

/**
 * A set of worker processes sharing one store, and what they report. Every process it starts is
 * tracked by pid, and `stopAll()` ends them (SIGKILL; stopped ones too).
 */
export class ProcessCluster<Event extends ClusterEvent> {
  readonly workers: ClusterProcess<Event>[] = [];
  readonly #options: ProcessClusterOptions;
  readonly #waiters = new Set<Waiter>();
  readonly #listeners = new Set<(worker: ClusterProcess<Event>, event: Event) => void>();

  constructor(options: ProcessClusterOptions) {
    this.#options = options;
    mkdirSync(options.directory, { recursive: true });
  }

  /** Starts `count` more workers and waits until every one of them reported `ready`. */
  async start(count: number, timeoutMs = 60_000): Promise<ClusterProcess<Event>[]> {
    const started = Array.from({ length: count }, () => this.add());
    await this.waitFor(`${count} workers ready`, timeoutMs, () => (started.every((worker) => worker.workerId !== undefined) ? true : undefined));
    return started;
  }

  /** Starts one worker process (without waiting for it). */
  add(): ClusterProcess<Event> {
    const index = this.workers.length;
    const eventsFile = join(this.#options.directory, `worker-${index}.jsonl`);
    const child = fork(this.#options.script, this.#options.args(eventsFile, index), {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...this.#options.env },
    });
    if (child.pid === undefined) throw new Error('fork() returned a process without a pid');
    const worker: ClusterProcess<Event> = {
      index,
      child,
      pid: child.pid,
      eventsFile,
      workerId: undefined,
      events: [],
      exit: new Promise((resolve) => {
        child.once('exit', (code, signal) => {
          worker.exited = true;
          resolve({ code, signal });
          this.#wake();
        });
      }),
      exited: false,
      stopped: false,
    };
    child.on('message', (message) => {
      const event = message as Event;
      if (event.type === 'ready') worker.workerId = event.workerId;
      worker.events.push(event);
      for (const listener of this.#listeners) listener(worker, event);
      this.#wake();
    });
    child.on('error', () => undefined);
    this.workers.push(worker);
    return worker;
  }

  /** Calls `listener` synchronously for every event as it arrives (returns the unsubscribe). */
  onEvent(listener: (worker: ClusterProcess<Event>, event: Event) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Resolves with the first value `probe` returns (other than `undefined`), checking on every
   * event and every 10 ms; rejects after `timeoutMs` with `describe()` in the message.
   */
  waitFor<Value>(description: string, timeoutMs: number, probe: () => Value | undefined): Promise<Value> {
    return new Promise<Value>((resolve, reject) => {
      const check: Waiter = () => {
        let value: Value | undefined;
        try {
          value = probe();
        } catch (error) {
          finish();
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (value !== undefined) {
          finish();
          resolve(value);
        }
      };
      const poll = setInterval(check, 10);
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for: ${description}\n${this.describe()}`));
      }, timeoutMs);
      const finish = (): void => {
        clearInterval(poll);
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Sends `signal` to one worker by its pid; returns when (hrtime). */
  signal(worker: ClusterProcess<Event>, signal: NodeJS.Signals): bigint {
    const at = process.hrtime.bigint();
    if (!worker.exited) process.kill(worker.pid, signal);
    if (signal === 'SIGSTOP') worker.stopped = true;
    if (signal === 'SIGCONT') worker.stopped = false;
    if (signal === 'SIGKILL') worker.killedAt = at;
    return at;
  }

  /** Every event every worker wrote to its file: the complete record, including the last moments of killed ones. */
  fileEvents(): Event[] {
    return this.workers.flatMap((worker) => readEventFile<Event>(worker.eventsFile));
  }

  /** One line per worker (pid, id, state, a summary of its events), for failure messages. */
  describe(): string {
    return this.workers
      .map((worker) => {
        const state = worker.exited ? 'exited' : worker.stopped ? 'stopped' : 'running';
        return `  worker ${worker.index} pid ${worker.pid} ${worker.workerId ?? '?'} ${state}: ${this.describeEvents(worker)}`;
      })
      .join('\n');
  }

  /** A summary of a worker's events for {@link describe}: counts by type, unless a subclass knows better. */
  protected describeEvents(worker: ClusterProcess<Event>): string {
    const counts = new Map<string, number>();
    for (const event of worker.events) counts.set(event.type, (counts.get(event.type) ?? 0) + 1);
    return [...counts].map(([type, count]) => `${type} x${count}`).join(', ');
  }

  /** Kills every worker still running (SIGKILL, by pid; stopped ones too) and waits for them to exit. */
  async stopAll(): Promise<void> {
    for (const worker of this.workers) {
      if (worker.exited) continue;
      try {
        process.kill(worker.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await Promise.all(this.workers.map((worker) => worker.exit));
  }

  /** Sends SIGTERM to every running worker (SIGCONT first to stopped ones) and waits; SIGKILL after `timeoutMs`. */
  async stopAllGracefully(timeoutMs = 15_000): Promise<void> {
    for (const worker of this.workers) {
      if (worker.exited) continue;
      if (worker.stopped) this.signal(worker, 'SIGCONT');
      this.signal(worker, 'SIGTERM');
    }
    const timer = setTimeout(() => void this.stopAll(), timeoutMs);
    await Promise.all(this.workers.map((worker) => worker.exit));
    clearTimeout(timer);
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

import { fileURLToPath } from 'node:url';
import { ProcessCluster, type ClusterProcess } from '@tooling/test-support';
import type { DemoWorkerConfig, DemoWorkerEvent } from './demo-worker-protocol';

const WORKER_SCRIPT = fileURLToPath(new URL('./demo-worker.ts', import.meta.url));

/** One worker process of the demo. */
export type DemoWorker = ClusterProcess<DemoWorkerEvent>;

/** A leadership term as a worker reported it. */
export interface Acquisition {
  /** The worker that acquired the lease. */
  worker: DemoWorker;
  /** The term's epoch. */
  epoch: number;
  /** When it acquired the lease (hrtime, CLOCK_MONOTONIC: comparable across processes on this host). */
  at: bigint;
}

/** The demo's worker processes (src/demo-worker.ts), started and stopped by pid. */
export class DemoCluster extends ProcessCluster<DemoWorkerEvent> {
  constructor(options: { url: string; directory: string; config: DemoWorkerConfig }) {
    super({
      script: WORKER_SCRIPT,
      directory: options.directory,
      args: (eventsFile) => [options.url, eventsFile, JSON.stringify(options.config)],
    });
  }

  /** Short names for the narration: `worker 1`, `worker 2`, ... in start order. */
  nameOf(worker: DemoWorker): string {
    return `worker ${worker.index + 1}`;
  }

  /** Starts `count` workers and waits until each has joined the election (or one failed to start). */
  async startWorkers(count: number, timeoutMs: number): Promise<DemoWorker[]> {
    const started = Array.from({ length: count }, () => this.add());
    await this.waitFor(`${count} workers ready`, timeoutMs, () => {
      this.#throwOnFatal();
      return started.every((worker) => worker.workerId !== undefined) ? true : undefined;
    });
    return started;
  }

  /** The live worker whose latest term event is an acquisition, with that term, if exactly one is. */
  currentLeader(): Acquisition | undefined {
    const leaders: Acquisition[] = [];
    for (const worker of this.workers) {
      if (worker.exited) continue;
      const latest = worker.events.findLast((event) => event.type === 'acquired' || event.type === 'lost');
      if (latest?.type === 'acquired') leaders.push({ worker, epoch: latest.epoch, at: BigInt(latest.t) });
    }
    return leaders.length === 1 ? leaders[0] : undefined;
  }

  /** The first acquisition of an epoch above `afterEpoch` by a live worker other than `excluding`. */
  acquisitionAfter(afterEpoch: number, excluding?: DemoWorker): Acquisition | undefined {
    for (const worker of this.workers) {
      if (worker === excluding) continue;
      const event = worker.events.find((candidate) => candidate.type === 'acquired' && candidate.epoch > afterEpoch);
      if (event?.type === 'acquired') return { worker, epoch: event.epoch, at: BigInt(event.t) };
    }
    return undefined;
  }

  /** Waits for a worker (other than `excluding`) to acquire a term above `afterEpoch`. */
  waitForAcquisition(description: string, timeoutMs: number, afterEpoch: number, excluding?: DemoWorker): Promise<Acquisition> {
    return this.waitFor(description, timeoutMs, () => {
      this.#throwOnFatal();
      return this.acquisitionAfter(afterEpoch, excluding);
    });
  }

  /**
   * Resolves once every live worker names `leader` as the leader of `epoch` (its latest
   * `leader` event): the followers have seen the new term too.
   */
  waitForAgreement(leader: DemoWorker, epoch: number, timeoutMs: number): Promise<true> {
    return this.waitFor(`every worker to see ${this.nameOf(leader)} as leader of epoch ${epoch}`, timeoutMs, () => {
      this.#throwOnFatal();
      const live = this.workers.filter((worker) => !worker.exited);
      const agree = live.every((worker) => {
        const latest = worker.events.findLast((event) => event.type === 'leader');
        return latest?.type === 'leader' && latest.leader === leader.workerId && latest.epoch === epoch;
      });
      return agree ? true : undefined;
    });
  }

  /** Every event of every worker that has arrived over IPC. */
  allEvents(): DemoWorkerEvent[] {
    return this.workers.flatMap((worker) => worker.events);
  }

  protected override describeEvents(worker: DemoWorker): string {
    const fatal = worker.events.find((event) => event.type === 'fatal');
    return fatal?.type === 'fatal' ? `fatal: ${fatal.message.split('\n')[0] ?? ''}` : super.describeEvents(worker);
  }

  #throwOnFatal(): void {
    for (const worker of this.workers) {
      const fatal = worker.events.find((event) => event.type === 'fatal');
      if (fatal?.type === 'fatal') throw new Error(`${this.nameOf(worker)} (pid ${worker.pid}) failed to start: ${fatal.message}`);
    }
  }
}

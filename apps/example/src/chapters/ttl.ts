import type { DemoWorker } from '../demo-cluster';
import { DEMO_TTL_COLLECTION } from '../demo-options';
import type { DemoWorkerEvent } from '../demo-worker-protocol';
import { elapsedMs, formatDuration } from '../narrator';
import { DemoStepError, type Chapter } from './chapter';

const TITLE = 'TTL records expiring';
const EXPIRING = 5;

/**
 * The narrator writes a few short-lived records and extends one of them; the leader's sweeps
 * remove the others. Checks that every expired record is gone from the store (not merely hidden
 * by `get`), that only the leader swept, and that the extended record survived.
 */
export const ttlChapter: Chapter = {
  title: TITLE,
  async run({ options, narrator, cluster, ttl, store }) {
    const leader = cluster.currentLeader();
    if (leader === undefined) throw new DemoStepError(TITLE, 'no single leader to sweep');
    const keys = Array.from({ length: EXPIRING }, (_, index) => `session-${index + 1}`);
    const setAt = process.hrtime.bigint();
    for (const key of keys) await ttl.set(key, { user: key }, { ttlMs: options.ttlMs });
    await ttl.set('session-kept', { user: 'kept' }, { ttlMs: options.ttlMs });
    if (!(await ttl.touch('session-kept', { ttlMs: 10 * 60_000 }))) throw new DemoStepError(TITLE, 'touch of session-kept found no live record');
    narrator.say(
      `the narrator set ${EXPIRING + 1} records with a ${formatDuration(options.ttlMs)} TTL in collection "sessions" and extended one of them (session-kept) to 10 min; ` +
        `the leader sweeps every ${formatDuration(options.ttlSweepIntervalMs)}`,
    );

    type Sweep = Extract<DemoWorkerEvent, { type: 'swept' }>;
    const sweepsOf = (worker: DemoWorker): Sweep[] => worker.events.filter((event): event is Sweep => event.type === 'swept' && BigInt(event.t) >= setAt);
    const sweeps = (): Sweep[] => cluster.workers.flatMap(sweepsOf);
    await cluster.waitFor(`${EXPIRING} records expired by the leader`, options.stepTimeoutMs, () =>
      sweeps().reduce((sum, event) => sum + event.expired, 0) >= EXPIRING ? true : undefined,
    );
    const doneAt = process.hrtime.bigint();
    const left = (await Promise.all(keys.map((key) => ttl.get(key)))).filter((entry) => entry !== undefined);
    if (left.length > 0) throw new DemoStepError(TITLE, `get() still returns expired records: ${left.map((entry) => entry.key).join(', ')}`);
    const otherSweepers = cluster.workers.filter((worker) => worker !== leader.worker && sweepsOf(worker).length > 0);
    if (otherSweepers.length > 0) {
      throw new DemoStepError(TITLE, `only the leader (${cluster.nameOf(leader.worker)}) may sweep, but ${otherSweepers.map((worker) => cluster.nameOf(worker)).join(', ')} did too`);
    }
    // Gone from the store, not merely hidden by get(): only the extended record is left.
    const stored = await store.list({ prefix: `ttl/${DEMO_TTL_COLLECTION}/records/` });
    if (stored.entries.length !== 1) {
      throw new DemoStepError(TITLE, `expected only session-kept in the store, found ${stored.entries.length} records: ${stored.entries.map((entry) => entry.key).join(', ')}`);
    }
    const kept = await ttl.get('session-kept');
    if (kept === undefined) throw new DemoStepError(TITLE, 'the extended record session-kept did not survive');

    const last = sweeps().at(-1);
    const lag = last !== undefined && last.lagP50Ms !== null ? `, expiry lag p50 ${formatDuration(last.lagP50Ms)} / p99 ${formatDuration(last.lagP99Ms ?? last.lagP50Ms)}` : '';
    const requests = sweeps().reduce((sum, event) => sum + event.requests, 0);
    narrator.say(
      `${EXPIRING} records expired and deleted by the leader, ${cluster.nameOf(leader.worker)}, ${formatDuration(elapsedMs(setAt, doneAt))} after they were set ` +
        `(${requests} storage requests in the sweeps that removed them${lag})`,
    );
    narrator.say(`session-kept, extended before it expired, survived every sweep: get() still returns it`);
  },
};

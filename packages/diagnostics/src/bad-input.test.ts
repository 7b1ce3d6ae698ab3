// The bad-input suite: every kind of bad object a user, a tool or a bug can leave under baton's
// prefixes, planted into a live cluster of three worker processes (src/fixtures/bad-input-worker.ts:
// a hub with the queue and TTL plugins each) on file:// and on a real S3 (Ceph RGW) while they
// process jobs. Each bad object must cost only itself: jobs keep flowing, a crashed worker's job
// is recovered, delayed jobs are promoted, expired TTL records are swept, a leader is elected, no
// good job is lost, no process crashes — and the objects are reported (a `record:corrupt` event
// and a warning per object, the TTL's corrupt metrics, `baton doctor` where it has a check).
// Delivery is at least once: a job held by the killed worker runs twice, and completes once.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStore, type ObjectStore } from '@baton/storage';
import { Queue } from '@baton/queue';
import { TTLCollection } from '@baton/ttl';
import { createTestBucket, putRawObject, s3TestTarget, type TestBucket } from '@tooling/s3-test-server/target';
import { readEventFile, s3ConnectionString } from '@tooling/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { diagnose } from './diagnose';
import { openHub } from './open-hub';
import { BadInputCluster, type BadInputClusterWorker, type BadInputJob, type BadInputWorkerConfig, type BadInputWorkerEvent } from './fixtures/bad-input-cluster';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const TIMINGS = { heartbeatInterval: 100, leaseTimeout: 1000, workerTimeout: 1500 };
const QUEUE = 'bad-input';
const COLLECTION = 'bad-input';
const CONFIG: BadInputWorkerConfig = {
  queueName: QUEUE,
  ttlCollection: COLLECTION,
  concurrency: 2,
  visibilityTimeoutMs: 800,
  pollIntervalMs: 50,
  sweepIntervalMs: 200,
  timings: TIMINGS,
};
const QUICK: BadInputJob = { sleepMs: 20 };
// Long enough to be caught mid-job and killed there.
const LONG: BadInputJob = { firstAttemptSleepMs: 3000, sleepMs: 20 };
const QUEUE_ROOT = `queues/${QUEUE}/`;
const TTL_ROOT = `ttl/${COLLECTION}/`;
const STATE_KEY = 'plg_coordinator_global/default/state.json';
const WORKERS_PREFIX = 'plg_coordinator_global/default/workers/';

const scratch = mkdtempSync(join(tmpdir(), 'baton-bad-input-'));
const clusters: BadInputCluster[] = [];
const stores: ObjectStore[] = [];
let runs = 0;

afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stopAll()));
  for (const store of stores.splice(0)) (store as { destroy?: () => void }).destroy?.();
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** 15 zero-padded digits, as the queue and TTL write times into keys. */
const pad = (wallMs: number): string => String(Math.floor(wallMs)).padStart(15, '0');

/** Where the suite runs: a connection string per run, and a way to write a key the store's own rules refuse. */
interface Backend {
  name: string;
  url(run: string): string;
  /** Writes `key` (relative to the run's prefix) around the store: how a foreign tool writes a key baton refuses. */
  putForeign(run: string, key: string, body: string): Promise<void>;
}

/** One planted object: where, what kind, and whether the worker processes report it themselves. */
interface Planted {
  kind: string;
  key: string;
  /** Which plugin reports it with a `record:corrupt` event and a warning (undefined: the coordinator handles it). */
  reportedBy?: 'queue' | 'ttl';
}

function badInputTests(backend: Backend): void {
  async function setUp(): Promise<{ run: string; url: string; cluster: BadInputCluster; store: ObjectStore; queue: Queue; ttl: TTLCollection }> {
    runs += 1;
    const run = `run-${runs}`;
    const url = backend.url(run);
    const cluster = new BadInputCluster({ url, directory: join(scratch, backend.name, run), config: CONFIG });
    clusters.push(cluster);
    // The test's own clients only enqueue, set and read; they never process, lead or sweep.
    const store = await createStore(url);
    stores.push(store);
    return { run, url, cluster, store, queue: new Queue({ store, name: QUEUE, visibilityTimeoutMs: CONFIG.visibilityTimeoutMs }), ttl: new TTLCollection({ store, collection: COLLECTION }) };
  }

  it('every kind of bad object, planted into a live 3-process cluster, costs only itself: jobs flow, recovery and the sweep work, a leader is elected, nothing is lost, nobody crashes', async () => {
    const startedAt = performance.now();
    const { run, url, cluster, store, queue, ttl } = await setUp();
    await cluster.start(3);
    await cluster.waitFor('a leader', 10_000, () => cluster.leader());
    const good: string[] = [];
    const enqueue = async (count: number, data: BadInputJob, options?: { delayMs: number }): Promise<string[]> => {
      const ids = await queue.enqueueMany(Array.from({ length: count }, () => ({ data, ...(options === undefined ? {} : { options }) })));
      good.push(...ids);
      return ids;
    };
    const [templateId] = await enqueue(1, QUICK);
    const template = JSON.parse(new TextDecoder().decode((await store.get(`${QUEUE_ROOT}jobs/${templateId}.json`))?.body)) as Record<string, unknown>;
    await enqueue(30, QUICK);

    // Planted while the jobs run. Ids have no '-': the queue reads a marker's id after its last one.
    const now = Date.now();
    const planted: Planted[] = [];
    const plant = async (kind: string, key: string, body: string, reportedBy?: 'queue' | 'ttl'): Promise<void> => {
      await store.put(key, body);
      planted.push({ kind, key, ...(reportedBy === undefined ? {} : { reportedBy }) });
    };
    const plantedMarkers: string[] = [];
    const plantJob = async (kind: string, id: string, body: string, marker: 'ready' | 'delayed'): Promise<void> => {
      await plant(kind, `${QUEUE_ROOT}jobs/${id}.json`, body, 'queue');
      plantedMarkers.push(marker === 'ready' ? `${QUEUE_ROOT}ready/999-${pad(now)}-${id}` : `${QUEUE_ROOT}delayed/${pad(now)}-${id}`);
      await store.put(plantedMarkers.at(-1) ?? '', '');
    };
    await plantJob('10 garbage job record with a ready marker', 'plantedgarbage', '{"format":"baton.queue.job/1","id":"plantedgarb', 'ready');
    await plantJob('11 garbage delayed job record', 'planteddelayed', '\u0000\u0001 not json at all', 'delayed');
    await plantJob('12 wrong types: state "active", claim null', 'plantedwrongtypes', JSON.stringify({ ...template, id: 'plantedwrongtypes', state: 'active', claim: null }), 'ready');
    await plantJob('12 extreme numbers: leaderEpoch MAX_SAFE_INTEGER', 'plantedextreme', JSON.stringify({ ...template, id: 'plantedextreme', leaderEpoch: Number.MAX_SAFE_INTEGER }), 'ready');
    const backslash = `${QUEUE_ROOT}finished/foreign\\object.json`;
    await backend.putForeign(run, backslash, '{"written":"by another tool"}');
    planted.push({ kind: '13 foreign object with a backslash in finished/', key: backslash, reportedBy: 'queue' });
    await plant('13 garbage completion journal object', `${QUEUE_ROOT}finished/${pad(now)}-garbage00000.json`, '{"format":"baton.queue.finished/1","jobs":[["x"', 'queue');
    const dueNow = (recordKey: string): string => `${TTL_ROOT}due/minute/${pad(Math.floor((now - 1000) / 60_000) * 60_000)}/${pad(now - 1000)}-${recordKey}/planted`;
    await plant('TTL garbage record', `${TTL_ROOT}records/garbage`, 'garbage', 'ttl');
    await store.put(dueNow('garbage'), '');
    await plant('TTL truncated record', `${TTL_ROOT}records/truncated`, '{"format":"baton.ttl/1","key":"truncated","value":{', 'ttl');
    await store.put(dueNow('truncated'), '');
    // Cohort 0, sweep time in the far future: would stop the lane if the sweep believed it.
    await plant('TTL index marker outside its cohort', `${TTL_ROOT}due/minute/${pad(0)}/999999999999999-foreign/planted`, '', 'ttl');
    await plant('TTL index marker that does not parse', `${TTL_ROOT}due/minute/${pad(0)}/not-a-marker`, '', 'ttl');

    // Good TTL records and delayed jobs, after the bad objects: the sweep and the promotion must pass them.
    const sessions = Array.from({ length: 8 }, (_value, index) => `session${index}`);
    for (const key of sessions) await ttl.set(key, { user: key }, { ttlMs: 300 });
    const delayed = await enqueue(8, QUICK, { delayMs: 1500 });

    // kill -9 of a follower holding a long job: the leader must take the job back.
    const leader = await cluster.waitFor('a leader', 10_000, () => cluster.leader());
    // Caught early in a 3 s first attempt, so that the kill lands mid-job, not as it completes.
    // Long jobs go in until a follower holds one (the leader may take them all).
    const long: string[] = [];
    let victim: BadInputClusterWorker | undefined;
    for (let round = 0; victim === undefined; round += 1) {
      long.push(...(await enqueue(4, LONG)));
      const follower = () => cluster.workers.find((worker) => worker !== leader && !worker.exited && inFlight(worker, LONG_JOB_EARLY_NS).some((id) => long.includes(id)));
      victim = await cluster.waitFor('a follower early in a long job', 5000, follower).catch((error: unknown) => {
        if (round >= 3) throw error;
        return undefined;
      });
    }
    cluster.signal(victim, 'SIGKILL');
    await victim.exit;
    // What it held, by its own file (a completion may have been on its way over IPC).
    const held = inFlight({ events: readEventFile<BadInputWorkerEvent>(victim.eventsFile) });
    expect(held.filter((id) => long.includes(id)).length, 'long jobs the killed worker held').toBeGreaterThan(0);
    await enqueue(10, QUICK);

    // A garbage lease record: the leader loses its term, and a worker replaces the record after leaseTimeout.
    // With a foreign and a garbage registration: the leader prunes them as stale workers (after
    // workerTimeout, with a warning), so diagnose() looks at once, while they are there.
    await plant('14 foreign *.json in workers/', `${WORKERS_PREFIX}foreign.json`, JSON.stringify({ format: 'someone-else/v3', owner: 'ops' }));
    await plant('14 garbage registration in workers/', `${WORKERS_PREFIX}garbage.json`, 'garbage');
    const garbageAt = process.hrtime.bigint();
    await store.put(STATE_KEY, 'garbage');
    planted.push({ kind: '14 garbage state.json', key: STATE_KEY });
    const hub = await openHub(url, { globalCoordinator: TIMINGS });
    let diagnosed: string;
    try {
      diagnosed = JSON.stringify((await diagnose(hub.hub, { windowMs: 0, samples: 1, probe: false })).findings);
    } finally {
      await hub.close();
    }
    const afterGarbage = await cluster.waitFor('a leader elected after the garbage state.json', 15_000, () => acquisitionAfter(cluster, garbageAt));
    // A lease record whose epoch no term can have (MAX_SAFE_INTEGER): corrupt too, not a newer term.
    const extremeAt = process.hrtime.bigint();
    const lease = JSON.parse(new TextDecoder().decode((await store.get(STATE_KEY))?.body)) as Record<string, unknown>;
    await store.put(STATE_KEY, JSON.stringify({ ...lease, leader: 'intruder', epoch: Number.MAX_SAFE_INTEGER }));
    planted.push({ kind: '15 state.json with epoch MAX_SAFE_INTEGER', key: STATE_KEY });
    const afterExtreme = await cluster.waitFor('a leader elected after the MAX_SAFE_INTEGER epoch', 15_000, () => acquisitionAfter(cluster, extremeAt));
    expect(afterExtreme.epoch).toBeLessThan(2 ** 40);
    await enqueue(6, QUICK);
    await enqueue(2, QUICK, { delayMs: 500 });

    // Everything good completes, exactly once counting successful runs. A run is counted by its
    // `completed` event, or, for a job the killed worker held, by the result it wrote: it may have
    // completed the job and died before it could say so.
    const reportedDone = (): Set<string> => new Set(cluster.workers.flatMap((worker) => worker.events.flatMap((event) => (event.type === 'completed' ? [event.id] : []))));
    await waitUntil(`all ${good.length} good jobs completed`, 30_000, async () => {
      const unreported = good.filter((id) => !reportedDone().has(id));
      if (unreported.length > held.length) return false;
      const records = await Promise.all(unreported.map((id) => queue.getJob(id)));
      return records.every((job) => job?.state === 'completed' && (job.result as { by?: string } | null)?.by === victim.workerId);
    });
    const events = cluster.fileEvents();
    const completions = countById(events, 'completed');
    const jobs = await Promise.all(good.map((id) => queue.getJob(id)));
    for (const job of jobs) {
      if (job !== undefined && !completions.has(job.id) && (job.result as { by?: string } | null)?.by === victim.workerId) completions.set(job.id, 1);
    }
    expect(good.filter((id) => completions.get(id) !== 1), 'good jobs not completed exactly once').toEqual([]);
    expect(jobs.filter((job) => job?.state !== 'completed').map((job) => job?.id)).toEqual([]);
    // The killed worker's jobs ran again (at-least-once delivery), after the leader took them back.
    const recovered = held.filter((id) => jobs.find((job) => job?.id === id)?.history.some((entry) => entry.outcome === 'expired'));
    expect(recovered.length, 'jobs of the killed worker recovered by the leader').toBeGreaterThan(0);
    // By another worker (the `job:expired` event may be missing: a leader that lost its term between the write and the event).
    for (const id of recovered) {
      const expiry = jobs.find((job) => job?.id === id)?.history.find((entry) => entry.outcome === 'expired');
      expect(expiry?.worker, `the claim ${id} lost`).toBe(victim.workerId);
      expect(expiry?.error?.message ?? '', `who took ${id} back`).toMatch(/observed by gcs-/);
      expect(expiry?.error?.message ?? '').not.toContain(`observed by ${victim.workerId ?? '?'}`);
    }
    expect(delayed.every((id) => jobs.find((job) => job?.id === id)?.state === 'completed')).toBe(true);
    // No planted job ran: bad records are set aside, not processed.
    expect(events.filter((event) => event.type === 'start' && event.id.startsWith('planted'))).toEqual([]);

    // The sweep expired every good TTL record, past the garbage ones and the foreign markers.
    // (By the store, not by sweep reports: a sweep cut short by a change of leader expires records without reporting.)
    await waitUntilGone(store, sessions.map((key) => `${TTL_ROOT}records/${key}`), 15_000);

    // Every bad object the plugins meet is reported once per version: an event and a warning naming its key.
    const reported = cluster.fileEvents();
    for (const object of planted.filter((candidate) => candidate.reportedBy !== undefined)) {
      const corrupt = reported.filter((event) => event.type === 'corrupt' && event.key === object.key && event.plugin === object.reportedBy);
      expect(corrupt.length, `record:corrupt events for ${object.kind} (${object.key})`).toBeGreaterThan(0);
      expect(reported.some((event) => event.type === 'warning' && event.message.includes(object.key)), `a warning naming ${object.key}`).toBe(true);
    }
    // Garbage records are kept for inspection; the garbage journal object was deleted with the journal.
    expect(await store.get(`${QUEUE_ROOT}jobs/plantedgarbage.json`)).toBeDefined();
    expect(await store.get(`${TTL_ROOT}records/garbage`)).toBeDefined();
    // Their markers are gone: set aside once, they cost no read on every poll.
    await waitUntilGone(store, plantedMarkers, 5000);

    // A leader exists, and every live worker's getLeader() names it (asked until they agree:
    // a follower learns of a new term at its next heartbeat).
    const live = cluster.workers.filter((worker) => !worker.exited);
    let answers: Extract<BadInputWorkerEvent, { type: 'leader' }>[] = [];
    const disagreements: string[] = [];
    await waitUntil('every live worker to name one live leader', 10_000, async () => {
      const askedAt = process.hrtime.bigint();
      cluster.askForLeader();
      await new Promise((resolve) => setTimeout(resolve, 500));
      answers = live.flatMap((worker) => worker.events.filter((event) => event.type === 'leader' && BigInt(event.t) > askedAt).slice(-1)) as typeof answers;
      const named = new Set(answers.map((event) => event.leader));
      const agreed = answers.length === live.length && named.size === 1 && live.some((worker) => worker.workerId === answers[0]?.leader);
      if (!agreed) disagreements.push(answers.map((event) => `${event.workerId}: ${String(event.leader)} (epoch ${event.epoch})`).join('; '));
      return agreed;
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}; answers: ${disagreements.slice(-3).join(' | ')}`);
    });
    if (disagreements.length > 0) console.log(`[${backend.name}] getLeader() answers before agreement: ${disagreements.join(' | ')}`);
    // The TTL's corrupt metrics are per process: summed over the live ones (the killed one was never the sweeper).
    const totals = { records: 0, markers: 0 };
    for (const event of answers) {
      totals.records += event.ttlCorrupt.records;
      totals.markers += event.ttlCorrupt.markers;
    }
    expect(totals.records, 'TTL records counted as corrupt').toBeGreaterThanOrEqual(2);
    expect(totals.markers, 'TTL markers counted as corrupt').toBeGreaterThanOrEqual(2);

    // diagnose() named the coordinator's bad objects while they were there; `baton doctor` runs on the store as it is now.
    const names = (findings: string, key: string): boolean => findings.includes(JSON.stringify(key).slice(1, -1));
    for (const key of [STATE_KEY, `${WORKERS_PREFIX}foreign.json`, `${WORKERS_PREFIX}garbage.json`]) expect(names(diagnosed, key), `diagnose() names ${key}: ${diagnosed}`).toBe(true);
    const diagnosedIds = (JSON.parse(diagnosed) as { id: string }[]).map((finding) => finding.id);
    expect(diagnosedIds).toEqual(expect.arrayContaining(['leadership-transfer.corrupted-record', 'worker-registration.unreadable']));
    const doctor = await runDoctor(url);
    const doctorFindings = JSON.stringify(doctor.report.findings ?? []);
    const doctorErrors = (doctor.report.findings ?? []).flatMap((finding) => ((finding as { severity?: string }).severity === 'error' ? [(finding as { id?: string }).id] : []));
    const unreported = planted.filter((object) => !names(diagnosed, object.key) && !names(doctorFindings, object.key));
    // What the libraries delete by design (the completion journal deletes what it cannot read, with
    // a warning naming it, asserted above) is gone before doctor looks; everything still there is named.
    const stillStored = async (key: string): Promise<boolean> => (await store.get(key).catch(() => ({ body: new Uint8Array() }))) !== undefined;
    const unreportedAndStored: string[] = [];
    for (const object of unreported) if (await stillStored(object.key)) unreportedAndStored.push(`${object.kind} (${object.key})`);
    expect(unreportedAndStored, 'every planted object still in the store is named by diagnose() or baton doctor').toEqual([]);

    // No process crashed: the survivors exit 0 on SIGTERM, and nobody reported a fatal error.
    expect(events.filter((event) => event.type === 'fatal')).toEqual([]);
    const survivors = cluster.workers.filter((worker) => worker !== victim);
    expect(survivors.every((worker) => !worker.exited), 'a worker exited unexpectedly').toBe(true);
    await cluster.stopAllGracefully();
    for (const worker of survivors) expect(await worker.exit).toEqual({ code: 0, signal: null });

    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    console.log(
      `[${backend.name}] ${good.length} good jobs completed once each (${recovered.length} of the killed worker's ${held.length} recovered and re-run), ${planted.length} bad objects planted, leader epochs ${afterGarbage.epoch} → ${afterExtreme.epoch}, ${seconds} s; ` +
        `baton doctor exit ${doctor.exitCode} (errors: ${doctorErrors.join(', ') || 'none'}); not named by diagnose()/baton doctor because the library deleted them (with a warning): ${unreported.map((object) => object.kind).join('; ') || 'none'}`,
    );
  });

  it('a process given a misspelt option (leaseTimout, concurency, stratgy) refuses to start with the typed config error and exit code 1', async () => {
    const { url } = await setUp();
    const cases = [
      { extraOptions: { globalCoordinator: { leaseTimout: 1000 } }, name: 'CoordinatorConfigError', code: 'INVALID_COORDINATOR_OPTIONS', message: /leaseTimout.*did you mean leaseTimeout/ },
      { extraOptions: { process: { concurency: 4 } }, name: 'InvalidQueueOptionsError', code: 'INVALID_QUEUE_OPTIONS', message: /concurency/ },
      { extraOptions: { ttl: { stratgy: 'archive' } }, name: 'InvalidTTLOptionsError', code: 'INVALID_TTL_OPTIONS', message: /stratgy/ },
    ];
    for (const [index, expected] of cases.entries()) {
      const cluster = new BadInputCluster({ url, directory: join(scratch, backend.name, `misspelt-${runs}-${index}`), config: { ...CONFIG, extraOptions: expected.extraOptions } });
      clusters.push(cluster);
      const worker = cluster.add();
      expect(await worker.exit, JSON.stringify(expected.extraOptions)).toEqual({ code: 1, signal: null });
      const fatal = cluster.fileEvents().find((event) => event.type === 'fatal');
      expect(fatal?.type === 'fatal' ? [fatal.name, fatal.code] : undefined).toEqual([expected.name, expected.code]);
      expect(fatal?.type === 'fatal' ? fatal.message : '').toMatch(expected.message);
      expect(cluster.fileEvents().some((event) => event.type === 'ready' || event.type === 'start')).toBe(false);
    }
  });
}

/** How recently a long job must have started for a kill to land mid-job. */
const LONG_JOB_EARLY_NS = 1_500_000_000n;

/** The ids a worker started and had not completed (by its events), only those started within `withinNs` if given. */
function inFlight(worker: { events: readonly BadInputWorkerEvent[] }, withinNs?: bigint): string[] {
  const now = process.hrtime.bigint();
  const done = new Set(worker.events.flatMap((event) => (event.type === 'completed' ? [`${event.id}/${event.attempt}`] : [])));
  return worker.events.flatMap((event) =>
    event.type === 'start' && !done.has(`${event.id}/${event.attempt}`) && (withinNs === undefined || now - BigInt(event.t) < withinNs) ? [event.id] : [],
  );
}

/** How many events of `type` each job has. */
function countById(events: readonly BadInputWorkerEvent[], type: 'completed' | 'start'): Map<string, number> {
  const counts = new Map<string, number>();
  for (const event of events) if (event.type === type) counts.set(event.id, (counts.get(event.id) ?? 0) + 1);
  return counts;
}

/** The first acquisition by a live worker after `since` (hrtime), if any. */
function acquisitionAfter(cluster: BadInputCluster, since: bigint): { epoch: number } | undefined {
  for (const worker of cluster.workers) {
    if (worker.exited) continue;
    const event = worker.events.find((candidate) => candidate.type === 'acquired' && BigInt(candidate.t) > since);
    if (event?.type === 'acquired') return { epoch: event.epoch };
  }
  return undefined;
}

async function waitUntil(description: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for: ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function waitUntilGone(store: ObjectStore, keys: readonly string[], timeoutMs: number): Promise<void> {
  let present: string[] = [];
  await waitUntil(`gone from the store: ${keys.join(', ')}`, timeoutMs, async () => {
    present = (await Promise.all(keys.map(async (key) => ((await store.get(key)) === undefined ? [] : [key])))).flat();
    return present.length === 0;
  }).catch(() => {
    throw new Error(`still in the store after ${timeoutMs} ms: ${present.join(', ')}`);
  });
}

/** `baton doctor --json` (the built CLI) on `url`: its exit code and report. */
function runDoctor(url: string): Promise<{ exitCode: number; report: { findings?: unknown[] } }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, 'doctor', '--json', '--window', '0', '--samples', '1', '--no-probe', '--lease-timeout', String(TIMINGS.leaseTimeout), '--heartbeat-interval', String(TIMINGS.heartbeatInterval), '--worker-timeout', String(TIMINGS.workerTimeout)],
      { env: { PATH: process.env.PATH, BATON_URL: url, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const exitCode = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        try {
          resolve({ exitCode, report: JSON.parse(stdout) as { findings?: unknown[] } });
        } catch {
          reject(new Error(`baton doctor exited ${exitCode} without a JSON report: ${stderr}${stdout}`));
        }
      },
    );
  });
}

const fileStores = join(scratch, 'file-stores');

describe('bad input on file://', () => {
  badInputTests({
    name: 'file',
    url: (run) => `file://${join(fileStores, run)}`,
    putForeign: (run, key, body) => {
      // The file store's layout: `<segment>.dir/` for every segment but the last, `<segment>.obj` for it.
      const segments = key.split('/');
      const path = join(fileStores, run, ...segments.slice(0, -1).map((segment) => `${segment}.dir`), `${segments.at(-1) ?? ''}.obj`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, body);
      return Promise.resolve();
    },
  });
});

const target = s3TestTarget();

// On a real Ceph RGW (or S3_TEST_ENDPOINT). Skipped only outside CI when no S3 server could be
// started (the globalSetup then prints why); in CI that fails the run instead.
describe.skipIf(target === undefined)('bad input on S3 (Ceph RGW)', () => {
  let bucket: TestBucket | undefined;
  beforeAll(async () => {
    if (target === undefined) return;
    bucket = await createTestBucket(target, { namePrefix: 'bad-input' });
  });
  afterAll(async () => {
    await bucket?.remove();
  });
  const requireBucket = (): { target: NonNullable<typeof target>; bucket: TestBucket } => {
    if (target === undefined || bucket === undefined) throw new Error('beforeAll did not create the bucket');
    return { target, bucket };
  };

  badInputTests({
    name: 's3',
    url: (run) => {
      const { target: s3, bucket: created } = requireBucket();
      return s3ConnectionString(s3, created.name, run);
    },
    putForeign: async (run, key, body) => {
      const { target: s3, bucket: created } = requireBucket();
      await putRawObject(s3, created.name, `${run}/${key}`, body);
    },
  });
});

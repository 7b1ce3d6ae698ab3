// The TTL benchmark: storage requests per expired record, and proof that a sweep's cost does not
// grow with the live records, on the file and S3 (Ceph RGW) stores.
//
//   pnpm bench:ttl              1000 due records, with 0 / 10000 / 20000 live records
//   pnpm bench:ttl --quick      200 due records, with 0 / 1000 / 2000 live records
//
// Options: --due N, --live 0,10000,20000, --backends file,s3. S3: S3_TEST_ENDPOINT (+
// S3_TEST_ACCESS_KEY, S3_TEST_SECRET_KEY, S3_TEST_REGION) or a throwaway Ceph RGW started here;
// skipped, saying why, when neither is possible.
//
// One collection per backend, every record in the same lane (granularity 'minute'): the live
// records' markers sit right behind the due ones, the worst case for a sweep that must stop at the
// first marker not yet due. For each live count: top the live records up to that count (TTL one
// day), write the due records (TTL one minute), move the injected clock past their expiry, and
// time one sweep. Requests are the sweep's own (counted below the collection), every one
// included: the lists of the three lanes, and per record the read, the delete (on Ceph: the
// tombstone write and the delete) and the marker delete.
//
// Verdicts, per backend, against the same run's row with the fewest live records (0 by default):
// requests per expired record ≤ 3 (the lane LISTs aside) and the sweep's requests EXACTLY equal
// to that row's (flat in the live records); the sweep's duration at most
// DURATION_RATIO_LIMIT × that row's + DURATION_SLACK_MS, a generous margin because durations follow
// the shared machine's load. The benchmark exits non-zero when a verdict does not hold.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createStore, type ObjectStore } from '@baton/storage';
import { openBenchS3Target, runBenchmark, textTable, type BenchmarkFailures } from '@tooling/test-support';
import { TTLCollection } from '../src/ttl-collection';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

type Backend = 'file' | 's3';
const BACKENDS: readonly Backend[] = ['file', 's3'];
const REQUEST_TARGET_PER_EXPIRED = 3;
const FILL_CONCURRENCY = 32;
const DAY = 86_400_000;
// "Duration flat in the live records", judged with room for noise: a sweep may take up to this
// many times the baseline row's, plus DURATION_SLACK_MS (small sweeps are noisier).
const DURATION_RATIO_LIMIT = 3;
const DURATION_SLACK_MS = 500;

interface Options {
  quick: boolean;
  due: number;
  liveCounts: number[];
  backends: Backend[];
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      due: { type: 'string' },
      live: { type: 'string' },
      backends: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log('usage: pnpm bench:ttl [--quick] [--due N] [--live 0,10000,20000] [--backends file,s3]');
    process.exit(0);
  }
  const backends = (values.backends ?? BACKENDS.join(',')).split(',').map((name) => {
    if (!BACKENDS.includes(name as Backend)) throw new Error(`--backends: unknown backend ${JSON.stringify(name)} (file, s3)`);
    return name as Backend;
  });
  const liveCounts = (values.live ?? (values.quick ? '0,1000,2000' : '0,10000,20000')).split(',').map((count) => integer(count, '--live'));
  if (liveCounts.some((count, index) => index > 0 && count < (liveCounts[index - 1] ?? 0))) throw new Error('--live: give the counts in ascending order');
  return { quick: values.quick, due: integer(values.due ?? (values.quick ? '200' : '1000'), '--due'), liveCounts, backends };
}

function integer(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return value;
}

/** Runs `work` over `count` indexes, `FILL_CONCURRENCY` at a time. */
async function inParallel(count: number, work: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(FILL_CONCURRENCY, count) }, async () => {
      while (next < count) {
        const index = next;
        next += 1;
        await work(index);
      }
    }),
  );
}

interface Row {
  backend: Backend;
  conditionalDelete: boolean;
  live: number;
  due: number;
  expired: number;
  requests: { get: number; put: number; delete: number; list: number };
  total: number;
  durationMs: number;
  fillSeconds: number;
  /** The collection's resolved options the sweep ran with. */
  strategy: string;
  sweepConcurrency: number;
}

async function measureBackend(backend: Backend, store: ObjectStore, options: Options): Promise<Row[]> {
  let offset = 0;
  const clock = { wallNow: () => Date.now() + offset, monotonicNow: () => performance.now() + offset };
  const ttl = new TTLCollection({ store, collection: 'bench', granularity: 'minute', environment: { clock } });
  const { strategy, sweepConcurrency } = ttl.options;
  console.log(`(${backend}: strategy ${strategy}, sweep concurrency ${sweepConcurrency})`);
  const rows: Row[] = [];
  let live = 0;
  let round = 0;
  for (const target of options.liveCounts) {
    round += 1;
    const fillStarted = performance.now();
    const from = live;
    await inParallel(target - from, (index) => ttl.set(`live-${String(from + index).padStart(6, '0')}`, { index: from + index }, { ttlMs: DAY }));
    live = target;
    await inParallel(options.due, (index) => ttl.set(`due-${round}-${String(index).padStart(6, '0')}`, { index }, { ttlMs: 60_000 }));
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    offset += 61_000; // the due records expire; the live ones (one day) do not
    const before = ttl.sweepRequestCounts;
    const report = await ttl.sweep({ epoch: 1 });
    const after = ttl.sweepRequestCounts;
    const requests = { get: after.get - before.get, put: after.put - before.put, delete: after.delete - before.delete, list: after.list - before.list };
    rows.push({ backend, conditionalDelete: store.capabilities.conditionalDelete, live, due: options.due, expired: report.expired, requests, total: report.requests, durationMs: report.durationMs, fillSeconds, strategy, sweepConcurrency });
    console.log(`(${backend}: ${live} live, ${options.due} due: filled in ${fillSeconds.toFixed(1)} s, swept ${report.expired} in ${report.durationMs.toFixed(0)} ms with ${report.requests} requests)`);
  }
  return rows;
}

let scratch: string | undefined;
const cleanups: (() => Promise<void>)[] = [];

async function main(): Promise<BenchmarkFailures> {
  const options = parseOptions();
  const started = performance.now();
  console.log(`baton TTL benchmark (${options.quick ? 'quick' : 'full'}): ${options.due} due records per sweep, live records ${options.liveCounts.join(' / ')}`);
  console.log('the collection\'s default strategy and sweep concurrency, every marker in the minute lane; live TTL 1 day, due TTL 1 minute (clock moved 61 s before each sweep)');
  const rows: Row[] = [];
  const skipped: string[] = [];
  for (const backend of options.backends) {
    let url: string;
    if (backend === 'file') {
      scratch ??= mkdtempSync(join(tmpdir(), 'baton-ttl-bench-'));
      url = `file://${join(scratch, 'store')}`;
    } else {
      const s3 = await openBenchS3Target('ttl-bench');
      if ('skipped' in s3) {
        skipped.push(`s3: ${s3.skipped}`);
        console.log(`s3: SKIPPED: ${s3.skipped}`);
        continue;
      }
      cleanups.push(() => s3.close());
      console.log(`s3: ${s3.description}`);
      url = s3.connectionString('ttl');
    }
    const store = await createStore(url);
    try {
      rows.push(...(await measureBackend(backend, store, options)));
    } finally {
      (store as { destroy?: () => void }).destroy?.();
    }
  }
  console.log('');
  console.log('One sweep of the due records, by number of live records');
  console.log(`  target: ≤ ${REQUEST_TARGET_PER_EXPIRED} storage requests per expired record; requests and duration flat in the live records:`);
  console.log(
    `  requests exactly those of the row with the fewest live records, duration ≤ ${DURATION_RATIO_LIMIT}× its duration + ${DURATION_SLACK_MS} ms (a margin for the machine's load)`,
  );
  const failures: string[] = [];
  console.log(
    textTable(
      ['backend', 'conditional DELETE', 'live', 'due', 'expired', 'list', 'get', 'put', 'delete', 'requests', 'per expired', 'per expired w/o lists', 'sweep ms', 'vs baseline', 'verdict'],
      rows.map((row) => {
        const perExpired = row.expired === 0 ? Number.NaN : row.total / row.expired;
        const perRecord = row.expired === 0 ? Number.NaN : (row.total - row.requests.list) / row.expired;
        // Rows are in ascending live counts: a backend's first row is its baseline.
        const baseline = rows.find((candidate) => candidate.backend === row.backend) ?? row;
        const durationLimit = baseline.durationMs * DURATION_RATIO_LIMIT + DURATION_SLACK_MS;
        const problems = [
          row.expired !== row.due ? `MISSED ${row.due - row.expired}` : undefined,
          perRecord > REQUEST_TARGET_PER_EXPIRED ? `OVER target: ${perRecord.toFixed(3)} requests per record` : undefined,
          row.total !== baseline.total ? `NOT FLAT: ${row.total} requests vs ${baseline.total} at ${baseline.live} live` : undefined,
          row.durationMs > durationLimit ? `NOT FLAT: ${row.durationMs.toFixed(0)} ms > ${durationLimit.toFixed(0)} ms allowed` : undefined,
        ].filter((problem) => problem !== undefined);
        failures.push(...problems.map((problem) => `${row.backend}, ${row.live} live: ${problem}`));
        const verdict = problems.length > 0 ? problems.join('; ') : row === baseline ? 'within target (+ the lane lists); baseline' : 'within target (+ the lane lists)';
        return [
          row.backend,
          row.conditionalDelete ? 'yes' : 'no (tombstones)',
          String(row.live),
          String(row.due),
          String(row.expired),
          String(row.requests.list),
          String(row.requests.get),
          String(row.requests.put),
          String(row.requests.delete),
          String(row.total),
          perExpired.toFixed(3),
          perRecord.toFixed(3),
          row.durationMs.toFixed(0),
          `${(row.durationMs / baseline.durationMs).toFixed(2)}×`,
          verdict,
        ];
      }),
      'llrrrrrrrrrrrrl',
    ),
  );
  console.log('  list: one LIST per lane (minute, hour, day) at least, plus one per further page of due markers: a fixed cost per sweep, not per record');
  for (const reason of skipped) console.log(`skipped: ${reason}`);
  console.log('');
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return failures;
}

async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
}

await runBenchmark(main, cleanUp);

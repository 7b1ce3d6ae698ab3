import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveCoordinatorConfig, type CoordinatorConfig } from '@baton/coordinator-core';
import { redactConnectionString } from '@baton/storage';

/** What the demo runs with: the store, the coordinator timings, and the size of each chapter. */
export interface DemoOptions {
  /** The connection string every worker process and the narrator connect to. */
  url: string;
  /** `url` without credentials, for printing. */
  displayUrl: string;
  /** For the default `file://` store: its directory (wiped at start). */
  fileDirectory: string | undefined;
  /** For `s3://`: the prefix of this run inside the bucket (removed at the end). */
  s3RunPrefix: string | undefined;
  /** Shortened timings for CI (`--fast` or `BATON_DEMO_FAST=1`). */
  fast: boolean;
  /** The coordinator configuration every worker uses (validated by the core's own rules). */
  coordinator: CoordinatorConfig;
  /** Worker processes to start. */
  workers: number;
  /** Jobs the narrator enqueues. */
  jobs: number;
  /** How long each job's handler works. */
  jobDurationMs: number;
  /** Handlers at once per worker. */
  concurrency: number;
  /** The queue's visibility timeout. */
  visibilityTimeoutMs: number;
  /** How often an idle worker looks for jobs. */
  pollIntervalMs: number;
  /** How long the TTL records of the demo live. */
  ttlMs: number;
  /** How often the leader sweeps expired TTL records. */
  ttlSweepIntervalMs: number;
  /** The longest any one step may wait before the demo gives up (and exits non-zero). */
  stepTimeoutMs: number;
}

/** The namespace whose leader the demo follows. */
export const DEMO_NAMESPACE = 'default';
/** The queue the demo's jobs go through. */
export const DEMO_QUEUE = 'demo';
/** The TTL collection of the demo. */
export const DEMO_TTL_COLLECTION = 'sessions';

const APP_DIRECTORY = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_STORE_DIRECTORY = fileURLToPath(new URL('../.baton-demo/store', import.meta.url));

/**
 * Reads the command line (`--fast`, `--workers N`, `--jobs N`) and the environment (`BATON_URL`,
 * `BATON_DEMO_FAST=1`). The timings are short so that the whole demo takes well under a minute —
 * lease 3 s, heartbeat 0.5 s (with `--fast`: 2 s and 0.4 s) — and are checked by the core's
 * own rules, so an invalid combination fails here with the core's `CoordinatorConfigError`.
 * The fast heartbeat is not shorter still on purpose: a crash failover lands anywhere between
 * leaseTimeout − heartbeatInterval and the bound leaseTimeout + heartbeatInterval (plus a round
 * trip and timer lateness, which the bound does not count), so the shorter the heartbeat, the
 * likelier a noisy CI machine pushes a run over the bound the demo checks.
 */
export function resolveDemoOptions(argv: readonly string[], environment: NodeJS.ProcessEnv): DemoOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      fast: { type: 'boolean', default: false },
      workers: { type: 'string' },
      jobs: { type: 'string' },
    },
    allowPositionals: false,
  });
  const fast = values.fast || environment.BATON_DEMO_FAST === '1';
  const coordinator = resolveCoordinatorConfig(
    fast ? { heartbeatInterval: 400, leaseTimeout: 2000, workerTimeout: 3000 } : { heartbeatInterval: 500, leaseTimeout: 3000, workerTimeout: 4500 },
  );
  const workers = wholeNumber(values.workers, 3, '--workers');
  // Two survivors are needed: one takes over after the kill, the other after the graceful stop.
  if (workers < 3) throw new Error(`--workers must be at least 3 (one is killed, one stops gracefully, one stays); got ${workers}`);

  const target = environment.BATON_URL;
  let url: string;
  let fileDirectory: string | undefined;
  let s3RunPrefix: string | undefined;
  if (target === undefined || target === '') {
    fileDirectory = DEFAULT_STORE_DIRECTORY;
    url = `file://${fileDirectory}`;
  } else if (target.startsWith('s3://')) {
    // Each run gets a prefix of its own, so that jobs or leases of an earlier run never take part.
    s3RunPrefix = `baton-demo-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}-${randomBytes(3).toString('hex')}`;
    url = withS3Prefix(target, s3RunPrefix);
  } else if (target.startsWith('file://')) {
    // Relative to the app, whichever directory the demo was started from.
    url = target.startsWith('file://.') ? `file://${APP_DIRECTORY}${target.slice('file://'.length)}` : target;
  } else {
    throw new Error(`BATON_URL must be a file:// or s3:// connection string (memory:// cannot be shared between processes); got ${redactConnectionString(target)}`);
  }
  return {
    url,
    displayUrl: redactConnectionString(url),
    fileDirectory,
    s3RunPrefix,
    fast,
    coordinator,
    workers,
    jobs: wholeNumber(values.jobs, fast ? 18 : 30, '--jobs'),
    jobDurationMs: fast ? 40 : 80,
    concurrency: 2,
    visibilityTimeoutMs: fast ? 3000 : 6000,
    pollIntervalMs: fast ? 100 : 200,
    ttlMs: fast ? 600 : 1500,
    ttlSweepIntervalMs: fast ? 200 : 500,
    stepTimeoutMs: 3 * (coordinator.leaseTimeout + coordinator.heartbeatInterval) + 20_000,
  };
}

/** `s3://…@bucket/prefix?…` with `/runPrefix` appended to the prefix. */
function withS3Prefix(connectionString: string, runPrefix: string): string {
  const url = new URL(connectionString);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${runPrefix}`;
  return url.toString();
}

function wholeNumber(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive whole number; got ${JSON.stringify(text)}`);
  return value;
}

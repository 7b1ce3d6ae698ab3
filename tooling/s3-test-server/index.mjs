// @ts-check
import process from 'node:process';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

/** @typedef {import('./index.d.mts').S3TestServer} S3TestServer */
/** @typedef {import('./index.d.mts').StartS3TestServerOptions} StartS3TestServerOptions */

/** The access key of the S3 user `ceph-up.sh` creates unless told otherwise. */
export const DEFAULT_ACCESS_KEY_ID = 'baton-test-key';
/** The secret key of the S3 user `ceph-up.sh` creates unless told otherwise. */
export const DEFAULT_SECRET_ACCESS_KEY = 'baton-secret';
/** RGW ignores regions, but the SDK signs with one: every helper here uses this. */
export const DEFAULT_REGION = 'us-east-1';

const CEPH_UP = fileURLToPath(new URL('./ceph-up.sh', import.meta.url));
const CEPH_DOWN = fileURLToPath(new URL('./ceph-down.sh', import.meta.url));
const DAEMON_NAMES = new Set(['ceph-mon', 'ceph-osd', 'radosgw']);
// ceph-up.sh exits with 3 when a Ceph tool is not installed: retrying on other ports cannot help.
const EXIT_MISSING_TOOL = 3;

/**
 * An error from starting or stopping the test server. `log` holds the script's output (which ends
 * with the tail of the failing daemon's log), so the reason can be printed without digging.
 */
export class S3TestServerError extends Error {
  /**
   * @param {string} message
   * @param {{ log?: string, missingTool?: boolean, cause?: unknown }} [details]
   */
  constructor(message, details = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'S3TestServerError';
    /** The output of ceph-up.sh / ceph-down.sh. */
    this.log = details.log ?? '';
    /** Whether the failure was a missing Ceph package (install `radosgw ceph-mon ceph-osd`). */
    this.missingTool = details.missingTool ?? false;
  }
}

/**
 * Starts a throwaway single-node Ceph RGW (real S3 conditional-write semantics) for tests.
 *
 * By default it takes two free loopback ports (so several suites can run at once), starts in a
 * fresh temporary directory, and kills its daemons if this process exits without calling
 * `stop()` (a watchdog covers a parent killed by a signal). Takes about 1.5 s.
 *
 * @param {StartS3TestServerOptions} [options]
 * @returns {Promise<S3TestServer>}
 * @throws {S3TestServerError} when Ceph is not installed or a daemon fails to start (no daemon is
 *   left running then).
 */
export async function startS3TestServer(options = {}) {
  options.signal?.throwIfAborted();
  const accessKeyId = options.accessKeyId ?? DEFAULT_ACCESS_KEY_ID;
  const secretAccessKey = options.secretAccessKey ?? DEFAULT_SECRET_ACCESS_KEY;
  const stopOnExit = options.stopOnExit ?? true;
  const pickPorts = options.rgwPort === undefined || options.monPort === undefined;
  // Another process may take a port between our probe and Ceph's bind: one more try on new ports.
  const attempts = pickPorts ? 2 : 1;

  /** @type {unknown[]} */
  const failures = [];
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    const rgwPort = options.rgwPort ?? (await findFreePort());
    const monPort = options.monPort ?? (await findFreePort([rgwPort]));
    const directory = options.directory ?? (await mkdtemp(join(tmpdir(), 'baton-ceph-')));
    try {
      await runScript(CEPH_UP, [directory], {
        env: {
          RGW_PORT: String(rgwPort),
          MON_PORT: String(monPort),
          RGW_ACCESS_KEY: accessKeyId,
          RGW_SECRET_KEY: secretAccessKey,
        },
        signal: options.signal,
        onAbort: () => runScript(CEPH_DOWN, [directory]),
      });
    } catch (error) {
      failures.push(error);
      const hopeless = options.signal?.aborted === true || (error instanceof S3TestServerError && error.missingTool);
      const willRetry = attempt < attempts && !hopeless;
      // ceph-up.sh stops what it started when it fails; this is the second line of defence
      // before the directory (and with it the pid files) goes away or is reused.
      if (options.directory === undefined || willRetry) await runScript(CEPH_DOWN, [directory]).catch(() => undefined);
      if (options.directory === undefined) rmSync(directory, { recursive: true, force: true });
      if (options.signal?.aborted === true) throw options.signal.reason;
      if (!willRetry) throw combineFailures(failures);
      continue;
    }
    return createHandle({
      endpoint: `http://127.0.0.1:${rgwPort}`,
      accessKeyId,
      secretAccessKey,
      directory,
      rgwPort,
      monPort,
      stopOnExit,
    });
  }
  throw combineFailures(failures);
}

/**
 * One error for every failed attempt, so that the first failure's reason is not lost behind
 * the retry's.
 *
 * @param {unknown[]} failures
 * @returns {unknown}
 */
function combineFailures(failures) {
  if (failures.length === 1) return failures[0];
  const messages = failures.map((failure, index) => `attempt ${index + 1}: ${failure instanceof Error ? failure.message : String(failure)}`);
  const last = failures.at(-1);
  return new S3TestServerError(`Ceph failed to start ${failures.length} times (on new ports each time):\n${messages.join('\n')}`, {
    log: failures.map((failure) => (failure instanceof S3TestServerError ? failure.log : '')).join('\n'),
    missingTool: last instanceof S3TestServerError && last.missingTool,
    cause: last,
  });
}

/**
 * @param {{ endpoint: string, accessKeyId: string, secretAccessKey: string, directory: string,
 *   rgwPort: number, monPort: number, stopOnExit: boolean }} started
 * @returns {S3TestServer}
 */
function createHandle(started) {
  const pids = readDaemonPids(started.directory);
  /** @type {Promise<void> | undefined} */
  let stopping;
  /** @type {import('node:child_process').ChildProcess | undefined} */
  let watchdog;

  // Last resort when the parent exits without stop(): 'exit' handlers must be synchronous, so
  // SIGKILL (memstore holds nothing worth a clean shutdown) and remove the directory.
  const killOnExit = () => {
    killDaemonsNow(pids);
    rmSync(started.directory, { recursive: true, force: true });
  };
  if (started.stopOnExit) {
    process.once('exit', killOnExit);
    watchdog = startWatchdog(started.directory, pids);
  }

  return {
    endpoint: started.endpoint,
    region: DEFAULT_REGION,
    accessKeyId: started.accessKeyId,
    secretAccessKey: started.secretAccessKey,
    directory: started.directory,
    rgwPort: started.rgwPort,
    monPort: started.monPort,
    pids,
    stop() {
      stopping ??= (async () => {
        process.removeListener('exit', killOnExit);
        if (watchdog?.pid !== undefined) {
          try {
            process.kill(watchdog.pid, 'SIGKILL');
          } catch {
            // Already gone: it only ever exits after the parent does.
          }
        }
        await runScript(CEPH_DOWN, [started.directory, ...pids.map(String)]);
      })();
      return stopping;
    },
  };
}

/**
 * Stops a server started in `directory` (by `startS3TestServer` or `ceph-up.sh`): kills its
 * daemons by the pid files in `directory/run` and wipes the directory.
 *
 * @param {string} directory
 * @returns {Promise<void>}
 */
export async function stopS3TestServer(directory) {
  await runScript(CEPH_DOWN, [directory]);
}

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now (the kernel picks it when we bind
 * port 0). Another process could take it before it is used; callers retry on a bind failure.
 *
 * @param {number[]} [avoid] ports to not return (ones already picked but not yet bound)
 * @returns {Promise<number>}
 */
export async function findFreePort(avoid = []) {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
        const address = server.address();
        server.close(() => {
          if (address === null || typeof address === 'string') reject(new Error('Could not read the bound port'));
          else resolve(address.port);
        });
      });
    });
    if (!avoid.includes(port)) return port;
  }
}

/**
 * The pids of the daemons ceph-up.sh started, from their pid files.
 *
 * @param {string} directory
 * @returns {number[]}
 */
function readDaemonPids(directory) {
  const runDirectory = join(directory, 'run');
  return readdirSync(runDirectory)
    .filter((name) => name.endsWith('.pid'))
    .map((name) => Number.parseInt(readFileSync(join(runDirectory, name), 'utf8').trim(), 10))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/**
 * Whether `pid` still runs a Ceph daemon: pids are reused, so a bare number is never enough to kill.
 *
 * @param {number} pid
 * @returns {boolean}
 */
function isCephDaemon(pid) {
  try {
    const name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    return DAEMON_NAMES.has(name);
  } catch {
    return false;
  }
}

/**
 * SIGKILLs those of `pids` that are still Ceph daemons. Synchronous, for 'exit' handlers.
 *
 * @param {number[]} pids
 */
function killDaemonsNow(pids) {
  for (const pid of pids) {
    if (!isCephDaemon(pid)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // It exited between the check and the kill.
    }
  }
}

/**
 * A detached shell that outlives this process by at most a second: when this process dies in a
 * way that skips 'exit' handlers (SIGKILL, an unhandled SIGTERM), it runs ceph-down.sh so that no
 * daemon is left behind. `stop()` kills it first.
 *
 * @param {string} directory
 * @param {number[]} pids
 */
function startWatchdog(directory, pids) {
  const script = 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; shift; exec bash "$@" >/dev/null 2>&1';
  const child = spawn('bash', ['-c', script, 's3-test-server-watchdog', String(process.pid), CEPH_DOWN, directory, ...pids.map(String)], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  return child;
}

/**
 * Runs a bash script, collecting its output.
 *
 * @param {string} script
 * @param {string[]} args
 * @param {{ env?: Record<string, string>, signal?: AbortSignal | undefined, onAbort?: () => Promise<unknown> }} [options]
 * @returns {Promise<string>} the combined stdout and stderr
 */
function runScript(script, args, options = {}) {
  return new Promise((resolve, reject) => {
    // Its own process group, so that an abort reaches the CLI calls it is waiting on too (the
    // daemons call setsid() and are stopped by ceph-down.sh instead).
    const child = spawn('bash', [script, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += String(chunk)));
    child.stderr.on('data', (chunk) => (output += String(chunk)));
    const onAbort = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      } catch {
        // The group is already gone.
      }
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(new S3TestServerError(`Could not run ${script}: ${error.message}. Is bash installed?`, { cause: error }));
    });
    child.once('close', (code, signalName) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (options.signal?.aborted) {
        // The script was killed half-way: stop whatever it had started before giving up.
        const reason = options.signal.reason;
        const cleanup = options.onAbort?.() ?? Promise.resolve();
        cleanup.then(
          () => reject(reason),
          () => reject(reason),
        );
        return;
      }
      if (code === 0) {
        resolve(output);
        return;
      }
      const how = code === null ? `was killed by ${signalName ?? 'a signal'}` : `exited with ${code}`;
      reject(
        new S3TestServerError(`${script} ${args.join(' ')} ${how}:\n${output.trimEnd()}`, {
          log: output,
          missingTool: code === EXIT_MISSING_TOOL,
        }),
      );
    });
  });
}

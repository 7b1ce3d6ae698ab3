import { clearCorruptedState, forceReelection, pluginElectionKeys, RecoveryError, type GlobalCoordinatorOptions, type RecoveryOptions, type RecoveryResult } from '@baton/coordinator-core';
import { parseConnectionString } from '@baton/storage';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { Registry } from 'prom-client';
import { collectDiagnosticsBundle } from '../bundle';
import { diagnose } from '../diagnose';
import { iamPolicy } from '../iam-policy';
import { openHub, type OpenedHub } from '../open-hub';
import { registerStatusMetrics } from '../prometheus-metrics';
import { redactSecrets, redactText, secretsOf } from '../redact';
import { readStatus, type StatusSnapshot } from '../status';
import { verifyStorage } from '../verify-storage';
import { formatRecovery, formatReport, formatStatus, formatVerification, formatWorkers } from './format';

/** Where the CLI writes, and what it reads: the process's, or a test's. */
export interface CliIo {
  /** Writes to standard output. */
  stdout: (text: string) => void;
  /** Writes to standard error. */
  stderr: (text: string) => void;
  /** The environment (`BATON_URL`, AWS credentials to mask). */
  env: NodeJS.ProcessEnv;
}

interface ConnectionFlags {
  url?: string;
  namespace: string;
  json?: boolean;
  leaseTimeout?: number;
  heartbeatInterval?: number;
  workerTimeout?: number;
}

/**
 * Runs the `baton` CLI on `argv` (without `node` and the script) and resolves with the exit
 * code: 0 healthy, 1 warnings, 2 errors (or a usage error). Every byte written passes through
 * secret masking: the S3 keys of `--url` / `BATON_URL` and the AWS environment never appear.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode = 0;
  const secrets = (): string[] => secretsOf(urlIn(argv) ?? io.env.BATON_URL, io.env);
  const out = (text: string): void => io.stdout(redactText(text, secrets()));
  const err = (text: string): void => io.stderr(redactText(text, secrets()));
  const json = (value: unknown): void => out(`${JSON.stringify(redactSecrets(value, secrets()), null, 2)}\n`);

  const program = new Command('baton')
    .description('Diagnose and operate baton coordinators: the troubleshooting guide, automated.')
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err })
    .showHelpAfterError();

  const connected = (command: Command): Command =>
    command
      .addOption(new Option('--url <url>', 'connection string (memory://, file://, s3://); default $BATON_URL'))
      .option('--namespace <name>', 'coordinator namespace', 'default')
      .option('--json', 'print stable JSON instead of text')
      .option('--lease-timeout <ms>', "the fleet's leaseTimeout (judges ages and latency)", wholeNumber)
      .option('--heartbeat-interval <ms>', "the fleet's heartbeatInterval", wholeNumber)
      .option('--worker-timeout <ms>', "the fleet's workerTimeout", wholeNumber);

  const withHub = async <Result>(flags: ConnectionFlags, work: (opened: OpenedHub) => Promise<Result>): Promise<Result> => {
    const url = flags.url ?? io.env.BATON_URL;
    if (url === undefined || url === '') throw new UsageError('No store given: pass --url <connection string> or set BATON_URL');
    const timings: GlobalCoordinatorOptions = {
      ...(flags.leaseTimeout === undefined ? {} : { leaseTimeout: flags.leaseTimeout }),
      ...(flags.heartbeatInterval === undefined ? {} : { heartbeatInterval: flags.heartbeatInterval }),
      ...(flags.workerTimeout === undefined ? {} : { workerTimeout: flags.workerTimeout }),
    };
    const opened = await openHub(url, { globalCoordinator: timings });
    try {
      return await work(opened);
    } finally {
      await opened.close();
    }
  };

  connected(program.command('doctor'))
    .description('run every check of the troubleshooting guide against the store; exit 0 healthy, 1 warnings, 2 errors')
    .option('--window <ms>', 'how long to watch for leader changes and renewals', wholeNumber, 10_000)
    .option('--samples <n>', 'samples over the window', wholeNumber, 5)
    .option('--no-probe', 'skip the conditional-write probe')
    .option('--bundle', 'print the diagnostics bundle for an issue report (implies --json)')
    .option('--plugin <name...>', "plugins whose own lease to examine too (those of the queues and TTL collections found are)")
    .option('--queue <name...>', 'queues to scan for unreadable objects besides those found under queues/')
    .option('--ttl <collection...>', 'TTL collections to scan besides those found under ttl/')
    .action(async (flags: ConnectionFlags & { window: number; samples: number; probe: boolean; bundle?: boolean; plugin?: string[]; queue?: string[]; ttl?: string[] }) => {
      await withHub(flags, async ({ hub, dateHeaderUrl }) => {
        const report = await diagnose(hub, {
          namespace: flags.namespace,
          windowMs: flags.window,
          samples: flags.samples,
          probe: flags.probe,
          plugins: flags.plugin ?? [],
          queues: flags.queue ?? [],
          ttlCollections: flags.ttl ?? [],
          ...(dateHeaderUrl === undefined ? {} : { dateHeaderUrl }),
        });
        if (flags.bundle === true) {
          json(await collectDiagnosticsBundle(hub, { namespace: flags.namespace, report, secrets: secrets(), ...(dateHeaderUrl === undefined ? {} : { dateHeaderUrl }) }));
        } else if (flags.json === true) json(report);
        else out(formatReport(report));
        exitCode = report.exitCode;
      });
    });

  connected(program.command('status'))
    .description('leader, epoch, lease age and remaining time, and the workers table')
    .action(async (flags: ConnectionFlags) => {
      await withHub(flags, async ({ hub, dateHeaderUrl }) => {
        const status = await readStatus(hub, { namespace: flags.namespace, ...(dateHeaderUrl === undefined ? {} : { dateHeaderUrl }) });
        if (flags.json === true) json(status);
        else out(formatStatus(status));
        exitCode = statusExitCode(status);
      });
    });

  connected(program.command('workers'))
    .description('the registered workers of the namespace')
    .action(async (flags: ConnectionFlags) => {
      await withHub(flags, async ({ hub, dateHeaderUrl }) => {
        const status = await readStatus(hub, { namespace: flags.namespace, ...(dateHeaderUrl === undefined ? {} : { dateHeaderUrl }) });
        if (flags.json === true) json({ format: 'baton.workers/v1', namespace: status.namespace, workers: status.workers, ...(status.error === undefined ? {} : { error: status.error }) });
        else out(formatWorkers(status.workers));
        exitCode = status.error !== undefined ? 2 : status.workers.some((worker) => worker.status !== 'alive') ? 1 : 0;
      });
    });

  connected(program.command('reset-leader'))
    .description('end the current term safely (CAS with an epoch bump; a corrupted record is replaced too)')
    .option('--yes', 'really reset (required)')
    .option('--operator <name>', 'who resets (recorded in the lease record)', 'operator')
    .option('--plugin <name>', "reset this plugin's own lease (plg_<plugin>/coordinator/) instead of the namespace's")
    .action(async (flags: ConnectionFlags & { yes?: boolean; operator: string; plugin?: string }) => {
      if (flags.yes !== true) {
        throw new UsageError(
          'reset-leader ends the current leader\'s term: pass --yes to confirm. (It is safe: the leader stops at its next renewal and nobody takes over before a full leaseTimeout.)',
        );
      }
      await withHub(flags, async ({ hub }) => {
        // A plugin's lease records name the plugin as their namespace, under the plugin's own keys.
        const target = flags.plugin === undefined ? { namespace: flags.namespace } : { namespace: flags.plugin, keys: pluginElectionKeys(flags.plugin) };
        const options = { ...target, operator: flags.operator, leaseTimeout: hub.config.leaseTimeout };
        const result = await resetWithRetries(hub, options);
        if (flags.json === true) json({ format: 'baton.reset/v1', ...result });
        else out(formatRecovery(result));
      });
    });

  connected(program.command('clear-corrupted'))
    .description("the guide's Corrupted State recovery, safely: replaces an unparseable lease record (CAS, epoch above every registered one) and removes unparseable registrations as read; a valid lease is left alone")
    .option('--yes', 'really clear (required)')
    .option('--operator <name>', 'who clears (recorded in a replacement lease record)', 'operator')
    .option('--plugin <name>', "clear this plugin's own lease folder (plg_<plugin>/coordinator/) instead of the namespace's")
    .action(async (flags: ConnectionFlags & { yes?: boolean; operator: string; plugin?: string }) => {
      if (flags.yes !== true) throw new UsageError('clear-corrupted replaces an unreadable lease record and removes unreadable registrations: pass --yes to confirm.');
      await withHub(flags, async ({ hub }) => {
        const target = flags.plugin === undefined ? { namespace: flags.namespace } : { namespace: flags.plugin, keys: pluginElectionKeys(flags.plugin) };
        const result = await clearCorruptedState(hub.client, { ...target, operator: flags.operator, leaseTimeout: hub.config.leaseTimeout });
        if (flags.json === true) json({ format: 'baton.reset/v1', ...result });
        else out(formatRecovery(result));
      });
    });

  connected(program.command('verify-storage'))
    .description('can this store be trusted with leases? the conditional-write probe and the conformance kit, on the live bucket')
    .option('--quick', 'only the probe')
    .option('--racers <n>', 'writers per conformance race', wholeNumber, 8)
    .option('--rounds <n>', 'rounds per race', wholeNumber, 3)
    .action(async (flags: ConnectionFlags & { quick?: boolean; racers: number; rounds: number }) => {
      await withHub(flags, async ({ hub }) => {
        const verification = await verifyStorage(hub.client.store, {
          quick: flags.quick === true,
          racers: flags.racers,
          rounds: flags.rounds,
          ...(flags.json === true ? {} : { onCase: (result) => err(`  ${result.outcome === 'pass' ? '✓' : '✗'} ${result.name}\n`) }),
        });
        if (flags.json === true) json(verification);
        else out(formatVerification(verification));
        exitCode = verification.trusted ? 0 : 2;
      });
    });

  program
    .command('iam-policy')
    .description('print the least-privilege IAM policy for the keys baton uses')
    .option('--bucket <bucket>', 'the bucket (default: from an s3:// --url or BATON_URL)')
    .option('--prefix <prefix>', 'the key prefix of the connection string')
    .option('--url <url>', 'an s3:// connection string to take bucket and prefix from')
    .option('--namespace <name...>', 'only these namespaces (default: all)')
    .option('--per-plugin <plugin...>', 'plugins that run their own election')
    .option('--queue <name...>', 'queues used through this bucket (@baton/queue)')
    .option('--ttl <collection...>', 'TTL collections used through this bucket (@baton/ttl)')
    .option('--partition <partition>', 'ARN partition', 'aws')
    .action((flags: { bucket?: string; prefix?: string; url?: string; namespace?: string[]; perPlugin?: string[]; queue?: string[]; ttl?: string[]; partition: string }) => {
      let { bucket, prefix } = flags;
      const url = flags.url ?? io.env.BATON_URL;
      if (bucket === undefined && url !== undefined && url !== '') {
        const parsed = parseConnectionString(url);
        if (parsed.kind === 's3') {
          bucket = parsed.options.bucket;
          prefix ??= parsed.options.prefix;
        }
      }
      if (bucket === undefined) throw new UsageError('iam-policy needs --bucket (or an s3:// --url)');
      json(
        iamPolicy({
          bucket,
          prefix: prefix ?? '',
          partition: flags.partition,
          ...(flags.namespace === undefined ? {} : { namespaces: flags.namespace }),
          ...(flags.perPlugin === undefined ? {} : { perPluginElections: flags.perPlugin }),
          ...(flags.queue === undefined ? {} : { queues: flags.queue }),
          ...(flags.ttl === undefined ? {} : { ttlCollections: flags.ttl }),
        }),
      );
    });

  connected(program.command('metrics'))
    .description("the namespace's lease and workers in Prometheus text format (as the store shows them)")
    .action(async (flags: ConnectionFlags) => {
      await withHub(flags, async ({ hub, dateHeaderUrl }) => {
        const status = await readStatus(hub, { namespace: flags.namespace, ...(dateHeaderUrl === undefined ? {} : { dateHeaderUrl }) });
        const registry = new Registry();
        registerStatusMetrics(status, registry);
        if (flags.json === true) json(await registry.getMetricsAsJSON());
        else out(await registry.metrics());
        exitCode = status.error === undefined ? 0 : 2;
      });
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const message = error instanceof Error ? error.message : String(error);
    err(`baton: ${message}\n`);
    return 2;
  }
}

/**
 * Resets the lease (or replaces a corrupted one). A live leader renews every heartbeat, so the
 * compare-and-swap can lose to a renewal between the read and the write: each retry reads anew,
 * which is as safe as the first attempt.
 */
async function resetWithRetries(hub: OpenedHub['hub'], options: RecoveryOptions & { namespace: string }): Promise<RecoveryResult> {
  const attempts = 5;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await forceReelection(hub.client, options);
    } catch (error) {
      if (!(error instanceof RecoveryError)) throw error;
      if (error.code === 'CORRUPTED_LEASE_RECORD') return clearCorruptedState(hub.client, options);
      if (error.code === 'NO_LEASE_RECORD') return { outcome: 'nothing-to-clear', namespace: options.namespace, key: '', previous: null, written: null, removedRegistrations: [] };
      if (attempt >= attempts) throw error;
    }
  }
}

/** 2 when the store cannot be read, 1 when there is no held lease or a worker is not alive, else 0. */
function statusExitCode(status: StatusSnapshot): number {
  if (status.error !== undefined || status.lease === 'invalid') return 2;
  if (status.lease !== 'held' || status.workers.some((worker) => worker.status !== 'alive')) return 1;
  return 0;
}

/** The `--url` value in `argv`, read before parsing so that even parse errors are masked. */
function urlIn(argv: readonly string[]): string | undefined {
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] ?? '';
    if (argument === '--url') return argv[index + 1];
    if (argument.startsWith('--url=')) return argument.slice('--url='.length);
  }
  return undefined;
}

function wholeNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number');
  return parsed;
}

/** A command used wrongly; the message says how to use it. */
class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

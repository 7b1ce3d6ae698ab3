import { namespaceKeys, type GlobalCoordinator, type Hub } from '@baton/coordinator-core';
import { systemEnvironment, type CoordinatorEnvironment } from '@baton/plugin';
import { CHECKS } from './checks';
import type { Thresholds } from './evidence';
import { gatherEvidence } from './gather-evidence';
import { exitCodeFor, sortFindings, worstSeverity, type CheckResult, type DiagnosticReport, type Finding } from './report';
import { processResourceSampler, type ResourceSampler } from './resource-sampler';

/** Options for {@link diagnose}. */
export interface DiagnoseOptions {
  /** The namespace. Default `default`. */
  namespace?: string;
  /**
   * How long the history-based checks (leader changes, heartbeats, memory and listener trends,
   * lease renewals) watch, in milliseconds. Default 10000.
   */
  windowMs?: number;
  /** Samples taken over the window (at both ends and evenly between). Default 5. */
  samples?: number;
  /**
   * The coordinator to examine. Default: the namespace's coordinator this hub has started, if any
   * (diagnose never starts one: it must not join the election it examines).
   */
  coordinator?: GlobalCoordinator;
  /** Run the conditional-write probe (writes and deletes a few scratch objects). Default true. */
  probe?: boolean;
  /** An HTTP(S) URL of the store whose `Date` header gives its clock (the CLI passes the S3 endpoint). */
  dateHeaderUrl?: string;
  /** Limits the checks judge by. */
  thresholds?: Partial<Thresholds>;
  /** Clocks and timers (tests inject them). Default: the real ones. */
  environment?: Partial<CoordinatorEnvironment>;
  /** Samples listeners, timers and memory (tests inject a scripted trend). */
  resourceSampler?: ResourceSampler;
  /**
   * At most this many keys are listed (and their records read) under `plg_coordinator_global/` for
   * the collision check, and per folder by the epoch and unreadable-object checks. Default 2000.
   */
  maxListedKeys?: number;
  /**
   * Plugins whose own lease (`plg_<plugin>/coordinator/`) to examine, besides the hub's plugins in
   * process and the default plugin names of the queues and TTL collections found.
   */
  plugins?: readonly string[];
  /** Queues to scan for unreadable objects, besides those found under `queues/`. */
  queues?: readonly string[];
  /** TTL collections to scan for unreadable objects, besides those found under `ttl/`. */
  ttlCollections?: readonly string[];
  /** Aborts the diagnosis. */
  signal?: AbortSignal;
}

/** The defaults of {@link Thresholds}. */
export const DEFAULT_THRESHOLDS: Thresholds = {
  rapidLeaderChanges: 3,
  heapGrowthBytes: 32 * 1024 * 1024,
  maxListenersPerEvent: 10,
  clockSkewMs: 2000,
};

/**
 * Runs every check of the troubleshooting guide against a hub's store and, when the hub runs a
 * coordinator of the namespace in this process, against that coordinator too. Never starts a
 * coordinator and never changes coordinator state; it writes and deletes only scratch objects.
 *
 * ```ts
 * const report = await diagnose(hub, { namespace: 'default', windowMs: 15_000 });
 * for (const finding of report.findings) console.log(finding.severity, finding.summary, finding.fix);
 * ```
 */
export async function diagnose(hub: Hub, options: DiagnoseOptions = {}): Promise<DiagnosticReport> {
  const namespace = options.namespace ?? 'default';
  const keys = namespaceKeys(namespace);
  const environment = { ...systemEnvironment, ...options.environment };
  const started = await hub.startedCoordinators();
  const coordinator = options.coordinator ?? started.find((entry) => entry.scope === 'global' && entry.name === namespace)?.coordinator;
  const inProcess = coordinator !== undefined || started.length > 0 || hub.plugins.size > 0 || hub.coordination.size > 0;
  const window = { durationMs: Math.max(0, options.windowMs ?? 10_000), samples: Math.max(1, Math.floor(options.samples ?? 5)) };

  const evidence = await gatherEvidence({
    hub,
    namespace,
    keys,
    coordinator,
    inProcess,
    window,
    thresholds: { ...DEFAULT_THRESHOLDS, ...options.thresholds },
    environment,
    resourceSampler: options.resourceSampler ?? processResourceSampler,
    probe: options.probe ?? true,
    ...(options.dateHeaderUrl === undefined ? {} : { dateHeaderUrl: options.dateHeaderUrl }),
    maxListedKeys: options.maxListedKeys ?? 2000,
    named: { plugins: options.plugins ?? [], queues: options.queues ?? [], ttlCollections: options.ttlCollections ?? [] },
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });

  const findings: Finding[] = [];
  const checks: CheckResult[] = [];
  for (const check of CHECKS) {
    const outcome = check.run(evidence);
    const base = { id: check.id, title: check.title, guideSection: check.guideSection };
    if (!Array.isArray(outcome)) {
      checks.push({ ...base, status: 'skipped', skippedReason: outcome.skipped });
      continue;
    }
    findings.push(...outcome);
    checks.push({ ...base, status: worstSeverity(outcome) ?? 'pass' });
  }
  const exitCode = exitCodeFor(findings);
  return {
    format: 'baton.diagnostics/v1',
    namespace,
    store: hub.client.description,
    scope: inProcess ? 'in-process' : 'store-only',
    generatedAt: new Date(environment.clock.wallNow()).toISOString(),
    window,
    status: exitCode === 2 ? 'error' : exitCode === 1 ? 'warning' : 'healthy',
    exitCode,
    checks,
    findings: sortFindings(findings),
  };
}

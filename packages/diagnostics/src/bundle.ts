import type { Hub } from '@baton/coordinator-core';
import { redactSecrets } from './redact';
import type { DiagnosticReport } from './report';
import { readStatus, type StatusSnapshot } from './status';

/** The guide's "Collect diagnostics" output, with every credential and secret masked. */
export interface DiagnosticsBundle {
  format: 'baton.bundle/v1';
  generatedAt: string;
  namespace: string;
  store: string;
  bucket: string;
  keyPrefix: string;
  /** The coordinator in this process, when one runs: the guide's `coordinator` block. */
  coordinator: {
    running: boolean;
    workerId: string;
    leader: string | null;
    workers: unknown[];
    metrics: unknown;
  } | null;
  /** The namespace as the store shows it (lease and registrations). */
  status: StatusSnapshot;
  /** Plugins installed on the hub, with the coordination mode in effect. */
  plugins: { name: string; coordinationMode: string; mode: string | null; fallbackReason: string | null }[];
  /** Subscribed plugins of the namespace's coordinator (the guide's `subscribedPlugins` keys). */
  subscribedPlugins: string[];
  /** The coordinator configuration in force. */
  config: Hub['config'];
  /** A diagnosis to include, if one was run. */
  report: DiagnosticReport | null;
}

/** Options for {@link collectDiagnosticsBundle}. */
export interface BundleOptions {
  /** The namespace. Default `default`. */
  namespace?: string;
  /** Include this report. */
  report?: DiagnosticReport;
  /** Extra strings to mask wherever they appear (secret keys, tokens). */
  secrets?: readonly string[];
  /** An HTTP(S) URL of the store whose `Date` header gives its clock. */
  dateHeaderUrl?: string;
  /** Aborts the reads. */
  signal?: AbortSignal;
}

/**
 * Collects what the guide's "Getting Help" asks for (running, leader, workers, metrics, plugins,
 * config) into one JSON-safe object, with credentials and secrets masked, ready to attach to an
 * issue.
 */
export async function collectDiagnosticsBundle(hub: Hub, options: BundleOptions = {}): Promise<DiagnosticsBundle> {
  const namespace = options.namespace ?? 'default';
  const started = await hub.startedCoordinators();
  const coordinator = started.find((entry) => entry.scope === 'global' && entry.name === namespace)?.coordinator;
  const status = await readStatus(hub, { namespace, ...(options.dateHeaderUrl === undefined ? {} : { dateHeaderUrl: options.dateHeaderUrl }), ...(options.signal === undefined ? {} : { signal: options.signal }) });
  const bundle: DiagnosticsBundle = {
    format: 'baton.bundle/v1',
    generatedAt: new Date().toISOString(),
    namespace,
    store: hub.client.description,
    bucket: hub.bucket,
    keyPrefix: hub.keyPrefix,
    coordinator:
      coordinator === undefined
        ? null
        : {
            running: coordinator.isRunning,
            workerId: coordinator.workerId,
            leader: await coordinator.getLeader(),
            workers: await coordinator.getActiveWorkers().catch((error: unknown) => [{ error: String(error) }]),
            metrics: coordinator.getMetrics(),
          },
    status,
    plugins: [...hub.plugins.values()].map((plugin) => {
      const coordination = hub.coordination.get(plugin.name);
      return { name: plugin.name, coordinationMode: plugin.coordinationMode ?? 'global', mode: coordination?.mode ?? null, fallbackReason: coordination?.fallbackReason ?? null };
    }),
    subscribedPlugins: [...(coordinator?.subscribedPlugins.keys() ?? [])],
    config: hub.config,
    report: options.report ?? null,
  };
  return redactSecrets(JSON.parse(JSON.stringify(bundle)) as DiagnosticsBundle, options.secrets ?? []);
}

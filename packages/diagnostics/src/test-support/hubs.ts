import { connect, type GlobalCoordinatorOptions, type Hub } from '@baton/coordinator-core';
import type { ObjectStore } from '@baton/storage';
import { diagnose, type DiagnoseOptions } from '../diagnose';
import type { DiagnosticReport, Finding } from '../report';

/** Short timings so that leases expire within a test. */
export const FAST: GlobalCoordinatorOptions = { heartbeatInterval: 40, leaseTimeout: 300, workerTimeout: 400, pluginStopTimeout: 100 };

/**
 * Timings for tests that assert a run is clean: enough renewal slack (567 ms) that a starved
 * event loop on a shared machine does not read as slow storage.
 */
export const RELAXED: GlobalCoordinatorOptions = { heartbeatInterval: 100, leaseTimeout: 1000, workerTimeout: 1500, pluginStopTimeout: 100 };

/** Hubs opened by a test file, disconnected by {@link disconnectAll}. */
const opened: Hub[] = [];

/** Opens a hub on `store` with {@link FAST} timings (plus `options`). */
export async function hubOn(store: ObjectStore, options: GlobalCoordinatorOptions = {}): Promise<Hub> {
  const hub = await connect(store, { globalCoordinator: { ...FAST, ...options } });
  opened.push(hub);
  return hub;
}

/** Disconnects every hub {@link hubOn} opened (call in afterEach). */
export async function disconnectAll(): Promise<void> {
  await Promise.all(opened.splice(0).map((hub) => hub.disconnect()));
}

/** A short diagnosis: three samples over 200 ms, no clock-skew noise from the sub-second stores. */
export function quickDiagnose(hub: Hub, options: DiagnoseOptions = {}): Promise<DiagnosticReport> {
  return diagnose(hub, { windowMs: 200, samples: 3, ...options });
}

/** The ids of the findings that are warnings or errors. */
export function problems(report: DiagnosticReport): string[] {
  return report.findings.filter((finding) => finding.severity !== 'info').map((finding) => finding.id);
}

/** The finding with this id, or a failure naming what was found instead. */
export function findingOf(report: DiagnosticReport, id: string): Finding {
  const found = report.findings.find((finding) => finding.id === id);
  if (found === undefined) throw new Error(`no finding ${id}; found ${JSON.stringify(report.findings.map((finding) => finding.id))}`);
  return found;
}

/** Why the check `id` skipped, or a failure naming its status instead. */
export function skippedReason(report: DiagnosticReport, id: string): string {
  const result = report.checks.find((check) => check.id === id);
  if (result?.status !== 'skipped') throw new Error(`check ${id} did not skip: ${JSON.stringify(result)}`);
  return result.skippedReason ?? '';
}

import type { RecoveryResult } from '@baton/coordinator-core';
import { probeOutcome } from '@baton/storage';
import type { DiagnosticReport } from '../report';
import type { StatusSnapshot, WorkerStatus } from '../status';
import type { StorageVerification } from '../verify-storage';

const MARK = { pass: '✓', info: 'i', warning: '!', error: '✗', skipped: '-' } as const;

/** `baton doctor` for a terminal. */
export function formatReport(report: DiagnosticReport): string {
  const lines = [
    `baton doctor: namespace ${report.namespace} on ${report.store} (${report.scope}, ${report.window.samples} samples over ${seconds(report.window.durationMs)})`,
    '',
  ];
  for (const check of report.checks) {
    const note = check.status === 'skipped' ? ` (skipped: ${check.skippedReason ?? ''})` : '';
    lines.push(`  ${MARK[check.status]} ${check.title}${note}`);
  }
  if (report.findings.length > 0) lines.push('', 'Findings:');
  for (const finding of report.findings) {
    lines.push('', `  ${MARK[finding.severity]} [${finding.severity}] ${finding.id}`, `    ${finding.summary}`, `    Fix: ${finding.fix}`);
    // The keys a finding names are what an operator acts on: printed whole, never cut with the evidence.
    const keys = finding.evidence.keys;
    if (Array.isArray(keys) && keys.length > 0) lines.push(`    Keys: ${keys.map(String).join(', ')}`);
    const evidence = JSON.stringify(finding.evidence);
    if (evidence !== '{}') lines.push(`    Evidence: ${evidence.length > 400 ? `${evidence.slice(0, 400)}…` : evidence}`);
  }
  lines.push('', `Status: ${report.status} (exit ${report.exitCode})`);
  return `${lines.join('\n')}\n`;
}

/** `baton status` for a terminal. */
export function formatStatus(status: StatusSnapshot): string {
  const lease =
    status.lease === 'held'
      ? `held by ${status.leader ?? ''} (epoch ${status.epoch ?? 0})`
      : status.lease === 'reset'
        ? `reset by an operator (${status.leader ?? ''}, epoch ${status.epoch ?? 0}); a worker takes over after leaseTimeout`
        : status.lease === 'released'
          ? `released (epoch ${status.epoch ?? 0}); the next heartbeat elects a leader`
          : status.lease;
  const lines = [
    `Namespace        ${status.namespace}`,
    `Store            ${status.store}`,
    `Lease            ${lease}`,
  ];
  if (status.leaseAgeMs !== null) {
    const remaining = status.leaseRemainingMs === null ? '' : `, remaining ~${seconds(status.leaseRemainingMs)}`;
    lines.push(`Lease renewed    ${seconds(status.leaseAgeMs)} ago${remaining} (leaseTimeout ${seconds(status.leaseTimeout ?? 0)}; ${status.clock === 'date-header' ? "store's clock" : "this host's clock"})`);
  }
  const alive = status.workers.filter((worker) => worker.status === 'alive').length;
  lines.push(`Workers          ${alive} alive, ${status.workers.length - alive} expired or unreadable`);
  if (status.error !== undefined) lines.push(`Error            ${status.error.message}`);
  return `${lines.join('\n')}\n\n${formatWorkers(status.workers)}`;
}

/** `baton workers` for a terminal. */
export function formatWorkers(workers: readonly WorkerStatus[]): string {
  if (workers.length === 0) return 'No registered workers.\n';
  const rows = [
    ['WORKER', 'HOST', 'PID', 'EPOCH', 'AGE', 'STATUS', 'LEADER'],
    ...workers.map((worker) => [
      worker.workerId,
      worker.hostname ?? '?',
      worker.pid === null ? '?' : String(worker.pid),
      worker.epoch === null ? '?' : String(worker.epoch),
      worker.ageMs === null ? '?' : seconds(worker.ageMs),
      worker.status,
      worker.leader ? 'yes' : '',
    ]),
  ];
  const widths = rows[0]?.map((_cell, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return `${rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n')}\n`;
}

/** `baton reset-leader` for a terminal. */
export function formatRecovery(result: RecoveryResult): string {
  switch (result.outcome) {
    case 'reset':
      return [
        `Reset namespace ${result.namespace}: ${result.previous === null ? 'the corrupted lease record' : `the term of ${result.previous.leader ?? 'nobody'} (epoch ${result.previous.epoch})`} ended.`,
        `The lease is now held by ${result.written?.holder ?? ''} at epoch ${result.written?.epoch ?? 0}: the old leader stops at its next renewal,`,
        `and a worker takes over after watching it for ${seconds(result.written?.leaseTimeout ?? 0)} (with epoch ${(result.written?.epoch ?? 0) + 1}).`,
        ...(result.removedRegistrations.length > 0 ? [`Removed unreadable registrations: ${result.removedRegistrations.join(', ')}`] : []),
        '',
      ].join('\n');
    case 'already-released':
      return `Nothing to reset: the lease of namespace ${result.namespace} is released (epoch ${result.previous?.epoch ?? 0}); the next heartbeat elects a leader.\n`;
    case 'already-reset':
      return `Nothing to reset: the lease of namespace ${result.namespace} is already reset (${result.previous?.leader ?? ''}); a worker takes over after leaseTimeout.\n`;
    case 'nothing-to-clear':
      return [
        result.previous === null
          ? `Nothing to reset in namespace ${result.namespace}: there is no lease record.`
          : `The lease record of namespace ${result.namespace} is valid (${result.previous.leader ?? 'released'}, epoch ${result.previous.epoch}): left alone.`,
        ...(result.removedRegistrations.length > 0 ? [`Removed unreadable registrations: ${result.removedRegistrations.join(', ')}`] : []),
        '',
      ].join('\n');
  }
}

/** `baton verify-storage` for a terminal. */
export function formatVerification(verification: StorageVerification): string {
  const lines = [`baton verify-storage: ${verification.store}`, '', 'Conditional-write probe:'];
  const probeMark = { pass: MARK.pass, skip: MARK.skipped, inconclusive: MARK.warning, fail: MARK.error } as const;
  for (const check of verification.probe.checks) lines.push(`  ${probeMark[check.outcome]} ${check.description}: ${check.detail}`);
  if (verification.conformance.length > 0) lines.push('', 'Conformance:');
  for (const result of verification.conformance) {
    lines.push(`  ${result.outcome === 'pass' ? MARK.pass : MARK.error} ${result.name} (${result.durationMs} ms)${result.error === undefined ? '' : `: ${result.error.message.split('\n')[0] ?? ''}`}`);
  }
  lines.push(
    '',
    verification.trusted
      ? 'TRUSTED: this store enforces what baton leases rely on.'
      : probeOutcome(verification.probe) === 'inconclusive' && verification.conformance.every((result) => result.outcome === 'pass')
        ? 'INCONCLUSIVE: the store kept failing with transient errors, so the probe could not finish: check connectivity to it and run verify-storage again.'
        : 'NOT TRUSTED: do not run baton coordinators on this store (two leaders are possible).',
  );
  if (verification.leftBehind !== 0) lines.push(`Warning: ${verification.leftBehind < 0 ? 'could not check' : verification.leftBehind} scratch object(s) left under ${verification.scratchPrefix}`);
  return `${lines.join('\n')}\n`;
}

function seconds(milliseconds: number): string {
  return milliseconds < 1000 ? `${Math.round(milliseconds)} ms` : `${(milliseconds / 1000).toFixed(1)} s`;
}

/** How serious a finding is. `error` makes `baton doctor` exit 2, `warning` 1, `info` 0. */
export type Severity = 'info' | 'warning' | 'error';

/** The checks, one per section of the troubleshooting guide, four storage checks and three of the stored objects and recovery. */
export type CheckId =
  | 'service-start'
  | 'multiple-leaders'
  | 'rapid-leader-changes'
  | 'worker-registration'
  | 'plugin-subscriptions'
  | 'coordination-fallback'
  | 'resource-growth'
  | 'leadership-transfer'
  | 'metrics-progress'
  | 'key-collisions'
  | 'clock-skew'
  | 'storage-latency'
  | 'conditional-writes'
  | 'write-read-consistency'
  | 'epoch-domain'
  | 'unreadable-objects'
  | 'hand-edits';

/** One problem a check found. */
export interface Finding {
  /** Stable identifier, `<check>.<problem>` (e.g. `worker-registration.expired`). */
  id: string;
  /** The check that found it. */
  check: CheckId;
  /** How serious it is. */
  severity: Severity;
  /** What is wrong, in one sentence. */
  summary: string;
  /** What was observed (ids, epochs, ages, error messages), as plain JSON. */
  evidence: Record<string, unknown>;
  /** What to do about it. */
  fix: string;
}

/** How one check went. */
export interface CheckResult {
  /** The check. */
  id: CheckId;
  /** Its title. */
  title: string;
  /** The guide section it automates (e.g. `2. Multiple Leaders`). */
  guideSection: string;
  /** `pass`: nothing found; otherwise the worst finding's severity, or `skipped` (see `skippedReason`). */
  status: 'pass' | Severity | 'skipped';
  /** Why the check could not run here (e.g. it needs a coordinator running in this process). */
  skippedReason?: string;
}

/** What {@link diagnose} returns; `baton doctor --json` prints exactly this. */
export interface DiagnosticReport {
  /** Always `baton.diagnostics/v1`; bumped on any incompatible change of this shape. */
  format: 'baton.diagnostics/v1';
  /** The namespace diagnosed. */
  namespace: string;
  /** The store's description (never with credentials). */
  store: string;
  /** `in-process`: a coordinator of the namespace runs in this process and was examined too. `store-only`: only the store was. */
  scope: 'in-process' | 'store-only';
  /** Wall-clock time of the report on this host (ISO 8601). */
  generatedAt: string;
  /** The sampling window the history-based checks used. */
  window: { durationMs: number; samples: number };
  /** `healthy` (no warning or error), `warning` or `error`. */
  status: 'healthy' | 'warning' | 'error';
  /** 0 healthy, 1 warnings, 2 errors: what `baton doctor` exits with. */
  exitCode: 0 | 1 | 2;
  /** Every check, in guide order. */
  checks: CheckResult[];
  /** Every finding, errors first. */
  findings: Finding[];
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** The worst severity among `findings`, or `undefined` when there are none. */
export function worstSeverity(findings: readonly Finding[]): Severity | undefined {
  let worst: Severity | undefined;
  for (const finding of findings) {
    if (worst === undefined || SEVERITY_RANK[finding.severity] > SEVERITY_RANK[worst]) worst = finding.severity;
  }
  return worst;
}

/** The exit code for a set of findings: 2 with an error, 1 with a warning, else 0. */
export function exitCodeFor(findings: readonly Finding[]): 0 | 1 | 2 {
  const worst = worstSeverity(findings);
  return worst === 'error' ? 2 : worst === 'warning' ? 1 : 0;
}

/** Sorts findings errors first, then warnings, then information; stable within a severity. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((left, right) => SEVERITY_RANK[right.severity] - SEVERITY_RANK[left.severity]);
}

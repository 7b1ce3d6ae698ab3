import type { Evidence } from '../evidence';
import type { CheckId, Finding, Severity } from '../report';

/** One automated section of the troubleshooting guide: judges the gathered evidence. */
export interface Check {
  /** Stable id. */
  id: CheckId;
  /** Short title. */
  title: string;
  /** The guide section it automates. */
  guideSection: string;
  /** The findings (none when healthy), or why the check cannot judge this evidence. */
  run(evidence: Evidence): Finding[] | { skipped: string };
}

/** Builds a finding of `check`; `problem` becomes the id's second part. */
export function finding(
  check: CheckId,
  problem: string,
  severity: Severity,
  summary: string,
  evidence: Record<string, unknown>,
  fix: string,
): Finding {
  return { id: `${check}.${problem}`, check, severity, summary, evidence, fix };
}

/** Why in-process checks skip when no coordinator of the namespace runs here. */
export const NEEDS_IN_PROCESS = 'judges a coordinator in this process: run diagnose(hub) inside the worker';

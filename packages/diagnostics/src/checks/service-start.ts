import type { DescribedError, Evidence, StorageCall } from '../evidence';
import type { Finding } from '../report';
import { finding, type Check } from './check';

const ACTION: Record<StorageCall['operation'], string> = {
  get: 's3:GetObject',
  put: 's3:PutObject',
  delete: 's3:DeleteObject',
  list: 's3:ListBucket',
};

/**
 * Guide section 1: can this namespace's keys be read, written, listed and deleted at all, is the
 * bucket right, and (in process) is the coordinator running?
 */
export const serviceStartCheck: Check = {
  id: 'service-start',
  title: 'Service starting: connectivity, permissions, bucket and prefix',
  guideSection: '1. Service Not Starting',
  run(evidence) {
    const findings: Finding[] = [];
    const failed = evidence.scratch.calls.filter((call): call is StorageCall & { error: DescribedError } => call.error !== undefined);
    const denied = failed.filter((call) => call.error.code === 'ACCESS_DENIED');
    const missing = failed.filter((call) => call.error.code === 'NOT_FOUND');
    const unreachable = failed.filter((call) => call.error.code !== 'ACCESS_DENIED' && call.error.code !== 'NOT_FOUND');
    const folder = evidence.keys.state.slice(0, evidence.keys.state.lastIndexOf('/') + 1);
    if (denied.length > 0) {
      const actions = [...new Set(denied.map((call) => ACTION[call.operation]))];
      findings.push(
        finding(
          'service-start',
          'permission-denied',
          'error',
          `The store refuses ${actions.join(', ')} under ${folder}: the coordinator cannot register or elect`,
          { store: evidence.store, deniedActions: actions, requests: denied.map(({ operation, key, error }) => ({ operation, key, error: error.message })) },
          `Allow ${actions.join(', ')} on the keys baton uses (print a least-privilege policy with \`baton iam-policy --bucket BUCKET --prefix PREFIX\`)`,
        ),
      );
    }
    if (missing.length > 0) {
      findings.push(
        finding(
          'service-start',
          'bucket-not-found',
          'error',
          'The bucket or directory does not exist: wrong bucket in the connection string?',
          { store: evidence.store, error: missing[0]?.error.message },
          'Check the bucket name (and region/endpoint) in the connection string, or create the bucket',
        ),
      );
    }
    if (unreachable.length > 0) {
      findings.push(
        finding(
          'service-start',
          'store-unreachable',
          'error',
          `Requests to the store failed: ${unreachable[0]?.error.message ?? 'unknown error'}`,
          { store: evidence.store, failures: unreachable.map(({ operation, key, error }) => ({ operation, key, code: error.code, error: error.message })) },
          'Check the endpoint, network and credentials (try `aws s3 ls s3://BUCKET/PREFIX/plg_coordinator_global/`), then run `baton doctor` again',
        ),
      );
    }
    if (failed.length === 0) findings.push(...emptyNamespace(evidence));
    const inProcess = evidence.inProcess;
    if (inProcess !== undefined) {
      if (!inProcess.hubConnected) {
        findings.push(
          finding('service-start', 'hub-disconnected', 'error', 'The hub was disconnected: no coordinator runs', {}, 'Call connect() again before starting plugins'),
        );
      } else if (inProcess.coordinator !== undefined && !inProcess.coordinator.isRunning) {
        findings.push(
          finding(
            'service-start',
            'not-running',
            'error',
            `The coordinator of namespace ${evidence.namespace} is not running (isRunning: false)`,
            { workerId: inProcess.coordinator.workerId },
            'Call `await coordinator.start()` (hub.getGlobalCoordinator() starts it); if start() throws, its error names the cause',
          ),
        );
      }
    }
    return findings;
  },
};

/** Nothing at all in the namespace: usually the wrong bucket, prefix or namespace. */
function emptyNamespace(evidence: Evidence): Finding[] {
  const lease = evidence.samples.at(-1);
  const registrations = Array.isArray(evidence.registrations) ? evidence.registrations : undefined;
  if (lease?.state !== 'missing' || registrations === undefined || registrations.length > 0) return [];
  if (evidence.inProcess?.coordinator?.isRunning === true) return [];
  const others = 'folders' in evidence.folders ? evidence.folders.folders.map((folder) => folder.name).filter((name) => name !== evidence.namespace) : [];
  return [
    finding(
      'service-start',
      'namespace-empty',
      'warning',
      `No lease record and no worker registrations in namespace ${evidence.namespace}: no worker has run here, or this is the wrong bucket, prefix or namespace`,
      { store: evidence.store, stateKey: evidence.keys.state, otherNamespaces: others },
      others.length > 0
        ? `Workers use other namespaces here (${others.join(', ')}): pass --namespace, or make plugins use the same namespace`
        : 'Check the bucket and prefix in the connection string, and that workers call hub.getGlobalCoordinator() (or install a plugin)',
    ),
  ];
}

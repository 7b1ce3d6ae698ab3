import { AccessDeniedError, MemoryStore, NotFoundError, StorageUnavailableError } from '@baton/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { disconnectAll, findingOf, hubOn, problems, quickDiagnose } from '../test-support/hubs';
import { ScriptedStore } from '../test-support/scripted-store';

afterEach(disconnectAll);

describe('service-start (guide section 1)', () => {
  it('names the IAM action the store refuses under the prefix', async () => {
    const store = new ScriptedStore({
      before: (operation, key) => {
        if (operation === 'put' && key.startsWith('plg_coordinator_global/')) {
          throw new AccessDeniedError('Access Denied: allow s3:PutObject', { operation: 'put', key });
        }
      },
    });
    const report = await quickDiagnose(await hubOn(store));
    const finding = findingOf(report, 'service-start.permission-denied');
    expect(finding.severity).toBe('error');
    expect(finding.evidence.deniedActions).toEqual(['s3:PutObject']);
    expect(finding.fix).toContain('baton iam-policy');
    expect(report.exitCode).toBe(2);
  });

  it('tells a missing bucket from an unreachable store', async () => {
    const missing = new ScriptedStore({
      before: (operation, key) => {
        throw new NotFoundError('The specified bucket does not exist', { operation, key });
      },
    });
    expect(problems(await quickDiagnose(await hubOn(missing)))).toContain('service-start.bucket-not-found');
    const unreachable = new ScriptedStore({
      before: (operation, key) => {
        throw new StorageUnavailableError('connect ECONNREFUSED 127.0.0.1:1', { operation, key });
      },
    });
    const report = await quickDiagnose(await hubOn(unreachable));
    expect(problems(report)).toContain('service-start.store-unreachable');
    expect(problems(report)).not.toContain('service-start.bucket-not-found');
  });

  it('warns of an empty namespace and names the namespaces that are in use', async () => {
    const store = new MemoryStore();
    await (await hubOn(store)).getGlobalCoordinator('jobs');
    const report = await quickDiagnose(await hubOn(store), { namespace: 'default' });
    const finding = findingOf(report, 'service-start.namespace-empty');
    expect(finding.severity).toBe('warning');
    expect(finding.evidence.otherNamespaces).toEqual(['jobs']);
    expect(report.exitCode).toBe(1);
  });

  it('reports a coordinator that is not running', async () => {
    const hub = await hubOn(new MemoryStore());
    const coordinator = await hub.getGlobalCoordinator();
    await coordinator.stop();
    const report = await quickDiagnose(hub);
    expect(problems(report)).toContain('service-start.not-running');
  });

  it('reports a hub that was disconnected under the coordinator it is asked about', async () => {
    const hub = await hubOn(new MemoryStore());
    const coordinator = await hub.getGlobalCoordinator();
    await hub.disconnect();
    const report = await quickDiagnose(hub, { coordinator });
    const finding = findingOf(report, 'service-start.hub-disconnected');
    expect(finding.severity).toBe('error');
    expect(finding.fix).toContain('connect()');
    // The disconnected hub is the cause: not-running would only repeat it.
    expect(problems(report)).not.toContain('service-start.not-running');
  });
});

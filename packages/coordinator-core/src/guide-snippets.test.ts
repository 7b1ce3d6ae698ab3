// The troubleshooting guide's snippets, run against this API with only the set-up changed:
// `database` is the hub from connect(). If one of these stops compiling or passing, the public
// contract broke.
import { MemoryStore } from '@baton/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type Hub } from './hub';

let database: Hub;
const output: unknown[][] = [];
const console = { log: (...values: unknown[]) => output.push(values), warn: (...values: unknown[]) => output.push(values), error: (...values: unknown[]) => output.push(values) };

beforeEach(async () => {
  output.length = 0;
  database = await connect(new MemoryStore(), { globalCoordinator: { heartbeatInterval: 50, leaseTimeout: 300, workerTimeout: 400 } });
});
afterEach(async () => {
  await database.disconnect();
});

function logged(label: string): unknown {
  return output.find((values) => values[0] === label)?.[1];
}

describe("the troubleshooting guide's snippets", () => {
  it('Quick Diagnosis', async () => {
    // Check if global coordinator is running
    const coordinator = await database.getGlobalCoordinator('default');
    console.log('Running:', coordinator.isRunning);
    console.log('Leader:', await coordinator.getLeader());

    // Get metrics
    const metrics = coordinator.getMetrics();
    console.log('Metrics:', metrics);

    // Check active workers
    const workers = await coordinator.getActiveWorkers();
    console.log('Workers:', workers);

    // Check subscribed plugins
    console.log('Subscribed plugins:', Array.from(coordinator.subscribedPlugins.keys()));

    expect(logged('Running:')).toBe(true);
    expect(logged('Leader:')).toMatch(/^gcs-default-\d+-[a-z0-9]+$/);
    expect(logged('Metrics:')).toMatchObject({ heartbeatCount: 1, electionCount: 1, leaderChanges: 0 });
    expect((logged('Workers:') as { workerId: string; lastHeartbeat: number }[])[0]?.workerId).toBe(coordinator.workerId);
    expect(logged('Subscribed plugins:')).toEqual([]);
  });

  it('1. Service Not Starting: diagnostic code', async () => {
    try {
      const coordinator = await database.getGlobalCoordinator('default');
      await coordinator.start();
      console.log('✅ Coordinator started');
    } catch (err) {
      console.error('❌ Failed to start:', (err as Error).message);
    }
    expect(output).toEqual([['✅ Coordinator started']]);
  });

  it('2. Multiple Leaders: Solution C, the consistency check', async () => {
    const testKey = 'plg_coordinator_global/test-consistency.json';
    await database.client.putObject({ key: testKey, body: 'test' });
    const result = await database.client.getObject(testKey);
    console.log('Consistency OK:', result.body === 'test');
    expect(logged('Consistency OK:')).toBe(true);
  });

  it('3. Rapid Leader Changes: monitoring code', async () => {
    const coordinator = await database.getGlobalCoordinator('default');

    // Monitor leader changes
    let lastLeader: string | null = null;
    const leaderChangeCount = { value: 0 };

    coordinator.on('leader:changed', (event) => {
      if (lastLeader === event.newLeader) {
        leaderChangeCount.value++;
        if (leaderChangeCount.value > 3) {
          console.warn('⚠️ Rapid leader changes detected!');
        }
      }
      lastLeader = event.newLeader;
    });

    // Monitor S3 latency
    const startTime = Date.now();
    await coordinator._heartbeatCycle();
    const duration = Date.now() - startTime;
    console.log(`Heartbeat cycle took ${duration}ms`);
    if (duration > 5000) {
      console.warn('⚠️ Slow heartbeat - increase leaseTimeout');
    }
    expect(output).toHaveLength(1);
    expect(String(output[0]?.[0])).toMatch(/^Heartbeat cycle took \d+ms$/);
  });

  it('4. Worker Not Registering: diagnostic code', async () => {
    const coordinator = await database.getGlobalCoordinator('default');

    // Check storage directly
    const workerKey = coordinator._getWorkerKey(coordinator.workerId);
    console.log('Worker key:', workerKey);

    try {
      const worker = await database.client.getObject(workerKey);
      console.log('✅ Worker registered:', worker);
    } catch (err) {
      console.error('❌ Worker not found:', (err as Error).message);
    }

    // Check timeout calculation
    const metrics = coordinator.getMetrics();
    const age = Date.now() - metrics.lastHeartbeatTime;
    console.log(`Last heartbeat ${age}ms ago (timeout: ${coordinator.config.workerTimeout}ms)`);

    expect(logged('Worker key:')).toBe(`plg_coordinator_global/default/workers/${coordinator.workerId}.json`);
    expect(logged('✅ Worker registered:')).toMatchObject({ key: workerKey });
    expect(String(output.at(-1)?.[0])).toMatch(/^Last heartbeat \d+ms ago \(timeout: 400ms\)$/);
  });

  it('5. Plugins Not Subscribed: diagnostic code', async () => {
    class QueuePlugin {
      readonly name = 'queue';
      onGlobalLeaderChange(): void {
        // leadership-dependent work starts and stops here
      }
    }
    await database.usePlugin(new QueuePlugin());
    const coordinator = await database.getGlobalCoordinator('default');

    console.log('Subscribed plugins:', {
      count: coordinator.subscribedPlugins.size,
      names: Array.from(coordinator.subscribedPlugins.keys()),
      plugins: Array.from(coordinator.subscribedPlugins.entries()).map(([name, plugin]) => ({
        name,
        type: plugin.constructor.name,
      })),
    });

    // Check if plugin has callback
    const queue = coordinator.subscribedPlugins.get('queue');
    if (queue) {
      console.log('Queue plugin methods:', {
        hasOnGlobalLeaderChange: typeof queue.onGlobalLeaderChange === 'function',
      });
    }
    expect(logged('Subscribed plugins:')).toEqual({ count: 1, names: ['queue'], plugins: [{ name: 'queue', type: 'QueuePlugin' }] });
    expect(logged('Queue plugin methods:')).toEqual({ hasOnGlobalLeaderChange: true });
  });

  it('6. Fallback: the "database client not available" and "Storage initialization failed" checks', () => {
    const client = database.client; // Should not be null
    console.log('Client ready:', !!client);
    console.log('Database ready:', database.isConnected());
    console.log('Client type:', database.client.constructor.name);
    console.log('Bucket:', database.bucket);
    console.log('Key prefix:', database.keyPrefix);
    expect(output).toEqual([
      ['Client ready:', true],
      ['Database ready:', true],
      ['Client type:', 'HubClient'],
      ['Bucket:', 'memory://default'],
      ['Key prefix:', ''],
    ]);
  });

  it('7. High Memory Usage: proper and forced clean-up', async () => {
    const coordinator = await database.getGlobalCoordinator('default');
    // On shutdown:
    await coordinator.stop();
    await database.disconnect();
    // If memory still leaks after stop:
    coordinator.subscribedPlugins.clear();
    coordinator.removeAllListeners();
    expect(coordinator.heartbeatTimer).toBeNull();
    expect(coordinator.electionTimer).toBeNull();
  });

  it('8 and Recovery: Stuck Leader, by deleting state.json and running a cycle', async () => {
    // Manually force re-election
    const coordinator = await database.getGlobalCoordinator('default');
    const stateKey = coordinator._getStateKey();

    // Remove old leader state
    await database.client.delete(stateKey);

    // Next heartbeat forces new election
    await coordinator._heartbeatCycle();
    await coordinator._heartbeatCycle();
    const newLeader = await coordinator.getLeader();
    console.log('New leader:', newLeader);
    expect(logged('New leader:')).toBe(coordinator.workerId);
    expect(coordinator.getEpoch()).toBe(2);
  });

  it('9. Metrics Not Incrementing: the checks', async () => {
    const coordinator = await database.getGlobalCoordinator('default');
    console.log('Running:', coordinator.isRunning);
    console.log('Heartbeat timer:', coordinator.heartbeatTimer);
    console.log('Election timer:', coordinator.electionTimer);
    if (!coordinator.isRunning) {
      await coordinator.start();
    }
    expect(logged('Running:')).toBe(true);
    expect(logged('Heartbeat timer:')).not.toBeNull();
  });

  it('10. Storage Key Collisions: the check', async () => {
    const coorA = await database.getGlobalCoordinator('namespace-a');
    const coorB = await database.getGlobalCoordinator('namespace-b');
    console.log('A state key:', coorA._getStateKey());
    console.log('B state key:', coorB._getStateKey());
    expect(logged('A state key:')).toBe('plg_coordinator_global/namespace-a/state.json');
    expect(logged('B state key:')).toBe('plg_coordinator_global/namespace-b/state.json');
  });

  it('Recovery: Corrupted State and Clean Shutdown', async () => {
    const coordinator = await database.getGlobalCoordinator('default');
    const prefix = 'plg_coordinator_global/default/';
    await database.client.delete(prefix + 'state.json');
    await coordinator._heartbeatCycle();
    await coordinator._heartbeatCycle();
    expect(coordinator.isLeader).toBe(true);

    // Proper shutdown sequence
    await coordinator.stop(); // Stop heartbeat
    coordinator.subscribedPlugins.clear(); // Clear subscriptions
    await database.disconnect(); // Close S3 connection
    expect(database.isConnected()).toBe(false);
  });

  it('Getting Help: the diagnostics bundle', async () => {
    const coordinator = await database.getGlobalCoordinator('default');
    const diag = {
      coordinator: {
        running: coordinator.isRunning,
        leader: await coordinator.getLeader(),
        workers: await coordinator.getActiveWorkers(),
        metrics: coordinator.getMetrics(),
      },
      plugins: Array.from(coordinator.subscribedPlugins.keys()),
      config: coordinator.config,
    };
    console.log(JSON.stringify(diag, null, 2));
    const bundle = JSON.parse(String(output[0]?.[0])) as typeof diag;
    expect(bundle.coordinator.running).toBe(true);
    expect(bundle.config).toMatchObject({ heartbeatInterval: 50, leaseTimeout: 300, workerTimeout: 400 });
  });
});

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { CoordinatedPlugin, LeadershipChange, Logger } from '@baton/plugin';
import { MemoryStore, UnsafeStoreError, type GetOptions, type ObjectBody, type PutOptions } from '@baton/storage';
import { waitUntil } from '@tooling/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import type { GlobalCoordinatorOptions } from './config';
import { LeadershipLostError, type LeaderChangedEvent } from './global-coordinator';
import { connect, type Hub } from './hub';

const FAST: GlobalCoordinatorOptions = { heartbeatInterval: 40, leaseTimeout: 300, workerTimeout: 400, pluginStopTimeout: 200 };
const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((hub) => hub.disconnect()));
});

function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (first: string | object, second?: string) => {
    lines.push(typeof first === 'string' ? first : (second ?? ''));
  };
  return { lines, debug: record, info: record, warn: record, error: record };
}

async function hubOn(store: MemoryStore, options: GlobalCoordinatorOptions = {}, logger?: Logger): Promise<Hub> {
  const hub = await connect(store, { globalCoordinator: { ...FAST, ...options }, ...(logger === undefined ? {} : { logger }) });
  hubs.push(hub);
  return hub;
}


describe('GlobalCoordinator', () => {
  it("answers the guide's Quick Diagnosis", async () => {
    const store = new MemoryStore();
    const database = await hubOn(store);
    const coordinator = await database.getGlobalCoordinator('default');
    coordinator.subscribePlugin({ name: 'queue' });
    coordinator.subscribePlugin({ name: 'ttl' });

    expect(coordinator.isRunning).toBe(true);
    expect(await coordinator.getLeader()).toMatch(/^gcs-default-\d+-[a-z0-9]{6}$/);
    const metrics = coordinator.getMetrics();
    expect(metrics).toMatchObject({ heartbeatCount: 1, electionCount: 1, leaderChanges: 0 });
    expect(metrics.storage.requests.put).toBeGreaterThan(0);
    const workers = await coordinator.getActiveWorkers();
    expect(workers).toHaveLength(1);
    expect(workers[0]?.workerId).toBe(coordinator.workerId);
    expect(typeof workers[0]?.lastHeartbeat).toBe('number');
    expect(Array.from(coordinator.subscribedPlugins.keys())).toEqual(['queue', 'ttl']);
  });

  it("writes the guide's healthy log lines, and 'Service already running' on a second start", async () => {
    const logger = capturingLogger();
    const hub = await hubOn(new MemoryStore(), { diagnosticsEnabled: true }, logger);
    const coordinator = await hub.getGlobalCoordinator('default');
    coordinator.subscribePlugin({ name: 'queue' });
    await coordinator.start();
    await coordinator._heartbeatCycle();
    const prefix = '[coordinator:global] [default] ';
    expect(logger.lines).toEqual(
      expect.arrayContaining([
        `${prefix}Service started`,
        `${prefix}Worker registered`,
        `${prefix}Leader changed: none → ${coordinator.workerId} (epoch: 1)`,
        `${prefix}Plugin subscribed: queue`,
        `${prefix}Heartbeat cycle executed`,
        `${prefix}Service already running`,
      ]),
    );
    const order = ['Service started', 'Worker registered', 'Leader changed', 'Plugin subscribed'].map((line) =>
      logger.lines.findIndex((logged) => logged.startsWith(prefix + line)),
    );
    expect(order).toEqual([...order].sort((left, right) => left - right));
  });

  it('elects exactly one leader among many workers and keeps it', async () => {
    const store = new MemoryStore();
    // A renew deadline of 1 s: only an event-loop stall of most of a second could end the term,
    // so "keeps it" holds on a loaded machine too.
    const steady = { heartbeatInterval: 100, leaseTimeout: 1500, workerTimeout: 2000 };
    const coordinators = await Promise.all(
      Array.from({ length: 5 }, async () => (await hubOn(store, steady)).getGlobalCoordinator('default')),
    );
    const leaders = () => coordinators.filter((coordinator) => coordinator.isLeader);
    await waitUntil(() => leaders().length === 1);
    const elected = leaders()[0]?.workerId;
    // Kept for 400 ms, sampled every 5 ms: never a second leader, never another one.
    const seen = new Set<string>();
    let most = 0;
    const sampler = setInterval(() => {
      most = Math.max(most, leaders().length);
      for (const leader of leaders()) seen.add(leader.workerId);
    }, 5);
    await new Promise((resolve) => setTimeout(resolve, 400));
    clearInterval(sampler);
    expect(most).toBe(1);
    expect([...seen]).toEqual([elected]);
    expect(new Set(await Promise.all(coordinators.map((coordinator) => coordinator.getLeader())))).toEqual(new Set([elected]));
  });

  it('hands over at the next heartbeat on stop, after plugins stopped their leader work', async () => {
    const store = new MemoryStore();
    // A 3 s lease against 40 ms heartbeats: a handover faster than half the lease can only be the release.
    const longLease = { leaseTimeout: 3000, workerTimeout: 4000 };
    const first = await (await hubOn(store, longLease)).getGlobalCoordinator('default');
    const second = await (await hubOn(store, longLease)).getGlobalCoordinator('default');
    expect(first.isLeader).toBe(true);
    const events: string[] = [];
    const signal = first.leadershipSignal();
    first.subscribePlugin({
      name: 'worker',
      stopLeaderWork: async () => {
        events.push(`plugin stopping; still leader: ${String(first.isLeader)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        events.push('plugin stopped');
      },
    });
    const changes: LeaderChangedEvent[] = [];
    second.on('leader:changed', (event) => changes.push(event));
    const stoppedAt = performance.now();
    await first.stop();
    events.push('released');
    expect(events).toEqual(['plugin stopping; still leader: true', 'plugin stopped', 'released']);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(LeadershipLostError);
    await waitUntil(() => second.isLeader);
    // Well before the 3 s lease could have expired: the release made it immediate.
    expect(performance.now() - stoppedAt).toBeLessThan(1500);
    expect(changes.at(-1)).toMatchObject({ newLeader: second.workerId, epoch: 2 });
  });

  it('bounds the wait for a plugin that never stops its leader work', async () => {
    const store = new MemoryStore();
    const coordinator = await (await hubOn(store)).getGlobalCoordinator('default');
    coordinator.subscribePlugin({ name: 'stuck', stopLeaderWork: () => new Promise<void>(() => undefined) });
    const started = performance.now();
    await coordinator.stop();
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(2000);
    expect(coordinator.isRunning).toBe(false);
  });

  it('tells subscribed plugins of every change, with the epoch and whether they lead', async () => {
    const store = new MemoryStore();
    const seen: LeadershipChange[] = [];
    const plugin: CoordinatedPlugin = { name: 'observer', onGlobalLeaderChange: (change) => void seen.push(change) };
    const first = await (await hubOn(store)).getGlobalCoordinator('default');
    const secondHub = await hubOn(store);
    await secondHub.usePlugin(plugin);
    const second = await secondHub.getGlobalCoordinator('default');
    // A follower knows the plugin's epoch only as far as it has read the plugin's lease.
    expect(seen.at(-1)).toMatchObject({ newLeader: first.workerId, epoch: second.leadershipOf('observer').getEpoch(), isLeader: false });
    await first.stop();
    await waitUntil(() => second.isLeader);
    // The plugin leads by its own lease, held by the global leader: epochs of the plugin's domain.
    await waitUntil(() => seen.at(-1)?.isLeader === true);
    expect(seen.at(-1)).toMatchObject({ newLeader: second.workerId, epoch: second.leadershipOf('observer').getEpoch(), isLeader: true, namespace: 'default' });
  });

  it('keeps namespaces apart', async () => {
    const store = new MemoryStore();
    const hub = await hubOn(store);
    const a = await hub.getGlobalCoordinator('namespace-a');
    const b = await hub.getGlobalCoordinator('namespace-b');
    expect(a._getStateKey()).toBe('plg_coordinator_global/namespace-a/state.json');
    expect(b._getStateKey()).toBe('plg_coordinator_global/namespace-b/state.json');
    expect(a.isLeader && b.isLeader).toBe(true);
    expect(await hub.getGlobalCoordinator('namespace-a')).toBe(a);
    expect(() => hub.getGlobalCoordinator('../x')).toThrow(/Invalid coordinator namespace/);
  });

  it('survives garbage in state.json: logs it and recovers by CAS after the lease timeout', async () => {
    const store = new MemoryStore();
    const logger = capturingLogger();
    const coordinator = await (await hubOn(store, {}, logger)).getGlobalCoordinator('default');
    await store.put(coordinator._getStateKey(), '{"truncated": ');
    await waitUntil(() => logger.lines.some((line) => line.includes('Invalid lease record')));
    await waitUntil(() => coordinator.isLeader && coordinator.getEpoch() >= 2, 3000);
    const stored = await store.get(coordinator._getStateKey());
    expect(JSON.parse(new TextDecoder().decode(stored?.body))).toMatchObject({ leader: coordinator.workerId, epoch: 2 });
  });

  it('elects a leader when workers/ holds foreign and garbage objects and state.json is broken', async () => {
    const store = new MemoryStore();
    const prefix = 'plg_coordinator_global/default/';
    await store.put(`${prefix}state.json`, '{"truncated": ');
    await store.put(`${prefix}workers/notes.json`, 'not a registration');
    await store.put(`${prefix}workers/gcs-forged.json`, JSON.stringify({ format: 'baton.worker/v1', workerId: 'gcs-forged', epoch: Number.MAX_SAFE_INTEGER }));
    await store.put(`${prefix}workers/README`, 'a foreign file');
    const coordinator = await (await hubOn(store)).getGlobalCoordinator('default');
    await waitUntil(() => coordinator.isLeader, 3000);
    expect(coordinator.getEpoch()).toBeLessThan(2 ** 40); // the forged epoch is ignored, not handed on
  });

  it("recovers as the guide's Stuck Leader procedure expects (delete state.json, run a cycle)", async () => {
    const store = new MemoryStore();
    const database = await hubOn(store);
    const coordinator = await database.getGlobalCoordinator('default');
    await database.client.delete(coordinator._getStateKey());
    await coordinator._heartbeatCycle();
    await coordinator._heartbeatCycle();
    expect(await coordinator.getLeader()).toBe(coordinator.workerId);
    expect(coordinator.getEpoch()).toBeGreaterThan(1);
    const worker = await database.client.getObject(coordinator._getWorkerKey(coordinator.workerId));
    expect(JSON.parse(worker.body)).toMatchObject({ workerId: coordinator.workerId });
  });

  it('refuses to start on a store that ignores conditional writes, unless told otherwise (loudly)', async () => {
    const unsafe = new IgnoresConditionsStore();
    const hub = await connect(unsafe, { globalCoordinator: FAST });
    hubs.push(hub);
    await expect(hub.getGlobalCoordinator('default')).rejects.toThrow(UnsafeStoreError);
    await expect(hub.getGlobalCoordinator('default')).rejects.toThrow(/does not enforce conditional writes.*allowUnsafeStore/s);
    const logger = capturingLogger();
    const risky = await connect(unsafe, { globalCoordinator: { ...FAST, allowUnsafeStore: true }, logger });
    hubs.push(risky);
    await risky.getGlobalCoordinator('default');
    expect(logger.lines.some((line) => line.includes('UNSAFE'))).toBe(true);
  });

  it('aborts the leadership signal at the renew deadline when renewals stop succeeding', async () => {
    const store = new FlakyStore();
    const coordinator = await (await hubOn(store)).getGlobalCoordinator('default');
    const signal = coordinator.leadershipSignal();
    expect(signal?.aborted).toBe(false);
    store.failing = true;
    const failedAt = performance.now();
    await waitUntil(() => signal?.aborted === true, 2000);
    // renewDeadline is 200 ms after the last successful renewal started.
    expect(performance.now() - failedAt).toBeLessThan(400);
    expect(coordinator.isLeader).toBe(false);
    store.failing = false;
    await waitUntil(() => coordinator.isLeader, 2000);
  });

  it('finds the leadership signal aborted when read past the renew deadline, before its timer could fire', async () => {
    let now = 0;
    const clock = { monotonicNow: () => now, wallNow: () => Date.now() };
    const hub = await connect(new MemoryStore(), { globalCoordinator: FAST, environment: { clock } });
    hubs.push(hub);
    const coordinator = await hub.getGlobalCoordinator('default');
    const signal = coordinator.leadershipSignal();
    expect(signal?.aborted).toBe(false);
    // An event-loop stall: the monotonic clock passes the 200 ms renew deadline, no timer has run.
    now += 201;
    expect(coordinator.isLeader).toBe(false);
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(LeadershipLostError);
    expect(() => signal?.throwIfAborted()).toThrow(LeadershipLostError);
  });

  it('ends leadership at the renew deadline while stop() waits on a hung renewal', async () => {
    const store = new HangingStore();
    const coordinator = await (await hubOn(store)).getGlobalCoordinator('default');
    const signal = coordinator.leadershipSignal();
    let abortedAt: number | undefined;
    signal?.addEventListener('abort', () => (abortedAt = performance.now()));
    store.hanging = true;
    await waitUntil(() => store.hung > 0, 2000);
    const deadlineAt = performance.now() + (coordinator.getMetrics().renewDeadlineRemainingMs ?? 0);
    const stopped = coordinator.stop();
    await waitUntil(() => abortedAt !== undefined, 2000);
    expect(abortedAt).toBeLessThan(deadlineAt + 15);
    store.hanging = false;
    await stopped;
  });

  it("retries a new leader's registration until it carries the new term's epoch", async () => {
    const store = new FlakyStore();
    // Registrations refresh every workerTimeout / 3 = 10 s: a fix within 2 s can only be the retry.
    const slowRefresh = { workerTimeout: 30_000 };
    const first = await (await hubOn(store, slowRefresh)).getGlobalCoordinator('default');
    const second = await (await hubOn(store, slowRefresh)).getGlobalCoordinator('default');
    const key = second._getWorkerKey(second.workerId);
    store.failingKey = key;
    await first.stop();
    await waitUntil(() => second.isLeader, 2000);
    // Its registration's first write for the new term failed; later passes must write it.
    await waitUntil(() => store.refused.includes(key), 2000);
    store.failingKey = undefined;
    await waitUntil(async () => (await registeredEpoch(store, key)) === second.getEpoch(), 2000);
  });

  it('leaves no timers, listeners or memory behind over 10,000 start/stop and subscribe/unsubscribe cycles', async () => {
    setFlagsFromString('--expose-gc');
    const collect = runInNewContext('gc') as () => void;
    const store = new MemoryStore();
    const hub = await hubOn(store, { heartbeatInterval: 60_000, leaseTimeout: 180_000, workerTimeout: 180_000 });
    const coordinator = await hub.getGlobalCoordinator('default');
    const plugin: CoordinatedPlugin = { name: 'cycler', onGlobalLeaderChange: () => undefined };
    const listener = () => undefined;

    const cycle = async () => {
      await coordinator.stop();
      await coordinator.start();
      coordinator.subscribePlugin(plugin);
      coordinator.on('leader:changed', listener);
      coordinator.unsubscribePlugin(plugin.name);
      coordinator.off('leader:changed', listener);
    };
    for (let warmUp = 0; warmUp < 500; warmUp += 1) await cycle();
    collect();
    const heapBefore = process.memoryUsage().heapUsed;
    const resourcesBefore = process.getActiveResourcesInfo().length;
    for (let index = 0; index < 10_000; index += 1) await cycle();
    collect();
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect(process.getActiveResourcesInfo().length).toBeLessThanOrEqual(resourcesBefore);
    expect(coordinator.listenerCount('leader:changed')).toBe(0);
    expect(coordinator.subscribedPlugins.size).toBe(0);
    // A leak of even 200 bytes per cycle would show as 2 MB.
    expect(heapGrowth).toBeLessThan(2 * 1024 * 1024);
    // The lease record, the epoch ledger and this worker's registration, and the plugin's lease and
    // ledger (held while subscribed, released on unsubscribe): nothing piling up.
    expect(store.size).toBe(5);
  }, 120_000);

  it('keeps electing when a listener throws', async () => {
    const logger = capturingLogger();
    const coordinator = await (await hubOn(new MemoryStore(), {}, logger)).getGlobalCoordinator('default');
    coordinator.on('heartbeat', () => {
      throw new Error('listener bug');
    });
    const before = coordinator.getMetrics().heartbeatCount;
    await waitUntil(() => coordinator.getMetrics().heartbeatCount >= before + 3);
    expect(coordinator.isLeader).toBe(true);
    expect(logger.lines.some((line) => line.includes("A 'heartbeat' listener threw: listener bug"))).toBe(true);
  });

  it('clears everything on disconnect', async () => {
    const hub = await hubOn(new MemoryStore());
    const coordinator = await hub.getGlobalCoordinator('default');
    coordinator.subscribePlugin({ name: 'queue' });
    coordinator.on('leader:changed', () => undefined);
    await hub.disconnect();
    expect(hub.isConnected()).toBe(false);
    expect(coordinator.isRunning).toBe(false);
    expect(coordinator.heartbeatTimer).toBeNull();
    expect(coordinator.electionTimer).toBeNull();
    expect(coordinator.subscribedPlugins.size).toBe(0);
    expect(coordinator.listenerCount('leader:changed')).toBe(0);
    expect(() => hub.getGlobalCoordinator('default')).toThrow(/after disconnect/);
  });
});

/** Accepts conditional headers and ignores them. */
class IgnoresConditionsStore extends MemoryStore {
  override put(key: string, body: ObjectBody, options: PutOptions = {}) {
    return super.put(key, body, { signal: options.signal });
  }
}

/** While `hanging` is set, every request waits until its signal aborts. */
class HangingStore extends MemoryStore {
  hanging = false;
  hung = 0;
  override put(key: string, body: ObjectBody, options: PutOptions = {}) {
    return this.hanging ? this.#hang(options.signal) : super.put(key, body, options);
  }
  override get(key: string, options: GetOptions = {}) {
    return this.hanging ? this.#hang(options.signal) : super.get(key, options);
  }
  #hang(signal: AbortSignal | undefined): Promise<never> {
    this.hung += 1;
    return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true }));
  }
}

/** The epoch in a worker's stored registration. */
async function registeredEpoch(store: MemoryStore, key: string): Promise<number | undefined> {
  const stored = await store.get(key);
  return stored === undefined ? undefined : (JSON.parse(new TextDecoder().decode(stored.body)) as { epoch?: number }).epoch;
}

/** Fails every write while `failing` is set, and every write of `failingKey`. */
class FlakyStore extends MemoryStore {
  failing = false;
  failingKey: string | undefined;
  /** The keys of the PUTs failed so far. */
  readonly refused: string[] = [];
  override put(key: string, body: ObjectBody, options: PutOptions = {}) {
    if (this.failing || key === this.failingKey) {
      this.refused.push(key);
      return Promise.reject(new Error('simulated outage'));
    }
    return super.put(key, body, options);
  }
}

// Adopting only @baton/coordinator-core: one leader among every process that shares the store.
// Run: `pnpm --filter baton-example adoption:core-only` (BATON_URL picks the store; default: a
// folder where it runs). It joins the election, says who leads, does the leader-only work if it
// leads, and leaves, releasing the lease.
import { connect } from '@baton/coordinator-core';

const hub = await connect(process.env.BATON_URL ?? 'file://./.baton-data');
const coordinator = await hub.getGlobalCoordinator('default'); // resolves after the first heartbeat

coordinator.on('leader:changed', ({ newLeader, epoch }) => console.log(`leader changed: ${newLeader ?? 'none'} (epoch ${epoch})`));
console.log(`${coordinator.workerId}: the leader is ${await coordinator.getLeader()} (epoch ${coordinator.getEpoch()})`);

if (coordinator.isLeader) {
  // The epoch is the fencing token: store it with what the leader writes, so that a stale
  // leader's writes can be told apart. The leadership signal aborts the moment leadership ends.
  const epoch = coordinator.getEpoch();
  const body = JSON.stringify({ leader: coordinator.workerId, epoch });
  await hub.client.putObject({ key: 'example/last-leader.json', body, signal: coordinator.leadershipSignal() });
  console.log(`leading epoch ${epoch}: wrote example/last-leader.json`);
}

await hub.disconnect(); // releases the lease: a follower takes over at its next heartbeat

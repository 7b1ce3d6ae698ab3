// Adopting the whole stack in one worker: @baton/coordinator-core with @baton/queue and @baton/ttl
// installed as plugins (one election for both), checked in-process by @baton/diagnostics.
// Run: `pnpm --filter baton-example adoption:full-stack` (BATON_URL picks the store).
import { connect } from '@baton/coordinator-core';
import { diagnose } from '@baton/diagnostics';
import { QueuePlugin } from '@baton/queue';
import { TTLPlugin } from '@baton/ttl';

const hub = await connect(process.env.BATON_URL ?? 'file://./.baton-data');
const emails = new QueuePlugin({ name: 'emails', visibilityTimeoutMs: 30_000 });
// Sweeps every 250 ms (default 10 s) so that the example sees its record deleted soon after it expires.
const sessions = new TTLPlugin({ collection: 'sessions', strategy: 'hard-delete', sweepIntervalMs: 250 });
await hub.usePlugin(emails); // both follow the 'default' namespace's coordinator:
await hub.usePlugin(sessions); // every process works, the leader also recovers jobs and sweeps

// The queue: every process enqueues and processes.
const completed = new Promise<string>((resolve) => emails.on('job:completed', ({ id }) => resolve(id)));
emails.process<{ to: string }>(({ data, attempt }) => {
  console.log(`sending to ${data.to} (attempt ${attempt})`);
  return { sent: true };
});
const id = await emails.enqueue({ to: 'a@example.com' });
console.log(`enqueued ${id}; completed ${await completed}`);

// TTL: `get` hides a record from the moment it expires; the leader's sweep then deletes it.
const swept = new Promise<number>((resolve) =>
  sessions.onSweep(({ expired, epoch }) => {
    if (expired > 0) resolve(epoch);
  }),
);
await sessions.set('user:42', { token: 'abc' }, { ttlMs: 1000 });
console.log(`set user:42 for 1 s; get: ${JSON.stringify((await sessions.get('user:42'))?.value)}`);
const sweptIn = await swept;
const afterExpiry = await sessions.get('user:42');
console.log(`user:42 expired: deleted by the leader's sweep (epoch ${sweptIn}); get: ${afterExpiry === undefined ? 'nothing' : 'still there'}`);

// Diagnostics, in-process: the store, this coordinator, its plugins and memory, over a short window.
const report = await diagnose(hub, { namespace: 'default', windowMs: 1000, samples: 3 });
const findings = report.findings.map((finding) => `${finding.severity} ${finding.id}`);
console.log(`diagnose: ${report.status} (${report.scope}), ${report.findings.length} findings${findings.length > 0 ? `: ${findings.join(', ')}` : ''}`);

await hub.disconnect(); // stops processing, sweeping and the leader duties, then releases the lease

// Adopting @baton/coordinator-core with one plugin, @baton/queue: every process enqueues and
// processes; the elected leader also recovers the jobs of crashed workers.
// Run: `pnpm --filter baton-example adoption:core-and-queue` (BATON_URL picks the store).
import { connect } from '@baton/coordinator-core';
import { QueuePlugin } from '@baton/queue';

const hub = await connect(process.env.BATON_URL ?? 'file://./.baton-data');
const emails = new QueuePlugin({ name: 'emails', visibilityTimeoutMs: 30_000 });
await hub.usePlugin(emails); // joins the 'default' namespace's election

const completed = new Promise<string>((resolve) => emails.on('job:completed', ({ id }) => resolve(id)));
emails.process<{ to: string }>(async ({ id, data, attempt, signal }) => {
  console.log(`sending to ${data.to} (attempt ${attempt})`);
  // Stands in for the real send; handlers may run more than once, so make them idempotent.
  await hub.client.putObject({ key: `outbox/${id}.json`, body: JSON.stringify(data), signal });
  return { sent: true };
});
const id = await emails.enqueue({ to: 'a@example.com' });
console.log(`enqueued ${id}; completed ${await completed}`);

await hub.disconnect(); // stops processing and the leader duties, then releases the lease

// THE TTL CHAPTER — waiting for @baton/ttl (being built in packages/ttl).
//
// Until that package lands this chapter says so and shows nothing: no made-up output.
// To wire it when it lands:
//   1. apps/example/package.json: add "@baton/ttl": "workspace:^" to dependencies.
//   2. src/demo-worker.ts: next to the QueuePlugin, install
//        const ttl = new TTLPlugin({ collection: 'sessions', strategy: … });
//        await hub.usePlugin(ttl);
//      and report its expirations as worker events (add the event to demo-worker-protocol.ts).
//   3. Here: write a few records with short lives through one worker or a hub of the narrator
//      (`set(key, value, { ttlMs })`), `touch` one of them to keep it alive, then narrate — with
//      timings — the others expiring on the leader and the touched one surviving, and throw
//      DemoStepError if that is not what happened.
//   4. Add its lines to the assertions of src/demo.test.ts and to the sample output in README.md.
import type { Chapter } from './chapter';

/** TTL records expiring: not available until @baton/ttl lands (see the comment at the top). */
export const ttlChapter: Chapter = {
  title: 'TTL records expiring',
  run({ narrator }) {
    narrator.say('not available yet: @baton/ttl has not landed in this repository, so this chapter shows nothing');
    return Promise.resolve();
  },
};

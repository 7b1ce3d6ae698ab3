// THE DOCTOR CHAPTER — waiting for @baton/diagnostics (being built in packages/diagnostics).
//
// Until that package lands this chapter says so and shows nothing: no made-up output.
// To wire it when it lands:
//   1. apps/example/package.json: add "@baton/diagnostics": "workspace:^" to dependencies.
//   2. Here: run the real CLI against the demo's store, while the last worker still runs, e.g.
//        spawnSync(process.execPath, [<the package's bin>, 'doctor', options.url, …])
//      (or `diagnose(hub, { namespace: DEMO_NAMESPACE })` on a hub of the narrator, printed as the
//      CLI prints it), print its report as it is, and throw DemoStepError when it finds a problem.
//   3. Add its lines to the assertions of src/demo.test.ts and to the sample output in README.md.
import type { Chapter } from './chapter';

/** The final `baton doctor` report: not available until @baton/diagnostics lands (see the comment at the top). */
export const doctorChapter: Chapter = {
  title: 'baton doctor',
  run({ narrator }) {
    narrator.say('not available yet: @baton/diagnostics (the `baton` CLI) has not landed in this repository, so there is no report');
    return Promise.resolve();
  },
};

// @changesets/cli 3 calls module.enableCompileCache(), which Node 22 added; on Node 20 (which
// baton supports) it throws before doing anything. The cache is only a start-up speed-up, so
// the root `changeset` scripts preload this no-op stand-in: `node --import <this> …/bin.js`.
import module from 'node:module';

if (typeof module.enableCompileCache !== 'function') module.enableCompileCache = () => undefined;

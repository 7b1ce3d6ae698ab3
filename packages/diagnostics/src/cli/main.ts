#!/usr/bin/env node
import { runCli } from './program';

// The AWS SDK warns on every start that its future releases need Node 22; the pinned one supports 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

void runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
}).then((exitCode) => {
  // Exit explicitly: keep-alive sockets to the store must not hold the process open.
  process.stdout.write('', () => process.exit(exitCode));
});

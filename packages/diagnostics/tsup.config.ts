import { createBuildConfig } from '@tooling/build-config/tsup';

export default createBuildConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli/main.ts' },
});

// @ts-check
import { defineConfig } from 'tsup';

/**
 * The build every publishable package uses: dual ESM + CJS with `.d.ts`/`.d.cts`, one file per
 * entry point, no bundled dependencies. Kept in one place so that packages cannot drift apart.
 *
 * @param {{ entry: Record<string, string>, banner?: Record<string, string> }} options
 *   `entry` maps output names (`index`, `testkit`, ...) to source files.
 */
export function createBuildConfig(options) {
  return defineConfig({
    entry: options.entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
    banner: options.banner,
  });
}

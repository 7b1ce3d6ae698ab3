import type { Options } from 'tsup';

/** The shared build: dual ESM + CJS with types, one file per entry point. */
export declare function createBuildConfig(options: { entry: Record<string, string>; banner?: Record<string, string> }): Options;

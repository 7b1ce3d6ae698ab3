import type { ViteUserConfig } from 'vitest/config';

/** The shared test configuration: tests beside the code, forked workers, long hook timeouts. */
export declare function createTestConfig(options?: { globalSetup?: string[]; testTimeout?: number }): ViteUserConfig;

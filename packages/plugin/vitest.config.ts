import { createTestConfig } from '@tooling/build-config/vitest';

export default createTestConfig();

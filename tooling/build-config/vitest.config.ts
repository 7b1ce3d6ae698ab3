import { createTestConfig } from './vitest.js';

export default createTestConfig();

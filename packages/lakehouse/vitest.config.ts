import { engineTestConfig } from './test/vitest-engine.js';

export default engineTestConfig(import.meta.url);

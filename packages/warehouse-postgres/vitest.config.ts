import { engineTestConfig } from '../lakehouse/test/vitest-engine.js';

export default engineTestConfig(import.meta.url);

export { SnowflakeEmulatorError, SnowflakeSqlError, type SnowflakeSqlErrorOptions } from './errors.js';
export type { FaultSettings, Faults } from './faults.js';
export {
  type QueryRecord,
  type SnowflakeEmulator,
  type SnowflakeEmulatorOptions,
  startSnowflakeEmulator,
} from './start.js';

export {
  type ResolvedSnowflakeConnection,
  readSnowflakeConnection,
  type SnowflakeConnectionLookup,
} from './connections.js';
export { SnowflakeWarehouseError } from './errors.js';
export { LOAD_STAGE, type SnowflakeLoadMethod } from './load.js';
export {
  canonicalSnowflakeType,
  presentedName,
  quoteSnowflakeIdentifier,
  snowflakeColumnType,
  storedName,
  toSnowflakeBinds,
} from './sql.js';
export { openSnowflakeWarehouse, type SnowflakeWarehouseOptions } from './warehouse.js';

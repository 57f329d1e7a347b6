export {
  type ResolvedSnowflakeConnection,
  readSnowflakeConnection,
  type SnowflakeConnectionLookup,
} from './connections.js';
export { SnowflakeWarehouseError } from './errors.js';
export {
  canonicalSnowflakeType,
  presentedName,
  quoteSnowflakeIdentifier,
  snowflakeColumnType,
  storedName,
  toSnowflakeBinds,
} from './sql.js';
export {
  LOAD_STAGE,
  openSnowflakeWarehouse,
  type SnowflakeLoadMethod,
  type SnowflakeWarehouseOptions,
} from './warehouse.js';

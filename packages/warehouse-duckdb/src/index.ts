export { DuckDbWarehouseError } from './errors.js';
export { DEFAULT_DUCKDB_MEMORY_LIMIT, type DuckDbWarehouseOptions, openDuckDbWarehouse } from './warehouse.js';

export { PostgresWarehouseError } from './errors.js';
export { openPostgresWarehouse, type PostgresWarehouseOptions } from './warehouse.js';

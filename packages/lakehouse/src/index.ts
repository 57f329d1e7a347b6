export { AnsiSession } from './ansi-session.js';
export {
  type CreateTableOptions as CreateLakehouseTableOptions,
  type CreateTableSummary,
  createTable,
  DELETED_AT_COLUMN,
  type TypeChange,
} from './create.js';
export { type CsvPart, csvChunks, csvLine, csvParts } from './csv-load.js';
export { LakehouseError } from './errors.js';
export { type MergeDialect, mergeResultOf, standardMerge, standardMergeSql } from './merge-sql.js';
export type { LakehouseBaseOptions, LakehouseProgress } from './options.js';
export {
  abortBulkJob,
  type BulkJobInfo,
  deleteBulkJob,
  getBulkJob,
  type JobResultsIntoTableOptions,
  type JobResultsIntoTableSummary,
  jobResultsIntoTable,
  listBulkJobs,
  type QueryIntoTableOptions,
  type QueryIntoTableSummary,
  queryIntoTable,
  selectedFields,
} from './query-into.js';
export { reverseEtl } from './retl.js';
export * from './retl-options.js';
export {
  type ColumnTypeNames,
  type CsvCellCasts,
  columnTypeSql,
  csvCellSql,
  quoteAnsiIdentifier,
  sqlParam,
  sqlTimestamp,
  statementFailure,
} from './sql.js';
export { listSyncStates, readSyncState, SYNC_STATE_TABLE, type SyncState } from './state.js';
export { sync } from './sync.js';
export * from './sync-options.js';
export {
  type ColumnMapOptions,
  columnsFromDescribe,
  columnTypeOf,
  type DescribedField,
  SYSTEM_FIELDS,
  type TypeOverrides,
  toSqlValue,
} from './types.js';
export type {
  ColumnSpec,
  ColumnType,
  CreateTableOptions,
  CsvLoadSpec,
  MergeResult,
  MergeSpec,
  SqlValue,
  TableColumn,
  Warehouse,
  WarehouseRow,
  WarehouseSession,
} from './warehouse.js';

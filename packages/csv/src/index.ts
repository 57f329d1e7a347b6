export type { CsvEncoding } from './encoding.js';
export {
  type CsvDelimiter,
  type CsvFormat,
  type CsvProblem,
  type CsvProblemRow,
  type CsvReader,
  type CsvRecordRow,
  type CsvRow,
  type ReadCsvOptions,
  readCsv,
} from './read.js';
export type { CsvSource } from './source.js';
export {
  type BulkDelimiter,
  type BulkLineEnding,
  type CsvPart,
  type RejectedRecord,
  type SplitCsvInput,
  type SplitCsvOptions,
  splitCsv,
  toBulkCsv,
  type WriteCsvOptions,
} from './write.js';

export type { Batched } from './batches.js';
export type { CsvEncoding } from './encoding.js';
export {
  type ColumnSpec,
  type ConstantSpec,
  createMapper,
  type DerivedSpec,
  type FieldSpec,
  type FieldType,
  type FieldValue,
  INVALID_VALUE,
  type MappedRow,
  type Mapper,
  type Mapping,
  type MapResult,
  mapRows,
  problemOutcome,
} from './map.js';
export {
  type CsvDelimiter,
  type CsvFormat,
  type CsvPosition,
  type CsvProblem,
  type CsvProblemRow,
  type CsvReader,
  type CsvRecordRow,
  type CsvRow,
  type CsvStart,
  type ReadCsvOptions,
  readCsv,
} from './read.js';
export { type RecordEndSink, RecordScanner, type RecordScannerOptions } from './record-scanner.js';
export {
  cellText,
  encodeRow,
  isWhiteSpace,
  neutralizeFormula,
  type QuoteRule,
  RowEncoder,
  type RowFormat,
} from './row-encoder.js';
export {
  type CsvSyntaxCode,
  CsvSyntaxError,
  type LineBreak,
  parseRows,
  type RecordSink,
  RowParser,
  type RowParserOptions,
} from './row-parser.js';
export type { CsvSource } from './source.js';

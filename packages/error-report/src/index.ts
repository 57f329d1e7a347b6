export { type CsvFormat, cellText, encodeCell, encodeLine, neutralizeFormula } from './csv.js';
export { type ErrorSelection, NO_ERROR_DETAIL, reportableErrors } from './errors-of.js';
export {
  checkErrorRecordInserts,
  DEFAULT_ERROR_FIELD_LENGTHS,
  DEFAULT_ERROR_FIELD_NAMES,
  ERROR_OBJECT,
  type ErrorRecord,
  type ErrorRecordFieldNames,
  type ErrorRecordInsertCheck,
  type ErrorRecordLengths,
  type ErrorRecordOptions,
  streamErrorRecords,
  toErrorRecords,
  truncateText,
} from './records.js';
export {
  type BuiltInColumn,
  createErrorReport,
  DEFAULT_COLUMNS,
  type ErrorLine,
  type ErrorReportOptions,
  type ErrorReportWriter,
  type ReportColumn,
  type ReportCounts,
  SOURCE_ROW_ERROR_COLUMNS,
} from './report.js';
export {
  createS3ErrorReport,
  DEFAULT_ERROR_FOLDER,
  errorReportKey,
  type S3ErrorReportOptions,
  type S3ErrorReportWriter,
  type UploadErrorReportOptions,
  type UploadedErrorReport,
  uploadErrorReport,
} from './s3.js';
export {
  type ObjectCounts,
  OutcomeSummarizer,
  type OutcomeSummary,
  type SummarizableOutcome,
  type SummarizeOptions,
  summarize,
  UNKNOWN_OBJECT,
} from './summary.js';

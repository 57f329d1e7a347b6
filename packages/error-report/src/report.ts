/**
 * The CSV error report: its columns (built-in and custom) and the streaming writer. Longer than a file
 * of one idea should be because the writer's per-outcome path reads the column table and the cached
 * `object_json` of this module directly (a module binding, reset once per outcome), which a split would
 * turn into calls on the report's hot path.
 */
import type { Writable } from 'node:stream';
import { ConfigError, KicksawError, type RowOutcome, type SalesforceError } from '@kicksaw/core';
import { type CsvFormat, encoderOf } from './csv.js';
import { type ErrorSelection, reportableErrors } from './errors-of.js';
import { TextSink } from './sink.js';
import { OutcomeSummarizer, type OutcomeSummary } from './summary.js';

/**
 * The columns of the Python kicksaw-integration-utils' error report, in its order: the default layout.
 *
 * @example
 * ```ts
 * createErrorReport({ output, columns: [...DEFAULT_COLUMNS, 'row'] }); // the default columns plus the row number
 * ```
 */
export const DEFAULT_COLUMNS = Object.freeze([
  'salesforce_object',
  'code',
  'message',
  'upsert_key',
  'upsert_key_value',
  'object_json',
] as const);

/**
 * The columns the "source row" layout adds after the record's own columns (Data Loader style).
 *
 * @example
 * ```ts
 * SOURCE_ROW_ERROR_COLUMNS.join(','); // 'row,error_code,error_message,error_fields'
 * ```
 */
export const SOURCE_ROW_ERROR_COLUMNS = Object.freeze(['row', 'error_code', 'error_message', 'error_fields'] as const);

/**
 * What a column function sees: one error of one outcome.
 *
 * @example
 * ```ts
 * const column: ReportColumn = { header: 'Fields', value: (line: ErrorLine) => line.error.fields.join(' ') };
 * ```
 */
export interface ErrorLine {
  /** The outcome the error belongs to. */
  outcome: RowOutcome;
  /** The error this line is about. */
  error: SalesforceError;
  /** 0-based position of the error among the outcome's errors. */
  errorIndex: number;
  /** The `object` option (the Salesforce object), if given. */
  object: string | undefined;
  /** The `upsertKey` option, if given. */
  upsertKey: string | undefined;
}

/**
 * Names of the built-in columns: the default six (those of the Python
 * kicksaw-integration-utils), the source-row ones, and a few more
 * (`status`, `line`, `job_id`, `attempts`, `record_id`).
 *
 * @example
 * ```ts
 * const columns: BuiltInColumn[] = ['row', 'code', 'message', 'job_id'];
 * ```
 */
export type BuiltInColumn =
  | (typeof DEFAULT_COLUMNS)[number]
  | (typeof SOURCE_ROW_ERROR_COLUMNS)[number]
  | 'status'
  | 'line'
  | 'job_id'
  | 'attempts'
  | 'record_id';

const BUILT_IN: Record<BuiltInColumn, (line: ErrorLine) => unknown> = {
  salesforce_object: (line) => line.object ?? '',
  code: (line) => line.error.statusCode,
  message: (line) => line.error.message,
  upsert_key: (line) => line.upsertKey ?? '',
  upsert_key_value: (line) => (line.upsertKey === undefined ? '' : line.outcome.record[line.upsertKey]),
  object_json: (line) => recordJson(line.outcome),
  row: (line) => line.outcome.row,
  error_code: (line) => line.error.statusCode,
  error_message: (line) => line.error.message,
  error_fields: (line) => (line.error.fields ?? []).join(';'),
  status: (line) => line.outcome.status,
  line: (line) => line.outcome.line,
  job_id: (line) => line.outcome.jobId,
  attempts: (line) => line.outcome.attempts,
  record_id: (line) => line.outcome.id,
};

let lastJson: { outcome: RowOutcome; json: string } | undefined;

/** The record as JSON, computed once per outcome (a row with several errors repeats it). */
function recordJson(outcome: RowOutcome): string {
  if (lastJson?.outcome !== outcome) lastJson = { outcome, json: JSON.stringify(outcome.record) };
  return lastJson.json;
}

/**
 * A custom column: a header and either a built-in column's name or a function of the line.
 *
 * @example
 * ```ts
 * const columns: ReportColumn[] = [{ header: 'Error Code', value: 'code' }, { header: 'Row', value: (line) => line.outcome.row }];
 * ```
 */
export interface ReportColumn {
  header: string;
  value: BuiltInColumn | ((line: ErrorLine) => unknown);
}

/**
 * What a report has written so far (this writer's lines; not lines already in a file it appends to).
 *
 * @example
 * ```ts
 * const { errorLines, failedRows } = report.counts();
 * ```
 */
export interface ReportCounts {
  /** Lines written to the error report: one per error, so a row with two errors counts twice. */
  errorLines: number;
  /** Rows that have at least one line in the error report. */
  failedRows: number;
  /** Outcomes handed to the writer, whatever their status. */
  outcomes: number;
  /** Rows written to the success report (0 without `includeSuccesses`). */
  successRows: number;
}

/**
 * Options of {@link createErrorReport}.
 *
 * @example
 * ```ts
 * const options: ErrorReportOptions = { output: 'errors.csv', object: 'Contact', upsertKey: 'Email', bom: true };
 * ```
 */
export interface ErrorReportOptions extends ErrorSelection {
  /** A file path (parent directories are created) or any writable stream. */
  output: Writable | string;
  /**
   * `'default'`: the columns of the Python kicksaw-integration-utils (`salesforce_object, code, message,
   * upsert_key, upsert_key_value, object_json`). `'source-row'`: the record's own columns, then `row, error_code, error_message,
   * error_fields`, like Data Loader's error files. Ignored when `columns` is given.
   */
  layout?: 'default' | 'source-row';
  /** The Salesforce object, for the `salesforce_object` column. */
  object?: string;
  /** The upsert key (external id field), for `upsert_key` and `upsert_key_value`. */
  upsertKey?: string;
  /** Custom columns, in order: built-in names (`'code'`) or `{ header, value }`. Replaces the layout. */
  columns?: ReadonlyArray<BuiltInColumn | ReportColumn>;
  /**
   * For the `'source-row'` layout and the success report: the record's columns, in order. Default:
   * the keys of the first record written (later records' other keys are not written).
   */
  sourceColumns?: readonly string[];
  /** Prefix cells starting with `=`, `+`, `-`, `@`, tab or CR with `'` (OWASP CSV injection). Default `true`. */
  neutralizeFormulas?: boolean;
  /** Start the file with a UTF-8 byte order mark, so Excel reads it as UTF-8. Default `false`. */
  bom?: boolean;
  /** Field delimiter. Default `,`. */
  delimiter?: string;
  /** Line ending. Default `\r\n`, as Python's csv module and RFC 4180 write. */
  lineEnding?: '\r\n' | '\n';
  /** Write the header line. Default `true` (not repeated when appending to a non-empty file). */
  header?: boolean;
  /** For a path: append to an existing file instead of replacing it. Default `false`. */
  append?: boolean;
  /** For a stream: end it when the report ends. Default `true`. */
  endOutput?: boolean;
  /**
   * Also write a success report there (a path or a stream): `sf__Id, sf__Created`, then the record's
   * columns, like Bulk API 2.0's successful results.
   */
  includeSuccesses?: Writable | string;
}

/**
 * A streaming error report: feed it outcomes, then `end()` it. Await each `write` (or use `writeAll`) so
 * lines keep their order and backpressure works.
 *
 * @example
 * ```ts
 * const report: ErrorReportWriter = createErrorReport({ output: process.stdout, endOutput: false });
 * await report.writeAll(outcomes);
 * await report.end();
 * ```
 */
export interface ErrorReportWriter {
  /** Writes the lines of one outcome (none for a success). Waits only for backpressure. */
  write(outcome: RowOutcome): Promise<void>;
  /** Writes every outcome of a batch (an array, an ingest run, any async iterable); returns the counts so far. */
  writeAll(outcomes: Iterable<RowOutcome> | AsyncIterable<RowOutcome>): Promise<ReportCounts>;
  /** Flushes and ends the output (and the success output); returns the final counts. */
  end(): Promise<ReportCounts>;
  /** The counts so far. */
  counts(): ReportCounts;
  /** Counts by object and by error code so far (see {@link summarize}). */
  summary(): OutcomeSummary;
}

interface ResolvedColumn {
  header: string;
  value: (line: ErrorLine) => unknown;
}

function resolveColumn(column: BuiltInColumn | ReportColumn): ResolvedColumn {
  const spec = typeof column === 'string' ? { header: column, value: column } : column;
  if (typeof spec.value === 'function') return { header: spec.header, value: spec.value };
  const builtIn = BUILT_IN[spec.value];
  if (builtIn === undefined) {
    throw new ConfigError(`names an unknown column "${String(spec.value)}"`, {
      setting: 'columns',
      hint: `Use one of ${Object.keys(BUILT_IN).join(', ')}, or a function.`,
    });
  }
  return { header: spec.header, value: builtIn };
}

/**
 * Creates a streaming CSV error report. One line per error (a row with two errors gives two
 * lines); successes are not written (unless `includeSuccesses` names a second output for them).
 * Memory stays flat: lines are handed to the output in 64 KiB chunks with backpressure.
 *
 * The default layout is that of the Python kicksaw-integration-utils, byte for byte: Python csv's minimal quoting and `\r\n` line
 * endings; `object_json` is the record as JSON (`JSON.stringify`).
 *
 * @example
 * ```ts
 * const report = createErrorReport({ output: '/tmp/errors.csv', object: 'Contact', upsertKey: 'External_Id__c' });
 * await report.writeAll(run); // an ingest run, or any (async) iterable of RowOutcome
 * const { errorLines, failedRows } = await report.end();
 * ```
 */
export function createErrorReport(options: ErrorReportOptions): ErrorReportWriter {
  // Longer than a screen on purpose: the per-outcome `write` reads and updates the report's state
  // (columns fixed by the first record, header flags, counts, the ended flag) in this one closure scope;
  // the pure piece, encoding one outcome's error lines, is `errorLinesText` below.
  const format = formatOf(options);
  // One encoder for the report's every line (@kicksaw/csv's RowEncoder: the options resolved once).
  const encoder = encoderOf(format);
  const encodeLine = (cells: readonly unknown[], _format: CsvFormat): string => encoder.encode(cells);
  const selection: ErrorSelection = { includeSkipped: options.includeSkipped };
  const wantHeader = options.header !== false;
  const bom = options.bom === true ? '\uFEFF' : '';

  let columns = columnsOf(options);
  // Outputs are opened only once the options are known to be good.
  const { errorSink, successSink } = openSinks(options);
  let successColumns: string[] | undefined = options.sourceColumns ? [...options.sourceColumns] : undefined;
  let errorHeaderDone = false;
  let successHeaderDone = false;

  const counts: ReportCounts = { errorLines: 0, failedRows: 0, outcomes: 0, successRows: 0 };
  const summarizer = new OutcomeSummarizer(selection);
  let ended = false;

  const errorColumns = (outcome: RowOutcome | undefined): ResolvedColumn[] => {
    columns ??= sourceRowColumns(outcome ? Object.keys(outcome.record) : []);
    return columns;
  };

  const header = async (outcome: RowOutcome | undefined): Promise<void> => {
    const resolved = errorColumns(outcome);
    if (errorHeaderDone) return;
    const line = encodeLine(
      resolved.map((column) => column.header),
      format,
    );
    // A header mismatch throws here, and again on every later write and on end().
    if (errorSink.continuing && wantHeader) checkHeader(errorSink, line, format);
    errorHeaderDone = true;
    if (!errorSink.continuing && wantHeader) await errorSink.push(bom + line);
  };

  const successHeader = async (sink: TextSink, outcome: RowOutcome | undefined): Promise<string[]> => {
    successColumns ??= outcome ? Object.keys(outcome.record) : [];
    if (!successHeaderDone) {
      const line = encodeLine(['sf__Id', 'sf__Created', ...successColumns], format);
      if (sink.continuing && wantHeader) checkHeader(sink, line, format);
      successHeaderDone = true;
      if (!sink.continuing && wantHeader) await sink.push(bom + line);
    }
    return successColumns;
  };

  const write = async (outcome: RowOutcome): Promise<void> => {
    if (ended) {
      throw new KicksawError('This error report was already ended; create a new one to write more.', {
        code: 'REPORT_ENDED',
      });
    }
    counts.outcomes += 1;
    summarizer.add(outcome, options.object);
    if (outcome.status === 'succeeded') {
      if (successSink === undefined) return;
      const names = successHeaderDone ? (successColumns as string[]) : await successHeader(successSink, outcome);
      const cells: unknown[] = [outcome.id ?? '', outcome.created];
      for (const name of names) cells.push(outcome.record[name]);
      counts.successRows += 1;
      const flushed = successSink.push(encodeLine(cells, format));
      if (flushed) await flushed;
      return;
    }
    const errors = reportableErrors(outcome, selection);
    if (errors.length === 0) return;
    if (!errorHeaderDone) await header(outcome);
    const text = errorLinesText(outcome, errors, errorColumns(outcome), options, encoder);
    counts.failedRows += 1;
    counts.errorLines += errors.length;
    const flushed = errorSink.push(text);
    if (flushed) await flushed;
  };

  return {
    write,
    async writeAll(outcomes) {
      for await (const outcome of outcomes) await write(outcome);
      return { ...counts };
    },
    async end() {
      if (!ended) {
        ended = true;
        try {
          await header(undefined);
          if (successSink) await successHeader(successSink, undefined);
          await errorSink.close();
          if (successSink) await successSink.close();
        } catch (error) {
          errorSink.destroy(error);
          successSink?.destroy(error);
          throw error;
        }
      } else {
        await errorSink.close();
        if (successSink) await successSink.close();
      }
      return { ...counts };
    },
    counts: () => ({ ...counts }),
    summary: () => summarizer.result(),
  };
}

/** The CSV format of the report's lines, checked. */
function formatOf(options: ErrorReportOptions): CsvFormat {
  const format: CsvFormat = {
    delimiter: options.delimiter ?? ',',
    lineEnding: options.lineEnding ?? '\r\n',
    neutralizeFormulas: options.neutralizeFormulas !== false,
  };
  if (format.delimiter.length !== 1 || /["\r\n]/.test(format.delimiter)) {
    throw new ConfigError('must be one character other than a quote or a line break', { setting: 'delimiter' });
  }
  if (format.lineEnding !== '\r\n' && format.lineEnding !== '\n') {
    throw new ConfigError("must be '\\r\\n' or '\\n'", { setting: 'lineEnding' });
  }
  return format;
}

/** The error lines' columns; `undefined` for a source-row layout whose columns come from the first outcome. */
function columnsOf(options: ErrorReportOptions): ResolvedColumn[] | undefined {
  if (options.columns !== undefined) {
    if (options.columns.length === 0) throw new ConfigError('must name at least one column', { setting: 'columns' });
    return options.columns.map(resolveColumn);
  }
  if ((options.layout ?? 'default') === 'default') return DEFAULT_COLUMNS.map((name) => resolveColumn(name));
  if (options.layout !== 'source-row') {
    throw new ConfigError(`must be 'default' or 'source-row', not "${String(options.layout)}"`, { setting: 'layout' });
  }
  return options.sourceColumns === undefined ? undefined : sourceRowColumns(options.sourceColumns);
}

/** The error output and, with `includeSuccesses`, the success output; the first is destroyed when the second fails. */
function openSinks(options: ErrorReportOptions): { errorSink: TextSink; successSink: TextSink | undefined } {
  const errorSink = new TextSink(options);
  try {
    const successSink =
      options.includeSuccesses === undefined
        ? undefined
        : new TextSink({ output: options.includeSuccesses, append: options.append, endOutput: options.endOutput });
    return { errorSink, successSink };
  } catch (error) {
    errorSink.destroy(error);
    throw error;
  }
}

/** Appending under another header would mix two layouts in one file: refuse it. */
function checkHeader(sink: TextSink, line: string, format: CsvFormat): void {
  const expected = line.slice(0, line.length - format.lineEnding.length);
  if (sink.existingHeader === undefined || sink.existingHeader === expected) return;
  throw new KicksawError(
    `Cannot append to this report: its header is "${sink.existingHeader.slice(0, 200)}" but this report's is ` +
      `"${expected.slice(0, 200)}". Append with the same layout and columns, or write to a new file.`,
    { code: 'REPORT_HEADER_MISMATCH' },
  );
}

function sourceRowColumns(sourceColumns: readonly string[]): ResolvedColumn[] {
  return [
    ...sourceColumns.map((name) => ({ header: name, value: (line: ErrorLine) => line.outcome.record[name] })),
    ...SOURCE_ROW_ERROR_COLUMNS.map((name) => resolveColumn(name)),
  ];
}

/** The encoded error-report lines of one failed outcome: one line per error, cells in column order. */
function errorLinesText(
  outcome: RowOutcome,
  errors: readonly SalesforceError[],
  resolved: readonly ResolvedColumn[],
  options: ErrorReportOptions,
  encoder: { encode(cells: readonly unknown[]): string },
): string {
  lastJson = undefined; // computed afresh for each outcome, even one object reused with new values
  let text = '';
  for (let errorIndex = 0; errorIndex < errors.length; errorIndex++) {
    const line: ErrorLine = {
      outcome,
      error: errors[errorIndex] as SalesforceError,
      errorIndex,
      object: options.object,
      upsertKey: options.upsertKey,
    };
    const cells: unknown[] = new Array(resolved.length);
    for (let index = 0; index < resolved.length; index++)
      cells[index] = (resolved[index] as ResolvedColumn).value(line);
    text += encoder.encode(cells);
  }
  return text;
}

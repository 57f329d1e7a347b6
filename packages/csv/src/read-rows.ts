/**
 * Records into rows: the record engine fed with decoded bytes, each record checked against the header
 * (width, field size, undecodable bytes, NUL) and turned into a row or a problem row, queued for the reader.
 */
import type { Utf8Feed } from './encoding.js';
import { type EngineProblem, RecordEngine } from './engine.js';
import { checkHeader, encodingProblem, nulProblem } from './read-checks.js';
import type { CsvFormat, CsvPosition, CsvProblem, CsvRow } from './read-options.js';

export interface State {
  format: CsvFormat;
  it: AsyncIterator<Buffer>;
  queue: CsvRow[];
  done: boolean;
  /** Decodes and parses one source chunk; rows land in `queue`. */
  push(chunk: Buffer): void;
  /** Ends the input. */
  finish(): void;
}

/** The reader's settings the parser needs. */
export interface ParserSettings {
  /** The source's name, for messages. */
  name: string | undefined;
  trim: boolean;
  maxField: number;
  maxRecord: number;
  /** Rows carry their end position. */
  offsets: boolean;
}

/**
 * The record engine and what turns its records into rows. Without `header`, the first record read is the
 * header line (checked, not a row). `at` is where the bytes fed begin: source offset, rows and line before it.
 * Long because the per-record closure and the state it shares (line, offset, header) are kept in one scope:
 * it runs once per row.
 */
export function rowParser(
  settings: ParserSettings,
  it: AsyncIterator<Buffer>,
  done: boolean,
  feed: Utf8Feed,
  format: CsvFormat,
  at: CsvPosition,
  header: string[] | undefined,
) {
  const name = settings.name;
  let headerFields: { fields: string[]; line: number } | undefined =
    header === undefined ? undefined : { fields: header, line: format.line };
  let headerProblem: EngineProblem | undefined;
  const state: State = {
    format,
    it,
    queue: [],
    done,
    push: () => {},
    finish: () => {},
  };
  let rows = at.row;
  let names: string[] = header ?? [];
  let sawNul = false;
  let headerError: unknown;
  // Engine offsets count the UTF-8 bytes fed; they are source offsets only when the source is UTF-8.
  const positions = settings.offsets && feed.encoding === 'utf-8';
  const base = at.offset;
  const engine = new RecordEngine(
    format.delimiter,
    format.lineBreaks,
    settings.maxRecord,
    {
      record: (fields, line) => {
        if (fields.length === 1 && (fields[0] as string).trim() === '') return; // a blank line
        if (headerFields === undefined) {
          if (headerProblem !== undefined) return;
          headerFields = { fields, line };
          try {
            names = checkHeader(fields, line, name);
          } catch (error) {
            headerError = error;
          }
          return;
        }
        if (headerError !== undefined) return;
        rows++;
        const item = recordRow(fields, line, rows, names, settings, engine, feed, sawNul);
        if (positions) item.end = { offset: base + engine.recordEnd(), row: rows, line: engine.nextLine };
        state.queue.push(item);
      },
      problem: (problem) => {
        if (headerFields === undefined) {
          headerProblem ??= problem;
          return;
        }
        rows++;
        const { line, end, ...rest } = problem;
        const item: CsvRow = { row: rows, line, problem: rest };
        if (positions && end !== undefined) item.end = { offset: base + end, row: rows, line: engine.nextLine };
        state.queue.push(item);
      },
    },
    at.line,
  );
  const feedChecked = (bytes: Buffer): void => {
    if (!sawNul && bytes.indexOf(0) !== -1) sawNul = true;
    engine.feed(bytes);
  };
  state.push = (chunk) => feedChecked(feed.push(chunk));
  state.finish = () => {
    feedChecked(feed.end());
    engine.end();
  };
  return {
    state,
    feedChecked,
    /** The checked header names, once the header line was read; throws its `InputError` if it is bad. */
    header: (): string[] | undefined => {
      if (headerError !== undefined) throw headerError;
      return headerFields === undefined ? undefined : names;
    },
    headerLine: (): number => headerFields?.line ?? format.line,
    headerProblem: (): EngineProblem | undefined => headerProblem,
  };
}

/** A record as a row: its values by header name, or a problem (another width, a field too large, bad bytes). */
function recordRow(
  fields: string[],
  line: number,
  row: number,
  names: string[],
  settings: ParserSettings,
  engine: RecordEngine,
  feed: Utf8Feed,
  sawNul: boolean,
): CsvRow {
  const width = names.length;
  if (fields.length !== width) {
    const more = fields.length > width;
    return {
      row,
      line,
      problem: {
        code: more ? 'CSV_TOO_MANY_FIELDS' : 'CSV_TOO_FEW_FIELDS',
        message: `Row has ${fields.length} field(s) but the header has ${width} column(s)`,
        raw: engine.raw(),
      },
    };
  }
  const { trim, maxField } = settings;
  const record: Record<string, string> = {};
  let problem: CsvProblem | undefined;
  for (let i = 0; i < width; i++) {
    const value = fields[i] as string;
    if (value.length * 3 > maxField && Buffer.byteLength(value) > maxField) {
      problem ??= {
        code: 'CSV_FIELD_TOO_LARGE',
        message: `Column "${names[i]}" holds ${Buffer.byteLength(value)} bytes, more than maxFieldBytes (${maxField})`,
        raw: engine.raw(),
      };
    }
    record[names[i] as string] = trim ? value.trim() : value;
  }
  if (problem === undefined && feed.invalid) problem = encodingProblem(fields, feed.encoding, () => engine.raw());
  if (problem === undefined && sawNul) problem = nulProblem(fields, () => engine.raw());
  return problem === undefined ? { row, line, record } : { row, line, problem };
}

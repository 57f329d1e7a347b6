import { InputError, OUTCOME_CODES, type RowOutcome, type SalesforceError, type SalesforceRecord } from '@kicksaw/core';
import { type Batched, batchesOf, flatIterator } from './batches.js';
import { type Compiled, compileSpec } from './map-fields.js';
import { checkMappingShape } from './mapping-check.js';
import type { CsvRow } from './read.js';

/** A value a mapped field may take; `null` is written as `#N/A` (set the field to null). */
export type FieldValue = string | number | boolean | null;

/** How a source column's text is coerced. */
export type FieldType = 'string' | 'date' | 'datetime' | 'number' | 'integer' | 'boolean';

/**
 * A field read from a source column, with optional coercion.
 *
 * @example
 * ```ts
 * const spec: ColumnSpec = { from: 'Start', type: 'datetime', format: 'dd/MM/yyyy HH:mm', timeZone: 'Europe/Paris' };
 * ```
 */
export interface ColumnSpec {
  /** The source column (header name, trimmed). */
  from: string;
  /** Default `'string'`. */
  type?: FieldType;
  /**
   * For `date` and `datetime`: the format(s) of the source, tried in order, e.g. `'dd/MM/yyyy'`, `'MM/dd/yyyy'`,
   * `'yyyyMMdd'`, `'dd/MM/yyyy HH:mm'`, `'MM/dd/yyyy hh:mm a'`. Default ISO (`yyyy-MM-dd`, and for datetimes
   * `yyyy-MM-ddTHH:mm:ss` with optional fraction and offset). Tokens are listed on {@link compileFormat}.
   */
  format?: string | readonly string[];
  /** For `datetime` values without an offset: the IANA zone they are in, e.g. `'Europe/Paris'`. Default `'UTC'`. */
  timeZone?: string;
  /** For `number`/`integer`. Default `'.'`. */
  decimalSeparator?: string;
  /** For `number`/`integer`, e.g. `','` or `' '` (also matches no-break spaces). Default: none accepted. */
  thousandsSeparator?: string;
  /** Trim white space first. Default `true` for every type but `string`, where it is `false`. */
  trim?: boolean;
  /** An empty value: `'leave'` (default: written empty, Salesforce leaves the field as is) or `'null'` (`#N/A`). */
  empty?: 'leave' | 'null';
}

/** A constant value for every row. */
export interface ConstantSpec {
  value: FieldValue;
}

/** A value computed from the whole source record; throwing makes the row a problem. */
export interface DerivedSpec {
  derive: (record: Record<string, string>, row: number) => FieldValue | undefined;
}

/** How one Salesforce field is filled: a source column name (copied as is), or a spec. */
export type FieldSpec = string | ColumnSpec | ConstantSpec | DerivedSpec;

/**
 * A declarative mapping from source columns to Salesforce fields.
 *
 * @example
 * ```ts
 * const mapping: Mapping = { fields: { LastName: 'Last Name', LeadSource: { value: 'Web' } }, passthrough: true, drop: ['Notes'] };
 * ```
 */
export interface Mapping {
  /** Salesforce field name to how it is filled, in output order. */
  fields: Record<string, FieldSpec>;
  /** With `passthrough`: source columns not to copy. */
  drop?: readonly string[];
  /** Also copy every source column not used by `fields` (nor in `drop`) under its own name. Default `false`. */
  passthrough?: boolean;
}

/** The result of mapping one record. */
export type MapResult = { ok: true; record: SalesforceRecord } | { ok: false; errors: SalesforceError[] };

/** A compiled mapping: call it per record. */
export interface Mapper {
  (record: Record<string, string>, row: number): MapResult;
  /** The source columns the mapping reads. */
  readonly columns: readonly string[];
  /**
   * Throws an `InputError` (code `CSV_MISSING_COLUMN`) when the header lacks a column the mapping reads; with
   * `passthrough`, fixes the passthrough columns. Returns the output field names (the columns to write, e.g. a Bulk job's header).
   */
  check(header: readonly string[], source?: string): string[];
  /** The output field names; with `passthrough`, known once `check` ran (or the first record was mapped). */
  fields(): string[];
}

/** The status code of a value that cannot be coerced: core's `OUTCOME_CODES.INVALID_VALUE`. */
export const INVALID_VALUE = OUTCOME_CODES.INVALID_VALUE;

/**
 * Compiles a {@link Mapping} into a function from a source record to a Salesforce record, or to the errors of
 * every value that cannot be coerced (`statusCode` `KICKSAW_INVALID_VALUE`, `fields` the Salesforce field, the
 * message naming the column and the value). Configuration mistakes throw a `ConfigError` here, not per row.
 *
 * @example
 * ```ts
 * const map = createMapper({
 *   fields: {
 *     LastName: 'Last Name',
 *     Birthdate: { from: 'Born', type: 'date', format: 'dd/MM/yyyy', empty: 'null' },
 *     Amount__c: { from: 'Amount', type: 'number', decimalSeparator: ',', thousandsSeparator: '.' },
 *     LeadSource: { value: 'Import' },
 *   },
 * });
 * map({ 'Last Name': 'Doe', Born: '31/01/1990', Amount: '1.234,50' }, 1);
 * // { ok: true, record: { LastName: 'Doe', Birthdate: '1990-01-31', Amount__c: '1234.50', LeadSource: 'Import' } }
 * ```
 */
export function createMapper(mapping: Mapping): Mapper {
  checkMappingShape(mapping);
  const names: string[] = [];
  const compiled: Compiled[] = [];
  const columns = new Set<string>();
  for (const [field, spec] of Object.entries(mapping.fields)) {
    names.push(field);
    compiled.push(compileSpec(field, spec, columns));
  }
  const drop = new Set(mapping.drop ?? []);
  const passthrough = mapping.passthrough === true;
  let extra: string[] | undefined = passthrough ? undefined : [];

  const passthroughFor = (header: readonly string[]): string[] =>
    header.filter((column) => !columns.has(column) && !drop.has(column) && !names.includes(column));

  const mapper = ((record: Record<string, string>, row: number): MapResult => {
    const errors: SalesforceError[] = [];
    const out: SalesforceRecord = {};
    for (let i = 0; i < compiled.length; i++) {
      const value = (compiled[i] as Compiled)(record, row, errors);
      if (value !== undefined) out[names[i] as string] = value;
    }
    extra ??= passthroughFor(Object.keys(record));
    for (const column of extra) {
      const value = record[column];
      if (value !== undefined) out[column] = value;
    }
    return errors.length === 0 ? { ok: true, record: out } : { ok: false, errors };
  }) as Mapper;
  Object.defineProperty(mapper, 'columns', { value: Object.freeze([...columns]), enumerable: true });
  mapper.check = (header, source) => {
    const have = new Set(header);
    const missing = [...columns].filter((column) => !have.has(column));
    if (missing.length > 0) {
      const list = missing.map((c) => JSON.stringify(c)).join(', ');
      throw new InputError(
        `The file has no column ${list} that the mapping reads; its columns are ${header.map((c) => JSON.stringify(c)).join(', ')}`,
        { code: 'CSV_MISSING_COLUMN', source, field: missing[0] },
      );
    }
    if (passthrough) extra = passthroughFor(header);
    return mapper.fields();
  };
  mapper.fields = () => [...names, ...(extra ?? [])];
  return mapper;
}

/**
 * One item of {@link mapRows}: a mapped record, or a row that failed reading or mapping.
 *
 * @example
 * ```ts
 * if (item.ok) send(item.row, item.record);
 * else report(problemOutcome(item)); // item.errors say why
 * ```
 */
export type MappedRow =
  | { ok: true; row: number; line: number; record: SalesforceRecord; source: Record<string, string> }
  | {
      ok: false;
      row: number;
      line: number;
      errors: SalesforceError[];
      /** The source record; `undefined` when the row could not be read at all. */
      source: Record<string, string> | undefined;
      /** The raw text, for a row that could not be read. */
      raw?: string;
    };

/**
 * Maps rows from {@link readCsv} through a mapping: yields `{ ok: true, row, line, record }` for each good row and
 * `{ ok: false, row, line, errors }` for a row that could not be read (its problem as a `SalesforceError` whose
 * `statusCode` is the problem code) or mapped. When `rows` is a `readCsv` reader, the header is checked against
 * the mapping before the first row (an `InputError` naming missing columns); otherwise the first record is.
 * {@link problemOutcome} turns an `ok: false` row into its failed `RowOutcome`.
 *
 * @example
 * ```ts
 * for await (const item of mapRows(readCsv('in.csv'), { fields: { LastName: 'Last Name' } })) {
 *   if (item.ok) good.push(item); else failed.push(problemOutcome(item));
 * }
 * ```
 */
export function mapRows(
  rows: AsyncIterable<CsvRow> | Iterable<CsvRow>,
  mapping: Mapping | Mapper,
  options: { source?: string } = {},
): Batched<MappedRow> {
  const mapper = typeof mapping === 'function' ? mapping : createMapper(mapping);
  let used = false;
  async function* batches(): AsyncGenerator<MappedRow[], void, undefined> {
    let checked = false;
    const reader = rows as { header?: unknown };
    if (typeof reader.header === 'function') {
      mapper.check(await (reader.header as () => Promise<string[]>)(), options.source);
      checked = true;
    }
    for await (const batch of batchesOf(rows)) {
      const out: MappedRow[] = new Array(batch.length);
      for (let i = 0; i < batch.length; i++) {
        const item = batch[i] as CsvRow;
        if ('problem' in item) {
          const { code, message, raw } = item.problem;
          out[i] = {
            ok: false,
            row: item.row,
            line: item.line,
            errors: [{ statusCode: code, message, fields: [] }],
            source: undefined,
            raw,
          };
          continue;
        }
        if (!checked) {
          mapper.check(Object.keys(item.record), options.source);
          checked = true;
        }
        const result = mapper(item.record, item.row);
        out[i] = result.ok
          ? { ok: true, row: item.row, line: item.line, record: result.record, source: item.record }
          : { ok: false, row: item.row, line: item.line, errors: result.errors, source: item.record };
      }
      yield out;
    }
  }
  return {
    batches() {
      if (used) throw new Error('mapRows: this result was already iterated');
      used = true;
      return batches();
    },
    [Symbol.asyncIterator]() {
      return flatIterator(this.batches());
    },
  };
}

/**
 * The `failed` {@link RowOutcome} of a row that failed reading or mapping (never sent: `attempts` 0). Its `record`
 * is the source record, or `{ raw }` (the row's text) when it could not be read.
 *
 * @example
 * ```ts
 * if (!item.ok) await report.write(problemOutcome(item));
 * ```
 */
export function problemOutcome(item: Extract<MappedRow, { ok: false }>): RowOutcome<Record<string, string>> {
  return {
    row: item.row,
    line: item.line,
    status: 'failed',
    id: null,
    created: false,
    errors: item.errors,
    record: item.source ?? { raw: item.raw ?? '' },
    attempts: 0,
  };
}

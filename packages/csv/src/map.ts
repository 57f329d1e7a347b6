import {
  ConfigError,
  InputError,
  OUTCOME_CODES,
  type RowOutcome,
  type SalesforceError,
  type SalesforceRecord,
} from '@kicksaw/core';
import { type Batched, batchesOf, flatIterator } from './batches.js';
import {
  cachedZoneOffsetFor,
  checkTimeZone,
  compileFormat,
  type DateFormat,
  ISO_FORMAT,
  invalidParts,
  isoDate,
  isoDateTime,
  parseBoolean,
  parseNumber,
} from './coerce.js';
import { checkMappingShape, specKind } from './mapping-check.js';
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

type Compiled = (record: Record<string, string>, row: number, errors: SalesforceError[]) => FieldValue | undefined;

function show(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}

function compileColumn(field: string, spec: ColumnSpec): Compiled {
  const column = spec.from;
  const type = spec.type ?? 'string';
  const trim = spec.trim ?? type !== 'string';
  const emptyValue = spec.empty === 'null' ? null : '';
  const fail = (errors: SalesforceError[], value: string, why: string): undefined => {
    errors.push({
      statusCode: INVALID_VALUE,
      message: `Column "${column}" value ${show(value)} ${why}`,
      fields: [field],
    });
    return undefined;
  };
  let coerce: (value: string, errors: SalesforceError[]) => FieldValue | undefined;
  switch (type) {
    case 'string':
      coerce = (value) => value;
      break;
    case 'boolean':
      coerce = (value, errors) =>
        parseBoolean(value) ?? fail(errors, value, 'is not a boolean (yes/no, y/n, true/false, 1/0)');
      break;
    case 'number':
    case 'integer': {
      const format = {
        decimalSeparator: spec.decimalSeparator ?? '.',
        thousandsSeparator: spec.thousandsSeparator,
      };
      if (format.decimalSeparator === '' || format.decimalSeparator === format.thousandsSeparator) {
        throw new ConfigError('must be set and differ from thousandsSeparator', {
          setting: `fields.${field}.decimalSeparator`,
        });
      }
      const integer = type === 'integer';
      coerce = (value, errors) => {
        const parsed = parseNumber(value, format);
        if (parsed === undefined) return fail(errors, value, `is not a number${describeNumber(format)}`);
        if (!integer) return parsed;
        const [whole, fraction] = parsed.split('.');
        if (fraction !== undefined && /[1-9]/.test(fraction)) return fail(errors, value, 'is not a whole number');
        return whole as string;
      };
      break;
    }
    case 'date':
    case 'datetime': {
      const formats: DateFormat[] =
        spec.format === undefined
          ? [type === 'date' ? compileFormat('yyyy-MM-dd') : ISO_FORMAT]
          : (typeof spec.format === 'string' ? [spec.format] : [...spec.format]).map(compileFormat);
      if (formats.length === 0) throw new ConfigError('lists no format', { setting: `fields.${field}.format` });
      const expected = formats.map((f) => f.format).join(' or ');
      const timeZone = type === 'datetime' ? checkTimeZone(spec.timeZone ?? 'UTC') : 'UTC';
      coerce = (value, errors) => {
        let parts: ReturnType<DateFormat['parse']>;
        for (const format of formats) {
          parts = format.parse(value);
          if (parts !== undefined) break;
        }
        if (parts === undefined) return fail(errors, value, `does not match the ${type} format ${expected}`);
        const invalid = invalidParts(parts);
        if (invalid !== undefined) return fail(errors, value, `is not a valid ${type}: ${invalid}`);
        if (type === 'date') return isoDate(parts);
        const offset = parts.offset ?? cachedZoneOffsetFor(parts, timeZone);
        if (offset === undefined) {
          return fail(errors, value, `does not exist in time zone ${timeZone} (skipped by a daylight-saving change)`);
        }
        return isoDateTime(parts, offset);
      };
      break;
    }
    default:
      // checkMappingShape refused any other type before compiling.
      throw new Error(`unreachable: field type ${String(type satisfies never)}`);
  }
  return (record, _row, errors) => {
    const raw = record[column];
    if (raw === undefined) return undefined;
    const value = trim ? raw.trim() : raw;
    if (value === '') return emptyValue;
    return coerce(value, errors);
  };
}

function describeNumber(format: { decimalSeparator: string; thousandsSeparator: string | undefined }): string {
  const thousands =
    format.thousandsSeparator === undefined
      ? 'no thousands separator'
      : `thousands separator "${format.thousandsSeparator}"`;
  return ` (decimal separator "${format.decimalSeparator}", ${thousands})`;
}

/** One field's spec compiled (by {@link specKind}, the same dispatch as the shape check); the columns it reads into `columns`. */
function compileSpec(field: string, spec: FieldSpec, columns: Set<string>): Compiled {
  switch (specKind(spec)) {
    case 'name': {
      const column = spec as string;
      columns.add(column);
      return (record) => record[column];
    }
    case 'column':
      columns.add((spec as ColumnSpec).from);
      return compileColumn(field, spec as ColumnSpec);
    case 'constant': {
      const value = (spec as ConstantSpec).value;
      return () => value;
    }
    case 'derived':
      return compileDerived(field, (spec as DerivedSpec).derive);
    default:
      // checkMappingShape refused any other spec before compiling.
      throw new Error(`unreachable: field spec of ${field}`);
  }
}

function compileDerived(field: string, derive: DerivedSpec['derive']): Compiled {
  return (record, row, errors) => {
    try {
      return derive(record, row);
    } catch (error) {
      errors.push({
        statusCode: INVALID_VALUE,
        message: `Field ${field} could not be derived: ${error instanceof Error ? error.message : String(error)}`,
        fields: [field],
      });
      return undefined;
    }
  };
}

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

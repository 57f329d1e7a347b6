// Literals of a condition: unquoting, and typing each literal against the field it is compared with.
import { OrgError, type OrgRecord } from '../contract.js';
import { normalizeId } from '../ids.js';
import { formatDateTime, parseDate, parseDateTimeMillis } from '../org/values.js';
import type { CompiledField } from '../schema/compile.js';
import { dateLiteralRange } from './dates.js';
import { malformed, positioned, unsupported } from './errors.js';

/** A string literal's text: quotes removed, backslash escapes resolved. */
export function unquote(literal: string): string {
  const inner = literal.startsWith("'") && literal.endsWith("'") ? literal.slice(1, -1) : literal;
  return inner.replace(/\\(.)/g, (_, char: string) => {
    switch (char) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      default:
        return char;
    }
  });
}

/** The left side of a condition: what it reads and the type its literals must have. */
export interface Operand {
  /** The field or function as written (positions error messages). */
  rawField: string;
  field: { name: string; length: number };
  type: CompiledField['valueType'];
  get: (record: OrgRecord) => unknown;
}

/** An operand with the query text, its clock and its type classes: what literals and operators are checked by. */
export interface Filter extends Operand {
  soql: string;
  now: Date;
  isText: boolean;
  isId: boolean;
  isNumber: boolean;
  /** The type as Salesforce names it in messages (`dateTime`, `id`). */
  typeName: string;
}

/** A date literal (`TODAY`, `LAST_N_DAYS:7`) as a half-open range of dates or datetimes. */
export interface DateRange {
  range: true;
  start: string;
  end: string;
}

export function isRange(value: unknown): value is DateRange {
  return typeof value === 'object' && value !== null && 'range' in value;
}

export function filterOf(operand: Operand, soql: string, now: Date): Filter {
  const { type } = operand;
  return {
    ...operand,
    soql,
    now,
    isText: ['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist'].includes(type),
    isId: type === 'id' || type === 'reference',
    isNumber: ['int', 'double', 'currency', 'percent'].includes(type),
    typeName: type === 'datetime' ? 'dateTime' : type === 'reference' ? 'id' : type,
  };
}

/** The literals of a condition as written, and each converted to a comparable value (or a date range). */
export function literalValues(
  filter: Filter,
  condition: Record<string, unknown>,
): { raw: string[]; values: unknown[] } {
  const literalTypes = condition.literalType as string | string[] | undefined;
  const values = condition.value as string | string[];
  const nValues = condition.dateLiteralVariable as number | number[] | undefined;
  const raw = Array.isArray(values) ? values : [values];
  const types = Array.isArray(literalTypes) ? literalTypes : raw.map(() => literalTypes ?? 'STRING');
  const ns = Array.isArray(nValues) ? nValues : raw.map(() => nValues);
  return { raw, values: raw.map((text, index) => literalValue(filter, text, types[index] ?? 'STRING', ns[index])) };
}

function wrongType(filter: Filter, quoted: boolean): OrgError {
  const { name } = filter.field;
  return new OrgError(
    'INVALID_QUERY_FILTER_OPERATOR',
    positioned(
      filter.soql,
      filter.rawField,
      quoted
        ? `value of filter criterion for field '${name}' must be of type ${filter.typeName} and should not be enclosed in quotes`
        : `value of filter criterion for field '${name}' must be of type ${filter.typeName} and should be enclosed in quotes`,
    ),
  );
}

/** Converts one literal into a comparable value, or a day range for date literals. */
function literalValue(filter: Filter, raw: string, literalType: string, n: number | undefined): unknown {
  const { type } = filter;
  switch (literalType) {
    case 'NULL':
      return null;
    case 'STRING':
      return stringLiteral(filter, raw);
    case 'INTEGER':
    case 'DECIMAL': {
      if (!filter.isNumber) throw wrongType(filter, false);
      return Number(raw);
    }
    case 'BOOLEAN': {
      if (type !== 'boolean') throw wrongType(filter, !filter.isText && !filter.isId);
      return raw.toUpperCase() === 'TRUE';
    }
    case 'DATE': {
      if (type !== 'date') throw wrongType(filter, false);
      const date = parseDate(raw);
      if (!date) throw malformed(positioned(filter.soql, raw, `invalid date: ${raw}`));
      return date;
    }
    case 'DATETIME': {
      if (type !== 'datetime') throw wrongType(filter, false);
      const millis = parseDateTimeMillis(raw);
      if (millis === undefined) throw malformed(positioned(filter.soql, raw, `invalid dateTime: ${raw}`));
      return formatDateTime(millis);
    }
    case 'DATE_LITERAL':
    case 'DATE_N_LITERAL':
      return dateLiteral(filter, raw, n);
    case 'APEX_BIND_VARIABLE':
      throw unsupported(`The bind variable :${raw}`);
    default:
      throw unsupported(`The literal ${raw} (${literalType})`);
  }
}

/** A quoted literal: lower-cased text for text fields, an 18-character id for ids, a time as written. */
function stringLiteral(filter: Filter, raw: string): unknown {
  const text = unquote(raw);
  if (filter.isText) return text.toLowerCase();
  if (filter.isId) {
    const id = normalizeId(text);
    if (!id) {
      throw new OrgError(
        'INVALID_QUERY_FILTER_OPERATOR',
        positioned(filter.soql, filter.rawField, `invalid ID field: ${text}`),
      );
    }
    return id;
  }
  if (filter.type === 'time') return text;
  throw wrongType(filter, true);
}

function dateLiteral(filter: Filter, raw: string, n: number | undefined): DateRange {
  const { type } = filter;
  if (type !== 'date' && type !== 'datetime') throw wrongType(filter, false);
  const name = raw.split(':')[0]!;
  const range = dateLiteralRange(name, filter.now, n ?? 1);
  if (!range) throw unsupported(`The date literal ${raw}`);
  const format =
    type === 'date'
      ? (millis: number) => new Date(millis).toISOString().slice(0, 10)
      : (millis: number) => formatDateTime(millis);
  return { range: true, start: format(range.start), end: format(range.end) };
}

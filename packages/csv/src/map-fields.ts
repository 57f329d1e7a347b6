// One field of a Mapping compiled into a function of the source record: a column coerced to its type (text,
// boolean, number, date, datetime), a constant, or a derived value. Called per row: the closures hold what is known
// at compile time (formats, separators, the time zone), so a row pays only for its own value.
import { ConfigError, OUTCOME_CODES, type SalesforceError } from '@kicksaw/core';
import { parseBoolean, parseNumber } from './coerce.js';
import { compileFormat, type DateFormat, ISO_FORMAT, invalidParts, isoDate, isoDateTime } from './date-formats.js';
import type { ColumnSpec, ConstantSpec, DerivedSpec, FieldSpec, FieldValue } from './map.js';
import { specKind } from './mapping-check.js';
import { cachedZoneOffsetFor, checkTimeZone } from './time-zones.js';

export type Compiled = (
  record: Record<string, string>,
  row: number,
  errors: SalesforceError[],
) => FieldValue | undefined;

type Coerce = (value: string, errors: SalesforceError[]) => FieldValue | undefined;
type Fail = (errors: SalesforceError[], value: string, why: string) => undefined;

function show(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}

function compileColumn(field: string, spec: ColumnSpec): Compiled {
  const column = spec.from;
  const type = spec.type ?? 'string';
  const trim = spec.trim ?? type !== 'string';
  const emptyValue = spec.empty === 'null' ? null : '';
  const fail: Fail = (errors, value, why) => {
    errors.push({
      statusCode: OUTCOME_CODES.INVALID_VALUE,
      message: `Column "${column}" value ${show(value)} ${why}`,
      fields: [field],
    });
    return undefined;
  };
  let coerce: Coerce;
  switch (type) {
    case 'string':
      coerce = (value) => value;
      break;
    case 'boolean':
      coerce = (value, errors) =>
        parseBoolean(value) ?? fail(errors, value, 'is not a boolean (yes/no, y/n, true/false, 1/0)');
      break;
    case 'number':
    case 'integer':
      coerce = numberCoercer(field, spec, type, fail);
      break;
    case 'date':
    case 'datetime':
      coerce = dateCoercer(field, spec, type, fail);
      break;
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

/** A number or integer column's coercion: `format`'s separators, checked here. */
function numberCoercer(field: string, spec: ColumnSpec, type: 'number' | 'integer', fail: Fail): Coerce {
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
  return (value, errors) => {
    const parsed = parseNumber(value, format);
    if (parsed === undefined) return fail(errors, value, `is not a number${describeNumber(format)}`);
    if (!integer) return parsed;
    const [whole, fraction] = parsed.split('.');
    if (fraction !== undefined && /[1-9]/.test(fraction)) return fail(errors, value, 'is not a whole number');
    return whole as string;
  };
}

/** A date or datetime column's coercion: its formats and time zone, checked here. */
function dateCoercer(field: string, spec: ColumnSpec, type: 'date' | 'datetime', fail: Fail): Coerce {
  const formats: DateFormat[] =
    spec.format === undefined
      ? [type === 'date' ? compileFormat('yyyy-MM-dd') : ISO_FORMAT]
      : (typeof spec.format === 'string' ? [spec.format] : [...spec.format]).map(compileFormat);
  if (formats.length === 0) throw new ConfigError('lists no format', { setting: `fields.${field}.format` });
  const expected = formats.map((f) => f.format).join(' or ');
  const timeZone = type === 'datetime' ? checkTimeZone(spec.timeZone ?? 'UTC') : 'UTC';
  return (value, errors) => {
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
}

function describeNumber(format: { decimalSeparator: string; thousandsSeparator: string | undefined }): string {
  const thousands =
    format.thousandsSeparator === undefined
      ? 'no thousands separator'
      : `thousands separator "${format.thousandsSeparator}"`;
  return ` (decimal separator "${format.decimalSeparator}", ${thousands})`;
}

/** One field's spec compiled (by {@link specKind}, the same dispatch as the shape check); the columns it reads into `columns`. */
export function compileSpec(field: string, spec: FieldSpec, columns: Set<string>): Compiled {
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
        statusCode: OUTCOME_CODES.INVALID_VALUE,
        message: `Field ${field} could not be derived: ${error instanceof Error ? error.message : String(error)}`,
        fields: [field],
      });
      return undefined;
    }
  };
}

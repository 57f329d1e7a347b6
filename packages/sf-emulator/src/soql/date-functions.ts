// Date functions in a condition: CALENDAR_YEAR, DAY_IN_WEEK, HOUR_IN_DAY, DAY_ONLY, the FISCAL_ forms, ...
import type { FunctionExp } from '@jetstreamapp/soql-parser-js';
import type { OrgRecord } from '../contract.js';
import type { CompiledField } from '../schema/compile.js';
import { malformed, positioned, unsupported } from './errors.js';
import type { FieldPath, ValueReader } from './types.js';

/** What a date function reads: its value type and its value for a record. */
export interface DateFunction {
  type: CompiledField['valueType'];
  get: (record: OrgRecord) => unknown;
}

/** The field a date function applies to, as written; throws when it takes anything else. */
export function dateFunctionParameter(fn: FunctionExp): string {
  const name = String(fn.functionName ?? '').toUpperCase();
  const parameter = fn.parameters?.[0];
  if (typeof parameter !== 'string' || (fn.parameters?.length ?? 0) !== 1) {
    throw unsupported(`The function ${fn.rawValue ?? name} in WHERE`);
  }
  return parameter;
}

/** The parts of a date or datetime value, in UTC. */
function dateParts(value: unknown) {
  const text = String(value);
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  const hour = text.length > 10 ? Number(text.slice(11, 13)) : 0;
  const utc = Date.UTC(year, month - 1, day);
  const dayOfYear = Math.round((utc - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
  return { year, month, day, hour, dayOfYear, weekday: new Date(utc).getUTCDay() + 1 };
}

type DateParts = ReturnType<typeof dateParts>;

/** The integer parts the CALENDAR_ functions (and DAY_IN_ / WEEK_IN_) read. */
const PARTS: Record<string, (p: DateParts) => number> = {
  CALENDAR_YEAR: (p) => p.year,
  CALENDAR_QUARTER: (p) => Math.ceil(p.month / 3),
  CALENDAR_MONTH: (p) => p.month,
  DAY_IN_MONTH: (p) => p.day,
  DAY_IN_WEEK: (p) => p.weekday,
  DAY_IN_YEAR: (p) => p.dayOfYear,
  WEEK_IN_MONTH: (p) => Math.ceil(p.day / 7),
  WEEK_IN_YEAR: (p) => Math.ceil(p.dayOfYear / 7),
};

/**
 * Date functions in WHERE: CALENDAR_YEAR, CALENDAR_QUARTER, CALENDAR_MONTH, DAY_IN_MONTH, DAY_IN_WEEK (1 =
 * Sunday), DAY_IN_YEAR, WEEK_IN_MONTH, WEEK_IN_YEAR, HOUR_IN_DAY, DAY_ONLY, and the FISCAL_ forms (the fiscal
 * year is the calendar year). Values are taken in UTC. `path` is the resolved `parameter`.
 */
export function dateFunction(
  fn: FunctionExp,
  parameter: string,
  path: FieldPath,
  reader: ValueReader,
  soql: string,
): DateFunction {
  const name = String(fn.functionName ?? '').toUpperCase();
  const fieldType = path.field.valueType;
  if (fieldType !== 'date' && fieldType !== 'datetime') {
    throw malformed(positioned(soql, parameter, `${name} needs a date or dateTime field: ${path.field.name}`));
  }
  const read = (convert: (value: unknown) => unknown) => (record: OrgRecord) => {
    const value = reader.valueAt(path, record);
    return value === null ? null : convert(value);
  };
  const canonical = name.replace(/^FISCAL_/, 'CALENDAR_');
  const pick = PARTS[canonical];
  if (pick) return { type: 'int', get: read((value) => pick(dateParts(value))) };
  if (canonical === 'HOUR_IN_DAY') {
    if (fieldType !== 'datetime') throw malformed(`HOUR_IN_DAY needs a dateTime field: ${path.field.name}`);
    return { type: 'int', get: read((value) => dateParts(value).hour) };
  }
  if (canonical === 'DAY_ONLY') {
    if (fieldType !== 'datetime') throw malformed(`DAY_ONLY needs a dateTime field: ${path.field.name}`);
    return { type: 'date', get: read((value) => String(value).slice(0, 10)) };
  }
  throw unsupported(`The function ${fn.rawValue ?? name} in WHERE`);
}

/**
 * Value coercion and type checks, one field at a time, as Salesforce does them on insert and update:
 * JSON values from REST (numbers, booleans, strings) and CSV strings from Bulk API 2.0.
 */
import type { DmlError } from '../contract.js';
import type { CompiledField } from '../schema/compile.js';

/** A value that failed coercion. Allocated only on failure. */
export class ValueProblem {
  constructor(readonly error: DmlError) {}
}

function problem(statusCode: string, message: string, field: CompiledField): ValueProblem {
  return new ValueProblem({ statusCode, message, fields: [field.name] });
}

function showValue(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The `value not of required type` error. */
export function typeProblem(field: CompiledField, value: unknown): ValueProblem {
  return problem(
    'INVALID_TYPE_ON_FIELD_IN_RECORD',
    `${field.label}: value not of required type: ${showValue(value)}`,
    field,
  );
}

const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})$/i;
const TIME_RE = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?Z?$/i;
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The number written by `count` decimal digits of `value` from `start`, or -1 when one of them is not a digit. */
export function digits(value: string, start: number, count: number): number {
  let out = 0;
  for (let index = start; index < start + count; index++) {
    const code = value.charCodeAt(index) - 48;
    if (code < 0 || code > 9) return -1;
    out = out * 10 + code;
  }
  return out;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Parses `yyyy-MM-dd` into the same text when it is a real calendar date: one string instance for each date, the one
 * given last time for that date when its slot still holds it, else `value` (kept for the next time; see
 * {@link CanonicalTexts}).
 */
export function parseDate(value: string): string | undefined {
  if (value.length !== 10 || value.charCodeAt(4) !== 45 || value.charCodeAt(7) !== 45) return undefined;
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const key = (year * 16 + month) * 32 + day;
  return DATE_TEXTS.get(key, key) ?? DATE_TEXTS.set(key, key, value);
}

/**
 * The last texts made for dates and datetimes, by a number of their parts (direct-mapped: one text a slot, the
 * slot from the number). A column of dates or datetimes keeps each distinct value once, in a dictionary; a Bulk
 * insert coerced a new string a row (a datetime's was built, a date's was the CSV cell) and the column hashed and
 * compared it to find its code. A text found here is the one given before for the same value, so it is found in the
 * dictionary by identity with the hash it keeps, and no text is built. The value is the same text either way.
 */
class CanonicalTexts {
  private readonly keys: Float64Array;
  private readonly texts: string[];
  private readonly mask: number;

  constructor(bits: number) {
    this.keys = new Float64Array(1 << bits).fill(-1);
    this.texts = new Array<string>(1 << bits).fill('');
    this.mask = (1 << bits) - 1;
  }

  /** The text kept for `key` (a non-negative integer below 2^53, `slot` any integer), or undefined. */
  get(key: number, slot: number): string | undefined {
    const at = slot & this.mask;
    return this.keys[at] === key ? this.texts[at] : undefined;
  }

  /** Keeps `text` for `key` (replacing what its slot held) and gives it back. */
  set(key: number, slot: number, text: string): string {
    const at = slot & this.mask;
    this.keys[at] = key;
    this.texts[at] = text;
    return text;
  }
}

const DATE_TEXTS = new CanonicalTexts(12);
const DATETIME_TEXTS = new CanonicalTexts(12);

/** Formats epoch milliseconds as Salesforce REST does: `2024-01-15T10:30:00.000+0000`. */
export function formatDateTime(millis: number): string {
  return `${new Date(millis).toISOString().slice(0, 23)}+0000`;
}

/** Epoch milliseconds of an ISO datetime with `Z` or an offset; undefined when malformed. */
export function parseDateTimeMillis(value: string): number | undefined {
  const match = DATETIME_RE.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59) {
    return undefined;
  }
  if (second > 59) return undefined;
  const millis = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  let time = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const offsetDigits = zone.slice(1).replace(':', '');
    const offset = Number(offsetDigits.slice(0, 2)) * 60 + Number(offsetDigits.slice(2, 4));
    time -= sign * offset * 60_000;
  }
  return time;
}

/**
 * Fast path for the common UTC forms `yyyy-MM-ddTHH:mm:ssZ` and `yyyy-MM-ddTHH:mm:ss.SSSZ`: validates and
 * formats without a Date object. Undefined when the value has another shape.
 */
function fastUtcDateTime(value: string): string | undefined | false {
  const length = value.length;
  if ((length !== 20 && length !== 24) || value.charCodeAt(length - 1) !== 90 /* Z */) return undefined;
  if (
    value.charCodeAt(4) !== 45 ||
    value.charCodeAt(7) !== 45 ||
    value.charCodeAt(10) !== 84 ||
    value.charCodeAt(13) !== 58 ||
    value.charCodeAt(16) !== 58
  ) {
    return undefined;
  }
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 2);
  const day = digits(value, 8, 2);
  const hour = digits(value, 11, 2);
  const minute = digits(value, 14, 2);
  const second = digits(value, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  let millis = 0;
  if (length === 24) {
    millis = value.charCodeAt(19) === 46 ? digits(value, 20, 3) : -1;
    if (millis < 0) return undefined;
  }
  // The same text for the same instant (both forms give `yyyy-MM-ddTHH:mm:ss.SSS+0000`): the one made last time.
  const seconds = (hour * 60 + minute) * 60 + second;
  const key = (((year * 16 + month) * 32 + day) * 86_400 + seconds) * 1000 + millis;
  const slot = seconds * 1000 + millis + day * 7919;
  const known = DATETIME_TEXTS.get(key, slot);
  if (known !== undefined) return known;
  const text = length === 24 ? `${value.slice(0, 23)}+0000` : `${value.slice(0, 19)}.000+0000`;
  return DATETIME_TEXTS.set(key, slot, text);
}

/** Normalizes an ISO datetime to `yyyy-MM-ddTHH:mm:ss.SSS+0000`; undefined when malformed. */
export function parseDateTime(value: string): string | undefined {
  const fast = fastUtcDateTime(value);
  if (fast === false) return undefined;
  if (fast !== undefined) return fast;
  const time = parseDateTimeMillis(value);
  return time === undefined ? undefined : formatDateTime(time);
}

function parseTime(value: string): string | undefined {
  const match = TIME_RE.exec(value);
  if (!match) return undefined;
  const [, h, mi, s, frac] = match;
  if (Number(h) > 23 || Number(mi) > 59 || (s !== undefined && Number(s) > 59)) return undefined;
  const ms = frac === undefined ? '000' : frac.padEnd(3, '0').slice(0, 3);
  return `${h}:${mi}:${s ?? '00'}.${ms}Z`;
}

/** Powers of ten held exactly by a double (10^0 to 10^22). */
const EXACT_TENS = Array.from({ length: 23 }, (_, power) => 10 ** power);

/**
 * `Number(text)` for a plain decimal of at most 15 digits (`-12.5`, `+3`, `.5`, `7.`), or undefined for any other text
 * (more digits, an exponent, white space: the general path reads those). Its digits as an integer, exact in a double,
 * divided by an exact power of ten: one correctly rounded division, so the same double `Number` gives. A Bulk insert
 * coerces a million amounts; the regular expression and `Number` took most of the time.
 */
export function plainDecimal(text: string): number | undefined {
  const length = text.length;
  let index = 0;
  let negative = false;
  const first = text.charCodeAt(0);
  if (first === 45 /* - */ || first === 43 /* + */) {
    negative = first === 45;
    index = 1;
  }
  let whole = 0;
  let digits = 0;
  let decimals = -1;
  for (; index < length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 48 && code <= 57) {
      whole = whole * 10 + (code - 48);
      digits++;
      if (decimals >= 0) decimals++;
    } else if (code === 46 /* . */ && decimals < 0) decimals = 0;
    else return undefined;
  }
  if (digits === 0 || digits > 15) return undefined;
  const value = decimals > 0 ? whole / (EXACT_TENS[decimals] as number) : whole;
  return negative ? -value : value;
}

/** The finite number a JSON number or a numeric string stands for, or undefined. */
function numberOf(raw: unknown): number | undefined {
  let value: number;
  if (typeof raw === 'number') value = raw;
  else if (typeof raw === 'string') {
    const plain = plainDecimal(raw);
    if (plain !== undefined) return plain;
    const text = raw.trim();
    if (!NUMBER_RE.test(text)) return undefined;
    value = Number(text);
  } else return undefined;
  return Number.isFinite(value) ? value : undefined;
}

function outOfRange(field: CompiledField, raw: unknown): ValueProblem {
  return problem(
    'NUMBER_OUTSIDE_VALID_RANGE',
    `${field.label}: value outside of valid range on numeric field: ${showValue(raw)}`,
    field,
  );
}

/** A number field's value: an int in 32 bits, or a decimal within its precision, rounded to its scale. */
function parseNumber(field: CompiledField, raw: unknown): number | ValueProblem {
  const value = numberOf(raw);
  if (value === undefined) return typeProblem(field, raw);
  if (field.valueType === 'int') {
    if (!Number.isInteger(value)) return typeProblem(field, raw);
    return value > 2147483647 || value < -2147483648 ? outOfRange(field, raw) : value;
  }
  if (Math.abs(value) >= field.numberLimit) return outOfRange(field, raw);
  const factor = field.scaleFactor;
  if (factor > 0 && field.scale <= 15) {
    const rounded = Math.round(value * factor) / factor;
    return Object.is(rounded, -0) ? 0 : rounded;
  }
  return value;
}

/** Coerces a value that is neither null nor a `Date` for one field type; see {@link coerceValue}. */
export type Coercer = (field: CompiledField, raw: unknown, csv: boolean) => unknown;

/** A string field's value: its text, checked for length (and for the email and picklist rules of those types). */
function coerceText(field: CompiledField, raw: unknown, csv: boolean): unknown {
  let value: string;
  if (typeof raw === 'string') value = raw;
  else if (typeof raw === 'number' || typeof raw === 'boolean') value = String(raw);
  else return typeProblem(field, raw);
  if (value === '' && !csv) return null;
  if (value.length > field.length) return tooLong(field, value);
  if (field.valueType === 'email' && !EMAIL_RE.test(value)) {
    return problem('INVALID_EMAIL_ADDRESS', `${field.label}: invalid email address: ${value}`, field);
  }
  if (field.valueType === 'picklist') return restrictedPicklistValue(field, value);
  return value;
}

function tooLong(field: CompiledField, value: string): ValueProblem {
  return problem(
    'STRING_TOO_LONG',
    `${field.label}: data value too large: ${value} (max length=${field.length})`,
    field,
  );
}

/** The canonical spelling of a restricted picklist's value (or the problem); an unrestricted value as it is. */
function restrictedPicklistValue(field: CompiledField, value: string): string | ValueProblem {
  if (field.picklist === undefined || !field.restricted) return value;
  const canonical = field.picklist.get(value.toLowerCase());
  if (canonical !== undefined) return canonical;
  return problem(
    'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
    `${field.label}: bad value for restricted picklist field: ${value}`,
    field,
  );
}

/** A multi-select picklist: `a;b` or an array, blanks and repeats dropped, each value checked when restricted. */
function coerceMultipicklist(field: CompiledField, raw: unknown): unknown {
  let parts: string[];
  if (Array.isArray(raw)) parts = raw.map((part) => String(part));
  else if (typeof raw === 'string') parts = raw.split(';');
  else return typeProblem(field, raw);
  const values: string[] = [];
  for (const part of parts) {
    const trimmed = part.trim();
    if (trimmed === '') continue;
    const value = restrictedPicklistValue(field, trimmed);
    if (value instanceof ValueProblem) return value;
    if (!values.includes(value)) values.push(value);
  }
  if (values.length === 0) return null;
  const joined = values.join(';');
  return joined.length > field.length ? tooLong(field, joined) : joined;
}

/** A checkbox: booleans, `true` / `false` in any case (and `1` / `0` in CSV), 0 and 1. */
function coerceBoolean(field: CompiledField, raw: unknown, csv: boolean): unknown {
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string') {
    // The spellings a CSV writer gives, without a trimmed and lower-cased copy of each cell.
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    const lower = raw.trim().toLowerCase();
    if (lower === 'true' || (csv && lower === '1')) return true;
    if (lower === 'false' || (csv && lower === '0') || lower === '') return false;
  }
  if (typeof raw === 'number' && (raw === 0 || raw === 1)) return raw === 1;
  return typeProblem(field, raw);
}

/** A date: `yyyy-MM-dd`, or the date part of a datetime with an offset. */
function coerceDate(field: CompiledField, raw: unknown): unknown {
  if (typeof raw !== 'string') return typeProblem(field, raw);
  const value = raw.trim();
  return parseDate(value) ?? datePartOfDateTime(value) ?? typeProblem(field, raw);
}

function coerceDateTime(field: CompiledField, raw: unknown): unknown {
  if (typeof raw !== 'string') return typeProblem(field, raw);
  return parseDateTime(raw.trim()) ?? typeProblem(field, raw);
}

function coerceTime(field: CompiledField, raw: unknown): unknown {
  if (typeof raw !== 'string') return typeProblem(field, raw);
  return parseTime(raw.trim()) ?? typeProblem(field, raw);
}

/** An id or reference: the trimmed text (references are checked against the org by the caller). */
function coerceId(field: CompiledField, raw: unknown): unknown {
  return typeof raw === 'string' ? raw.trim() : typeProblem(field, raw);
}

/** The coercer of each value type; a type without one (`location`, ...) keeps its value as given. */
const COERCERS: Partial<Record<CompiledField['valueType'], Coercer>> = {
  string: coerceText,
  textarea: coerceText,
  phone: coerceText,
  url: coerceText,
  email: coerceText,
  picklist: coerceText,
  multipicklist: coerceMultipicklist,
  boolean: coerceBoolean,
  int: parseNumber,
  double: parseNumber,
  currency: parseNumber,
  percent: parseNumber,
  date: coerceDate,
  datetime: coerceDateTime,
  time: coerceTime,
  id: coerceId,
  reference: coerceId,
};

/** A JavaScript `Date` (a convenience for seeds and tests) for a date or datetime field; undefined for others. */
function coerceDateObject(field: CompiledField, raw: Date): unknown {
  if (Number.isNaN(raw.getTime())) return typeProblem(field, raw);
  if (field.valueType === 'datetime') return formatDateTime(raw.getTime());
  if (field.valueType === 'date') return raw.toISOString().slice(0, 10);
  return undefined;
}

/**
 * Coerces one incoming value for `field`. Returns the value to store (`null` for an explicit null), or a
 * {@link ValueProblem}. `csv`: the value is a Bulk CSV string (`#N/A` and '' are handled by the caller).
 */
export function coerceValue(field: CompiledField, raw: unknown, csv: boolean): unknown {
  if (raw === null || raw === undefined) return field.valueType === 'boolean' ? false : null;
  if (typeof raw === 'object' && raw instanceof Date) {
    const value = coerceDateObject(field, raw);
    if (value !== undefined) return value;
  }
  return coercerOf(field)(field, raw, csv);
}

/** A value kept as given (a type without a coercer). */
const asGiven: Coercer = (_field, raw) => raw;

/**
 * The coercer of a field's type, for values that are neither null nor a `Date` (a CSV cell): the compiled insert
 * looks it up once per column instead of once per value.
 */
export function coercerOf(field: CompiledField): Coercer {
  return COERCERS[field.valueType] ?? asGiven;
}

/** Salesforce accepts a datetime with an offset for a date field and keeps its date part. */
function datePartOfDateTime(value: string): string | undefined {
  const millis = parseDateTimeMillis(value);
  if (millis === undefined) return undefined;
  return new Date(millis).toISOString().slice(0, 10);
}

/** The key of a value in a unique / external id index. */
export function indexKey(field: CompiledField, value: unknown): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const text = String(value);
  return field.caseSensitive ? text : text.toLowerCase();
}

/** Dates and date-times read from text by a format (`yyyy-MM-dd HH:mm`, ISO 8601), checked, and written as ISO. */
import { ConfigError } from '@kicksaw/core';

/** Salesforce accepts dates from 1700-01-01 to 4000-12-31. */
const MIN_YEAR = 1700;
const MAX_YEAR = 4000;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Local date-time parts read from a value. */
export interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** Minutes east of UTC when the value carries an offset (`Z`, `+02:00`). */
  offset?: number;
}

type Setter = (parts: Parts & { pm?: boolean }, text: string) => boolean;

interface Token {
  token: string;
  pattern: string;
  set: Setter;
}

// One monomorphic setter per part: a keyed `parts[key] =` store is several times slower in this hot path.
const SETTERS: Record<'year' | 'month' | 'day' | 'hour' | 'minute' | 'second', Setter> = {
  year: (parts, text) => {
    parts.year = Number(text);
    return true;
  },
  month: (parts, text) => {
    parts.month = Number(text);
    return true;
  },
  day: (parts, text) => {
    parts.day = Number(text);
    return true;
  },
  hour: (parts, text) => {
    parts.hour = Number(text);
    return true;
  },
  minute: (parts, text) => {
    parts.minute = Number(text);
    return true;
  },
  second: (parts, text) => {
    parts.second = Number(text);
    return true;
  },
};
const num = (key: keyof typeof SETTERS): Setter => SETTERS[key];

const TOKENS: Token[] = [
  { token: 'yyyy', pattern: '(\\d{4})', set: num('year') },
  {
    token: 'yy',
    pattern: '(\\d{2})',
    set: (parts, text) => {
      const yy = Number(text);
      parts.year = yy < 69 ? 2000 + yy : 1900 + yy; // the POSIX strptime pivot
      return true;
    },
  },
  {
    token: 'MMM',
    pattern: '([A-Za-z]{3})',
    set: (parts, text) => {
      const index = MONTHS.indexOf(text.toLowerCase());
      parts.month = index + 1;
      return index !== -1;
    },
  },
  { token: 'MM', pattern: '(\\d{1,2})', set: num('month') },
  { token: 'M', pattern: '(\\d{1,2})', set: num('month') },
  { token: 'dd', pattern: '(\\d{1,2})', set: num('day') },
  { token: 'd', pattern: '(\\d{1,2})', set: num('day') },
  { token: 'HH', pattern: '(\\d{1,2})', set: num('hour') },
  { token: 'H', pattern: '(\\d{1,2})', set: num('hour') },
  { token: 'hh', pattern: '(\\d{1,2})', set: num('hour') },
  { token: 'h', pattern: '(\\d{1,2})', set: num('hour') },
  { token: 'mm', pattern: '(\\d{2})', set: num('minute') },
  { token: 'ss', pattern: '(\\d{2})', set: num('second') },
  {
    token: 'SSS',
    pattern: '(\\d{1,9})',
    set: (parts, text) => {
      parts.millisecond = Math.floor(Number(`0.${text}`) * 1000);
      return true;
    },
  },
  {
    token: 'a',
    pattern: '([AaPp][Mm])',
    set: (parts, text) => {
      parts.pm = text.toLowerCase() === 'pm';
      return true;
    },
  },
  {
    token: 'XXX',
    pattern: '(Z|z|[+-]\\d{2}(?::?\\d{2})?)',
    set: (parts, text) => {
      parts.offset = parseOffset(text);
      return true;
    },
  },
];

function parseOffset(text: string): number {
  if (text === 'Z' || text === 'z') return 0;
  const sign = text[0] === '-' ? -1 : 1;
  const digits = text.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'));
}

/** A compiled date/time format: `parse(text)` gives the parts or `undefined`. */
export interface DateFormat {
  readonly format: string;
  parse(text: string): Parts | undefined;
}

/**
 * Compiles a format such as `dd/MM/yyyy`, `MM/dd/yyyy hh:mm a`, `yyyyMMdd`, `d MMM yyyy` or
 * `yyyy-MM-dd'T'HH:mm:ssXXX`. Tokens: yyyy, yy (00-68 -> 20xx, 69-99 -> 19xx), MMM (English month abbreviation),
 * MM/M and dd/d (one or two digits), HH/H (0-23), hh/h with a (AM/PM), mm, ss, SSS (fraction), XXX (Z or ±hh:mm).
 * Anything else, or text in single quotes, is literal.
 */
export function compileFormat(format: string): DateFormat {
  let pattern = '^';
  const setters: Setter[] = [];
  let hasHour12 = false;
  let hasAmPm = false;
  let i = 0;
  while (i < format.length) {
    if (format[i] === "'") {
      const end = format.indexOf("'", i + 1);
      const literal = end === -1 ? format.slice(i + 1) : format.slice(i + 1, end);
      pattern += escapeRegExp(literal);
      i = end === -1 ? format.length : end + 1;
      continue;
    }
    const token = TOKENS.find((t) => format.startsWith(t.token, i));
    if (token === undefined) {
      pattern += escapeRegExp(format[i] as string);
      i++;
      continue;
    }
    if (token.token === 'hh' || token.token === 'h') hasHour12 = true;
    if (token.token === 'a') hasAmPm = true;
    pattern += token.pattern;
    setters.push(token.set);
    i += token.token.length;
  }
  if (hasHour12 !== hasAmPm) {
    throw new ConfigError(`"${format}" uses ${hasHour12 ? 'hh without a' : 'a without hh'}`, {
      setting: 'format',
      hint: 'Use HH for a 24-hour clock, or hh with a for AM/PM.',
    });
  }
  const regex = new RegExp(`${pattern}$`, 'i');
  return {
    format,
    parse(text) {
      const match = regex.exec(text);
      if (match === null) return undefined;
      // One object shape for every value (offset and pm included) keeps this hot path monomorphic.
      const parts: Parts & { pm?: boolean } = {
        year: 1970,
        month: 1,
        day: 1,
        hour: 0,
        minute: 0,
        second: 0,
        millisecond: 0,
        offset: undefined,
        pm: false,
      };
      for (let k = 0; k < setters.length; k++) {
        if (!(setters[k] as Setter)(parts, match[k + 1] as string)) return undefined;
      }
      if (hasAmPm) {
        if (parts.hour < 1 || parts.hour > 12) return undefined;
        parts.hour = (parts.hour % 12) + (parts.pm ? 12 : 0);
      }
      return parts;
    },
  };
}

const ISO_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** The default datetime format: ISO 8601 (`2024-03-31T02:30:00`, with or without seconds, fraction, `Z`/offset). */
export const ISO_FORMAT: DateFormat = {
  format: "ISO 8601 (yyyy-MM-dd'T'HH:mm:ss with an optional offset)",
  parse(text) {
    const m = ISO_DATETIME.exec(text);
    if (m === null) return undefined;
    const parts: Parts = {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4] ?? 0),
      minute: Number(m[5] ?? 0),
      second: Number(m[6] ?? 0),
      millisecond: m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000),
    };
    if (m[8] !== undefined) parts.offset = parseOffset(m[8]);
    return parts;
  },
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS[month - 1] ?? 0;
}

/** Why parts are not a real date (or time), or `undefined` when they are. */
export function invalidParts(parts: Parts): string | undefined {
  if (parts.month < 1 || parts.month > 12) return `month ${parts.month} does not exist`;
  if (parts.day < 1 || parts.day > daysInMonth(parts.year, parts.month)) {
    return `day ${parts.day} does not exist in ${parts.year}-${pad(parts.month)}`;
  }
  if (parts.year < MIN_YEAR || parts.year > MAX_YEAR) return `Salesforce accepts years ${MIN_YEAR} to ${MAX_YEAR}`;
  if (parts.hour > 23 || parts.minute > 59 || parts.second > 59) return 'the time does not exist';
  return undefined;
}

function pad(n: number, width = 2): string {
  if (width === 2 && n >= 0 && n < 100) return n < 10 ? `0${n}` : `${n}`;
  return String(n).padStart(width, '0');
}

/** `yyyy-MM-dd`. */
export function isoDate(parts: Parts): string {
  return `${pad(parts.year, 4)}-${pad(parts.month)}-${pad(parts.day)}`;
}

function formatOffset(minutes: number): string {
  if (minutes === 0) return 'Z';
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** `yyyy-MM-ddTHH:mm:ss[.SSS]±hh:mm` (or `Z`) for local parts and their offset. */
export function isoDateTime(parts: Parts, offset: number): string {
  const ms = parts.millisecond === 0 ? '' : `.${pad(parts.millisecond, 3)}`;
  const time = `${pad(parts.hour)}:${pad(parts.minute)}:${pad(parts.second)}${ms}`;
  return `${isoDate(parts)}T${time}${formatOffset(offset)}`;
}

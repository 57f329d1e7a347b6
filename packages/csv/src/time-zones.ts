/** IANA time zones: their names checked, and the offset of a local wall-clock time in them (DST-correct). */
import { ConfigError } from '@kicksaw/core';
import type { Parts } from './date-formats.js';

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** Checks an IANA time zone name, returning Intl's canonical form; a `ConfigError` when unknown. */
export function checkTimeZone(timeZone: string): string {
  try {
    return zoneFormat(timeZone).resolvedOptions().timeZone;
  } catch (error) {
    throw new ConfigError(`names an unknown time zone: "${timeZone}"`, {
      setting: 'timeZone',
      hint: "Use an IANA name such as 'Europe/Paris', 'America/New_York' or 'UTC'.",
      cause: error,
    });
  }
}

function zoneFormat(timeZone: string): Intl.DateTimeFormat {
  let format = zoneFormats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    zoneFormats.set(timeZone, format);
  }
  return format;
}

/** The offset of `timeZone` from UTC, in minutes, at the instant `utc` (ms). */
export function offsetAt(utc: number, timeZone: string): number {
  const fields: Record<string, string> = {};
  for (const part of zoneFormat(timeZone).formatToParts(new Date(utc))) fields[part.type] = part.value;
  let year = Number(fields.year);
  if (fields.era === 'BC' || fields.era === 'B') year = 1 - year;
  const asUtc = Date.UTC(
    year,
    Number(fields.month) - 1,
    Number(fields.day),
    Number(fields.hour),
    Number(fields.minute),
    Number(fields.second),
  );
  return Math.round((asUtc - Math.floor(utc / 1000) * 1000) / 60_000);
}

const dayOffsets = new Map<string, Map<number, number>>();

/**
 * {@link zoneOffsetFor} with a cache per local day: a day whose offset is the same at 00:00:00 and 23:59:59 has
 * one offset all day (zones change offset at most once a day), so Intl is asked twice per day and zone, not per
 * value. Days with a change are computed per value.
 */
export function cachedZoneOffsetFor(parts: Parts, timeZone: string): number | undefined {
  let days = dayOffsets.get(timeZone);
  if (days === undefined) {
    days = new Map();
    dayOffsets.set(timeZone, days);
  }
  const key = parts.year * 10_000 + parts.month * 100 + parts.day;
  let offset = days.get(key);
  if (offset === undefined) {
    const day = { year: parts.year, month: parts.month, day: parts.day, millisecond: 0 };
    const start = zoneOffsetFor({ ...day, hour: 0, minute: 0, second: 0 }, timeZone);
    const end = zoneOffsetFor({ ...day, hour: 23, minute: 59, second: 59 }, timeZone);
    offset = start !== undefined && start === end ? start : Number.NaN;
    if (days.size > 100_000) days.clear();
    days.set(key, offset);
  }
  return Number.isNaN(offset) ? zoneOffsetFor(parts, timeZone) : offset;
}

/**
 * The offset (minutes) that local wall-clock `parts` have in `timeZone`, DST-correct: for a time that occurs
 * twice (clocks going back) the first, earlier instant; `undefined` for a time that does not exist (clocks
 * going forward skip it).
 */
export function zoneOffsetFor(parts: Parts, timeZone: string): number | undefined {
  const local = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  const before = offsetAt(local - 12 * 3_600_000, timeZone);
  const after = offsetAt(local + 12 * 3_600_000, timeZone);
  const valid = [...new Set([before, after])].filter(
    (offset) => offsetAt(local - offset * 60_000, timeZone) === offset,
  );
  if (valid.length === 0) return undefined;
  // Larger offset = earlier instant.
  return Math.max(...valid);
}

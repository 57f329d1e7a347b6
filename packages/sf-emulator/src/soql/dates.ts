/**
 * SOQL date literals (TODAY, LAST_N_DAYS:n, THIS_MONTH, ...) as half-open UTC day ranges.
 * The org's locale is en_US (weeks start on Sunday) and its fiscal year is the calendar year.
 * `dateLiteralRange` is longer than a screen on purpose: one `case` a literal, each a line or two, read as a table
 * against Salesforce's list of date literals.
 */

/** A half-open range of days, as epoch milliseconds at 00:00 UTC: [start, end). */
export interface DayRange {
  start: number;
  end: number;
}

const DAY = 86_400_000;

function utcDay(date: Date): number {
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
}

function monthStart(year: number, month: number): number {
  return Date.UTC(year, month, 1);
}

/**
 * The range of a date literal relative to `now`, or undefined when the literal is unknown.
 * `n` is the number of `LAST_N_DAYS:n` style literals.
 */
export function dateLiteralRange(literal: string, now: Date, n = 1): DayRange | undefined {
  const name = literal.toUpperCase().replace(/_FISCAL_/, '_');
  const today = utcDay(now);
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  const weekStart = today - now.getUTCDay() * DAY;
  const quarterMonth = month - (month % 3);
  switch (name) {
    case 'YESTERDAY':
      return { start: today - DAY, end: today };
    case 'TODAY':
      return { start: today, end: today + DAY };
    case 'TOMORROW':
      return { start: today + DAY, end: today + 2 * DAY };
    case 'LAST_WEEK':
      return { start: weekStart - 7 * DAY, end: weekStart };
    case 'THIS_WEEK':
      return { start: weekStart, end: weekStart + 7 * DAY };
    case 'NEXT_WEEK':
      return { start: weekStart + 7 * DAY, end: weekStart + 14 * DAY };
    case 'LAST_MONTH':
      return { start: monthStart(year, month - 1), end: monthStart(year, month) };
    case 'THIS_MONTH':
      return { start: monthStart(year, month), end: monthStart(year, month + 1) };
    case 'NEXT_MONTH':
      return { start: monthStart(year, month + 1), end: monthStart(year, month + 2) };
    case 'LAST_90_DAYS':
      return { start: today - 90 * DAY, end: today + DAY };
    case 'NEXT_90_DAYS':
      return { start: today + DAY, end: today + 91 * DAY };
    case 'LAST_QUARTER':
      return { start: monthStart(year, quarterMonth - 3), end: monthStart(year, quarterMonth) };
    case 'THIS_QUARTER':
      return { start: monthStart(year, quarterMonth), end: monthStart(year, quarterMonth + 3) };
    case 'NEXT_QUARTER':
      return { start: monthStart(year, quarterMonth + 3), end: monthStart(year, quarterMonth + 6) };
    case 'LAST_YEAR':
      return { start: Date.UTC(year - 1, 0, 1), end: Date.UTC(year, 0, 1) };
    case 'THIS_YEAR':
      return { start: Date.UTC(year, 0, 1), end: Date.UTC(year + 1, 0, 1) };
    case 'NEXT_YEAR':
      return { start: Date.UTC(year + 1, 0, 1), end: Date.UTC(year + 2, 0, 1) };
    case 'LAST_N_DAYS':
      return { start: today - n * DAY, end: today + DAY };
    case 'NEXT_N_DAYS':
      return { start: today + DAY, end: today + (n + 1) * DAY };
    case 'N_DAYS_AGO':
      return { start: today - n * DAY, end: today - (n - 1) * DAY };
    case 'LAST_N_WEEKS':
      return { start: weekStart - 7 * n * DAY, end: weekStart };
    case 'NEXT_N_WEEKS':
      return { start: weekStart + 7 * DAY, end: weekStart + 7 * (n + 1) * DAY };
    case 'N_WEEKS_AGO':
      return { start: weekStart - 7 * n * DAY, end: weekStart - 7 * (n - 1) * DAY };
    case 'LAST_N_MONTHS':
      return { start: monthStart(year, month - n), end: monthStart(year, month) };
    case 'NEXT_N_MONTHS':
      return { start: monthStart(year, month + 1), end: monthStart(year, month + 1 + n) };
    case 'N_MONTHS_AGO':
      return { start: monthStart(year, month - n), end: monthStart(year, month - n + 1) };
    case 'LAST_N_QUARTERS':
      return { start: monthStart(year, quarterMonth - 3 * n), end: monthStart(year, quarterMonth) };
    case 'NEXT_N_QUARTERS':
      return { start: monthStart(year, quarterMonth + 3), end: monthStart(year, quarterMonth + 3 + 3 * n) };
    case 'N_QUARTERS_AGO':
      return { start: monthStart(year, quarterMonth - 3 * n), end: monthStart(year, quarterMonth - 3 * n + 3) };
    case 'LAST_N_YEARS':
      return { start: Date.UTC(year - n, 0, 1), end: Date.UTC(year, 0, 1) };
    case 'NEXT_N_YEARS':
      return { start: Date.UTC(year + 1, 0, 1), end: Date.UTC(year + 1 + n, 0, 1) };
    case 'N_YEARS_AGO':
      return { start: Date.UTC(year - n, 0, 1), end: Date.UTC(year - n + 1, 0, 1) };
    default:
      return undefined;
  }
}

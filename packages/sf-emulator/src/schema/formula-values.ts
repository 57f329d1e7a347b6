// The values a formula computes with: its value and node types, blanks, numbers, dates and comparison, and the
// clock TODAY() and NOW() read.

/**
 * "Now" of TODAY() and NOW(): the org computing a formula points this at its clock first (formulas are compiled
 * before any org exists, and computing is synchronous, so one slot serves every org in the process).
 */
export const formulaClock: { millis: () => number } = { millis: Date.now };

/** A formula's value. */
export type Value = string | number | boolean | null;
/** A compiled piece of a formula: a function of the record. */
export type Node = (record: Record<string, unknown>) => Value;

export const isBlank = (value: Value) => value === null || value === '';
export const DAY = 86_400_000;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

export function toNumber(value: Value, blankAsZero: boolean): number | null {
  if (value === null || value === '') return blankAsZero ? 0 : null;
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}

export function dateMillis(value: Value): number | undefined {
  return typeof value === 'string' && DATE_RE.test(value) ? Date.parse(`${value}T00:00:00Z`) : undefined;
}

export function compare(left: Value, right: Value): number {
  if (typeof left === 'number' && typeof right === 'number') return left - right;
  const a = String(left);
  const b = String(right);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Values read from snowflake-sdk, in the contract's form. */
import type { SqlValue } from '@kicksaw/lakehouse';

const NUMBER_DIGITS_SAFE = 15;

/** A value read from the driver, in the contract's form (dates as text, timestamps as plain `Date`s). */
export function fromDriver(value: unknown, type: string, scale: number): SqlValue {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'fixed': {
      const text = String(value);
      // With fetchAsString the driver spells NULL as the text 'NULL' (its representNullAsStringNull default,
      // a process-wide setting this engine leaves alone); no number is spelled so.
      if (text === 'NULL') return null;
      if (scale === 0) {
        const n = Number(text);
        return Number.isSafeInteger(n) ? n : text;
      }
      return text.replace(/[-.]/g, '').replace(/^0+/, '').length <= NUMBER_DIGITS_SAFE ? Number(text) : text;
    }
    case 'real':
      return typeof value === 'number' ? value : value === 'NULL' ? null : Number(value);
    case 'date': {
      const date = value as Date;
      return date.toISOString().slice(0, 10);
    }
    case 'timestamp_ntz':
    case 'timestamp_ltz':
    case 'timestamp_tz':
      return new Date((value as Date).getTime());
    case 'boolean':
      return typeof value === 'boolean' ? value : String(value).toLowerCase() === 'true' || String(value) === '1';
    default:
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
      if (value instanceof Date) return new Date(value.getTime());
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

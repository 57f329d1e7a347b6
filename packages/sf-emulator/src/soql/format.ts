// FORMAT(): a value as the emulator's one locale (en_US, USD, UTC) shows it.
import type { CompiledField } from '../schema/compile.js';
import type { SelectItem } from './types.js';

/**
 * `FORMAT(field)` for the emulator's one locale, en_US with USD and UTC (Salesforce formats for the user's locale and
 * time zone): currency `$44,000.00`, numbers with grouping, percent `12.50%`, dates `4/10/2025`, datetimes
 * `4/10/2025, 3:31 PM`, times `3:31 PM`; other types unchanged.
 */
export function formatter(field: CompiledField): ((value: unknown) => unknown) | undefined {
  const scale = { minimumFractionDigits: field.scale, maximumFractionDigits: field.scale };
  const asNumber = (options: Intl.NumberFormatOptions) => {
    const format = new Intl.NumberFormat('en-US', options);
    return (value: unknown) => (typeof value === 'number' ? format.format(value) : value);
  };
  switch (field.valueType) {
    case 'currency':
      return asNumber({ style: 'currency', currency: 'USD', ...scale });
    case 'int':
    case 'double':
      return asNumber(scale);
    case 'percent': {
      const number = asNumber(scale);
      return (value) => (typeof value === 'number' ? `${number(value)}%` : value);
    }
    case 'date':
    case 'datetime':
    case 'time':
      return dateFormatter(field.valueType);
    default:
      return undefined;
  }
}

/** FORMAT() of a date (`4/10/2025`), a datetime (`4/10/2025, 3:31 PM`) or a time (`3:31 PM`), in UTC. */
function dateFormatter(type: 'date' | 'datetime' | 'time'): (value: unknown) => unknown {
  const day = { year: 'numeric', month: 'numeric', day: 'numeric' } as const;
  const clock = { hour: 'numeric', minute: '2-digit' } as const;
  if (type === 'date') {
    const format = new Intl.DateTimeFormat('en-US', { ...day, timeZone: 'UTC' });
    return (value) => (typeof value === 'string' ? format.format(new Date(`${value}T00:00:00Z`)) : value);
  }
  if (type === 'datetime') {
    const format = new Intl.DateTimeFormat('en-US', { ...day, ...clock, timeZone: 'UTC' });
    return (value) => (typeof value === 'string' ? format.format(new Date(value.replace(/\+0000$/, 'Z'))) : value);
  }
  const format = new Intl.DateTimeFormat('en-US', { ...clock, timeZone: 'UTC' });
  return (value) => (typeof value === 'string' ? format.format(new Date(`1970-01-01T${value.slice(0, 12)}Z`)) : value);
}

/** A select item's value after its FORMAT() transform (nulls stay null). */
export function transformed(item: SelectItem, value: unknown): unknown {
  return item.transform && value !== null && value !== undefined ? item.transform(value) : value;
}

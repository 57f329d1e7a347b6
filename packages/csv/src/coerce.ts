// Numbers and booleans read from text (dates: date-formats.ts; time zones: time-zones.ts).

/** Options of {@link parseNumber}. */
export interface NumberFormat {
  decimalSeparator: string;
  thousandsSeparator: string | undefined;
}

const SPACES = /[ \u00A0\u202F]/g;

/**
 * Reads a decimal number written with the given separators; returns it in canonical form (`-1234.5`, no float
 * rounding: the digits are kept as written) or `undefined`. Thousands groups must be of three digits.
 */
export function parseNumber(text: string, format: NumberFormat): string | undefined {
  let value = text;
  let sign = '';
  if (value.startsWith('-') || value.startsWith('+')) {
    sign = value[0] === '-' ? '-' : '';
    value = value.slice(1);
  }
  const { decimalSeparator: dec, thousandsSeparator: thou } = format;
  const at = value.indexOf(dec);
  let int = at === -1 ? value : value.slice(0, at);
  const frac = at === -1 ? undefined : value.slice(at + dec.length);
  if (frac !== undefined && !/^\d*$/.test(frac)) return undefined;
  if (thou !== undefined && thou !== '') {
    const groups = thou === ' ' ? int.split(SPACES) : int.split(thou);
    if (groups.length > 1) {
      if (!/^\d{1,3}$/.test(groups[0] as string) || groups.slice(1).some((g) => !/^\d{3}$/.test(g))) return undefined;
      int = groups.join('');
    }
  }
  if (!/^\d*$/.test(int) || (int === '' && (frac === undefined || frac === ''))) return undefined;
  const digits = int.replace(/^0+(?=\d)/, '') || '0';
  const result = frac === undefined || frac === '' ? digits : `${digits}.${frac}`;
  return /^0(\.0*)?$/.test(result) ? result : sign + result;
}

const TRUE = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE = new Set(['false', 'f', 'no', 'n', '0']);

/** yes/no, y/n, true/false, t/f, 1/0 (any case) to a boolean, else `undefined`. */
export function parseBoolean(text: string): boolean | undefined {
  const lower = text.toLowerCase();
  if (TRUE.has(lower)) return true;
  if (FALSE.has(lower)) return false;
  return undefined;
}

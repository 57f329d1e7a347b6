const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/**
 * A compact, sortable UTC stamp with seconds: `20220705T143012Z`. Safe in S3 keys and file names.
 * (The Python kicksaw-integration-utils stamped to the minute, so two runs in one minute wrote the same
 * archive key.)
 *
 * @example
 * ```ts
 * timestamp(new Date('2022-07-05T14:30:12Z')); // '20220705T143012Z'
 * ```
 */
export function timestamp(date: Date = new Date()): string {
  assertValidDate(date, 'timestamp');
  return (
    `${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`
  );
}

/**
 * A `yyyy/MM/dd` folder for a date, in UTC: `2022/07/05`. Join it into S3 keys to spread
 * archives by day.
 *
 * @example
 * ```ts
 * `archive/${dateFolder(new Date('2022-07-05T23:00:00Z'))}/contacts.csv`; // 'archive/2022/07/05/contacts.csv'
 * ```
 */
export function dateFolder(date: Date = new Date()): string {
  assertValidDate(date, 'dateFolder');
  return `${pad(date.getUTCFullYear(), 4)}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())}`;
}

/**
 * Turns an 8-digit date (`20220101`, or with any separators: `2022.01.01`) into ISO `2022-01-01`,
 * the format Salesforce expects. Impossible dates (`20220230`), empty values and anything that
 * is not 8 digits give `null`. (`convert_to_iso_date` in the Python
 * kicksaw-integration-utils.)
 *
 * @example
 * ```ts
 * toIsoDate('20220101'); // '2022-01-01'
 * toIsoDate('20220230'); // null
 * ```
 */
export function toIsoDate(value: string | null | undefined): string | null {
  if (!value) return null;
  const digits = value.replace(/\D/g, '');
  if (digits.length !== 8) return null;
  const year = Number(digits.slice(0, 4));
  const month = Number(digits.slice(4, 6));
  const day = Number(digits.slice(6, 8));
  if (year < 1 || month < 1 || month > 12 || day < 1) return null;
  const date = new Date(Date.UTC(2000, month - 1, day));
  date.setUTCFullYear(year);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}`;
}

function assertValidDate(date: Date, fn: string): void {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new RangeError(`${fn} needs a valid Date, got ${String(date)}`);
  }
}

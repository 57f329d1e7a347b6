// Autonumber values: a field's display format (`INV-{0000}`, `{YYYY}-{MM}-{DD}-{0}`) filled with the next number.

/** The `next` value of an autonumber field in its display format, dates from `now` (UTC). */
export function formatAutoNumber(format: string, next: number, now: Date): string {
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  return format
    .replace(/\{0+\}/g, (digits) => pad(next, digits.length - 2))
    .replace(/\{YYYY\}/g, String(now.getUTCFullYear()))
    .replace(/\{YY\}/g, pad(now.getUTCFullYear() % 100, 2))
    .replace(/\{MM\}/g, pad(now.getUTCMonth() + 1, 2))
    .replace(/\{DD\}/g, pad(now.getUTCDate(), 2));
}

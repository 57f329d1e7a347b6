import type { MergeSpec, SqlValue } from './warehouse.js';

/**
 * Quotes an identifier the ANSI way (`"Name"`, inner quotes doubled). Used by engines whose quoting is
 * ANSI (DuckDB, Postgres, Snowflake).
 *
 * @example
 * ```ts
 * quoteAnsiIdentifier('Account'); // '"Account"'
 * ```
 */
export function quoteAnsiIdentifier(name: string): string {
  if (name.length === 0 || name.includes('\0')) throw new TypeError(`"${name}" cannot be an identifier`);
  return `"${name.replaceAll('"', '""')}"`;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/**
 * A `Date` as `YYYY-MM-DD HH:MM:SS.sss` in UTC: the text form loads and parameters use for timestamps.
 *
 * @example
 * ```ts
 * sqlTimestamp(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6))); // '2024-01-02 03:04:05.006'
 * ```
 */
export function sqlTimestamp(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}`;
}

/**
 * One CSV line (RFC 4180, `\n`-terminated) for engine bulk loads: `null` is an empty unquoted field, every
 * string is quoted (so an empty string stays an empty string), `Date`s are UTC timestamps.
 *
 * @example
 * ```ts
 * csvLine(['a,b', null, '', 3, true]); // '"a,b",,"",3,true\n'
 * ```
 */
export function csvLine(values: readonly SqlValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += ',';
    const value = values[i];
    if (value === null || value === undefined) continue;
    if (typeof value === 'string') {
      line += `"${value.replaceAll('"', '""')}"`;
    } else if (value instanceof Date) line += sqlTimestamp(value);
    else line += String(value);
  }
  return `${line}\n`;
}

/**
 * The statements of a standard MERGE for engines with `MERGE` and `DISTINCT ON` (DuckDB 1.4+, Postgres 15+):
 * a count query (inserted / updated / unchanged / stale / staged), the MERGE itself, and the INSERT that does
 * the same when every staged key is new (`insertSql`; `insertAllSql` when the staged keys are also distinct). Duplicates are
 * collapsed by `DISTINCT ON` ordered by the version, newest first; the update is guarded by the version.
 *
 * @example
 * ```ts
 * const { countSql, mergeSql, insertSql, insertAllSql } = standardMergeSql(spec, quoteAnsiIdentifier, quoteAnsiIdentifier);
 * ```
 */
export function standardMergeSql(
  spec: MergeSpec,
  quote: (name: string) => string,
  quoteTable: (name: string) => string,
): { countSql: string; mergeSql: string; insertSql: string; insertAllSql: string } {
  const key = quote(spec.key);
  const target = quoteTable(spec.target);
  const staging = quoteTable(spec.staging);
  const version = spec.versionColumn ? quote(spec.versionColumn) : undefined;
  const order = version ? `${key}, ${version} DESC NULLS LAST` : key;
  const deduped = `(SELECT DISTINCT ON (${key}) * FROM ${staging} ORDER BY ${order})`;
  // The counts need only key and version: deduplicating whole rows there would sort every column.
  const narrow = `(SELECT DISTINCT ON (${key}) ${key}${version ? `, ${version}` : ''} FROM ${staging} ORDER BY ${order})`;
  const newer = version ? `(t.${version} IS NULL OR s.${version} > t.${version})` : 'TRUE';
  const same = version ? `(s.${version} = t.${version})` : 'FALSE';
  const older = version ? `(s.${version} IS NULL OR s.${version} < t.${version})` : 'FALSE';
  const countSql = `SELECT
  (SELECT count(*) FROM ${staging}) AS staged,
  count(*) FILTER (WHERE t.${key} IS NULL) AS inserted,
  count(*) FILTER (WHERE t.${key} IS NOT NULL AND ${newer}) AS updated,
  count(*) FILTER (WHERE t.${key} IS NOT NULL AND ${same}) AS unchanged,
  count(*) FILTER (WHERE t.${key} IS NOT NULL AND ${older} AND NOT ${newer}) AS stale
FROM ${narrow} AS s LEFT JOIN ${target} AS t ON t.${key} = s.${key}`;
  const columns = spec.columns.map(quote);
  const updates = spec.columns.filter((c) => c !== spec.key).map((c) => `${quote(c)} = s.${quote(c)}`);
  const guard = version ? ` AND (t.${version} IS NULL OR s.${version} >= t.${version})` : '';
  const mergeSql = `MERGE INTO ${target} AS t USING ${deduped} AS s ON t.${key} = s.${key}
${updates.length > 0 ? `WHEN MATCHED${guard} THEN UPDATE SET ${updates.join(', ')}\n` : ''}WHEN NOT MATCHED THEN INSERT (${columns.join(', ')}) VALUES (${columns.map((c) => `s.${c}`).join(', ')})`;
  const insertSql = `INSERT INTO ${target} (${columns.join(', ')}) SELECT ${columns.map((c) => `s.${c}`).join(', ')} FROM ${deduped} AS s`;
  const insertAllSql = `INSERT INTO ${target} (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM ${staging}`;
  return { countSql, mergeSql, insertSql, insertAllSql };
}

import type { MergeResult, MergeSpec, WarehouseRow, WarehouseSession } from './warehouse.js';

/**
 * What a MERGE's SQL needs of an engine beyond the standard: how to keep the newest staged row per key, and how
 * to count rows matching a condition.
 *
 * @example
 * ```ts
 * const snowflake: MergeDialect = {
 *   newestPerKey: (staging, key, version, selected) =>
 *     `(SELECT ${selected} FROM ${staging} QUALIFY ROW_NUMBER() OVER (PARTITION BY ${key} ORDER BY ${version ? `${version} DESC NULLS LAST` : key}) = 1)`,
 *   countIf: (condition) => `COUNT_IF(${condition})`,
 * };
 * ```
 */
export interface MergeDialect {
  /** A subquery of `selected` (`*` or a column list) from `staging`, one row per `key`, the highest `version` kept. */
  newestPerKey(staging: string, key: string, version: string | undefined, selected: string): string;
  /** An aggregate counting the rows where `condition` holds. */
  countIf(condition: string): string;
}

/** `DISTINCT ON` and `count(*) FILTER`: DuckDB 1.4+, PostgreSQL 15+. */
const STANDARD_DIALECT: MergeDialect = {
  newestPerKey: (staging, key, version, selected) =>
    `(SELECT DISTINCT ON (${key}) ${selected} FROM ${staging} ORDER BY ${version ? `${key}, ${version} DESC NULLS LAST` : key})`,
  countIf: (condition) => `count(*) FILTER (WHERE ${condition})`,
};

/**
 * The statements of a standard MERGE for engines with `MERGE` (and, by default, `DISTINCT ON`: DuckDB 1.4+,
 * Postgres 15+; another {@link MergeDialect} for others): a count query (inserted / updated / unchanged / stale /
 * staged), the MERGE itself (`mergeDistinctSql`: the same from staging as it is, for when the counts found no key
 * staged twice), and the INSERT that does the same when every staged key is new (`insertSql`; `insertAllSql`
 * when the staged keys are also distinct). Duplicates are collapsed, the newest version first;
 * the update is guarded by the version (an older row never overwrites a newer one).
 *
 * @example
 * ```ts
 * const { countSql, mergeSql, mergeDistinctSql, insertSql, insertAllSql } = standardMergeSql(spec, quoteAnsiIdentifier, quoteAnsiIdentifier);
 * ```
 */
export function standardMergeSql(
  spec: MergeSpec,
  quote: (name: string) => string,
  quoteTable: (name: string) => string,
  dialect: MergeDialect = STANDARD_DIALECT,
): { countSql: string; mergeSql: string; mergeDistinctSql: string; insertSql: string; insertAllSql: string } {
  const key = quote(spec.key);
  const target = quoteTable(spec.target);
  const staging = quoteTable(spec.staging);
  const version = spec.versionColumn ? quote(spec.versionColumn) : undefined;
  const deduped = dialect.newestPerKey(staging, key, version, '*');
  // The counts need only key and version: deduplicating whole rows there would sort every column.
  const narrow = dialect.newestPerKey(staging, key, version, `${key}${version ? `, ${version}` : ''}`);
  const count = dialect.countIf;
  const newer = version ? `(t.${version} IS NULL OR s.${version} > t.${version})` : 'TRUE';
  const same = version ? `(s.${version} = t.${version})` : 'FALSE';
  const older = version ? `(s.${version} IS NULL OR s.${version} < t.${version})` : 'FALSE';
  const countSql = `SELECT
  (SELECT count(*) FROM ${staging}) AS staged,
  ${count(`t.${key} IS NULL`)} AS inserted,
  ${count(`t.${key} IS NOT NULL AND ${newer}`)} AS updated,
  ${count(`t.${key} IS NOT NULL AND ${same}`)} AS unchanged,
  ${count(`t.${key} IS NOT NULL AND ${older} AND NOT ${newer}`)} AS stale
FROM ${narrow} AS s LEFT JOIN ${target} AS t ON t.${key} = s.${key}`;
  const columns = spec.columns.map(quote);
  const updates = spec.columns.filter((c) => c !== spec.key).map((c) => `${quote(c)} = s.${quote(c)}`);
  const guard = version ? ` AND (t.${version} IS NULL OR s.${version} >= t.${version})` : '';
  const mergeFrom = (source: string) => `MERGE INTO ${target} AS t USING ${source} AS s ON t.${key} = s.${key}
${updates.length > 0 ? `WHEN MATCHED${guard} THEN UPDATE SET ${updates.join(', ')}\n` : ''}WHEN NOT MATCHED THEN INSERT (${columns.join(', ')}) VALUES (${columns.map((c) => `s.${c}`).join(', ')})`;
  const mergeSql = mergeFrom(deduped);
  const mergeDistinctSql = mergeFrom(staging);
  const insertSql = `INSERT INTO ${target} (${columns.join(', ')}) SELECT ${columns.map((c) => `s.${c}`).join(', ')} FROM ${deduped} AS s`;
  const insertAllSql = `INSERT INTO ${target} (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM ${staging}`;
  return { countSql, mergeSql, mergeDistinctSql, insertSql, insertAllSql };
}

/**
 * The {@link MergeResult} of a count row (`staged`, `inserted`, `updated`, `unchanged`, `stale`, as the count
 * query of {@link standardMergeSql} names them): the duplicates are the staged rows beyond the distinct keys.
 * A count missing or not a number is 0.
 *
 * @example
 * ```ts
 * mergeResultOf({ staged: 5, inserted: 3, updated: 1, unchanged: 0, stale: 0 }); // { ..., duplicates: 1 }
 * ```
 */
export function mergeResultOf(counts: WarehouseRow): MergeResult {
  const count = (value: unknown) => {
    const n = Number(value ?? 0);
    return Number.isFinite(n) ? n : 0;
  };
  const inserted = count(counts.inserted);
  const updated = count(counts.updated);
  const unchanged = count(counts.unchanged);
  const stale = count(counts.stale);
  return {
    inserted,
    updated,
    unchanged,
    stale,
    duplicates: count(counts.staged) - inserted - updated - unchanged - stale,
  };
}

/**
 * {@link WarehouseSession.merge} for engines with `MERGE` and `DISTINCT ON` (DuckDB 1.4+, Postgres 15+), on the
 * statements of {@link standardMergeSql}: the counts first; when every staged key is new (a first or full load)
 * a plain INSERT, which is much cheaper than MERGE; else the MERGE, or `replaceMatched` when the engine has a
 * cheaper way to write rows that match target rows (it gets the counts, so it can skip what no row needs).
 * Without duplicates (the counts say so) the staged rows are read as they are: `DISTINCT ON` over every column
 * is an ordered aggregate a column on DuckDB, 0.31 s of the 0.45 s that gathering 9,976 staged rows of 55 columns
 * against 1,000,000 took (README, Performance).
 *
 * @example
 * ```ts
 * // inside an engine session's merge(spec):
 * const result = await standardMerge(session, spec);
 * console.log(result.inserted, result.updated, result.unchanged);
 * ```
 */
export async function standardMerge(
  session: WarehouseSession,
  spec: MergeSpec,
  replaceMatched?: (spec: MergeSpec, counts: MergeResult) => Promise<void>,
): Promise<MergeResult> {
  const { countSql, mergeSql, mergeDistinctSql, insertSql, insertAllSql } = standardMergeSql(
    spec,
    (name) => session.quoteIdentifier(name),
    (name) => session.quoteTable(name),
  );
  let counts: WarehouseRow = {};
  for await (const row of session.query(countSql)) counts = row;
  const result = mergeResultOf(counts);
  if (result.updated + result.unchanged + result.stale === 0) {
    await session.execute(result.duplicates === 0 ? insertAllSql : insertSql);
  } else if (replaceMatched && result.updated + result.unchanged > 0) await replaceMatched(spec, result);
  else await session.execute(result.duplicates === 0 ? mergeDistinctSql : mergeSql);
  return result;
}

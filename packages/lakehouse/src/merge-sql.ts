import type { MergeResult, MergeSpec, WarehouseRow, WarehouseSession } from './warehouse.js';

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
 * a plain INSERT, which is much cheaper than MERGE (without duplicates the staged rows go in as they are,
 * without the sort `DISTINCT ON` needs); else the MERGE, or `replaceMatched` when the engine has a cheaper way
 * to write rows that match target rows.
 *
 * @example
 * ```ts
 * async merge(spec: MergeSpec): Promise<MergeResult> {
 *   return standardMerge(this, spec);
 * }
 * ```
 */
export async function standardMerge(
  session: WarehouseSession,
  spec: MergeSpec,
  replaceMatched?: (spec: MergeSpec) => Promise<void>,
): Promise<MergeResult> {
  const { countSql, mergeSql, insertSql, insertAllSql } = standardMergeSql(
    spec,
    (name) => session.quoteIdentifier(name),
    (name) => session.quoteTable(name),
  );
  let counts: WarehouseRow = {};
  for await (const row of session.query(countSql)) counts = row;
  const result = mergeResultOf(counts);
  if (result.updated + result.unchanged + result.stale === 0) {
    await session.execute(result.duplicates === 0 ? insertAllSql : insertSql);
  } else if (replaceMatched && result.updated + result.unchanged > 0) await replaceMatched(spec);
  else await session.execute(mergeSql);
  return result;
}

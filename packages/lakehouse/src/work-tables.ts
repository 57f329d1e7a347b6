/** The lakehouse's own work tables (staging, ids, outcomes): unique names and one-row reads. */
import { randomBytes } from 'node:crypto';
import type { SqlValue, WarehouseRow, WarehouseSession } from './warehouse.js';

/** A table name unique to this run: the prefix, the time in base 36 and 6 random hex digits. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** The first row of a query (an empty row when there is none); the rest is not read. */
export async function firstRow(session: WarehouseSession, sql: string, params: SqlValue[] = []): Promise<WarehouseRow> {
  for await (const row of session.query(sql, params)) return row;
  return {};
}

import type { Warehouse, WarehouseSession } from './warehouse.js';

/**
 * The table holding each synced table's cursor and bookkeeping.
 *
 * @example
 * ```ts
 * warehouse.query(`SELECT * FROM ${warehouse.quoteTable(SYNC_STATE_TABLE)}`);
 * ```
 */
export const SYNC_STATE_TABLE = '_kicksaw_sync_state';

/**
 * One row of `_kicksaw_sync_state`: where a table's incremental sync resumes.
 *
 * @example
 * ```ts
 * const state: SyncState | undefined = await readSyncState(warehouse, 'Account');
 * console.log(state?.cursorValue);
 * ```
 */
export interface SyncState {
  /** The warehouse table (the key). */
  table: string;
  object: string;
  /** SystemModstamp, LastModifiedDate or CreatedDate; `null` when the object has none (always full). */
  cursorField: string | null;
  /** The highest cursor value synced; the next run reads from it minus the lookback. */
  cursorValue: Date | null;
  /** Deletes are known up to here (replication API `latestDateCovered` or the reconciliation's start). */
  deletesCheckedAt: Date | null;
  lastFullSyncAt: Date | null;
  lastSyncAt: Date | null;
  /** When the formula fields were last read in full (a full sync or `refreshFormulas`). */
  formulasRefreshedAt: Date | null;
}

const STATE_COLUMNS = [
  { name: 'table_name', type: { kind: 'text' } },
  { name: 'object_name', type: { kind: 'text' } },
  { name: 'cursor_field', type: { kind: 'text' } },
  { name: 'cursor_value', type: { kind: 'timestamp' } },
  { name: 'deletes_checked_at', type: { kind: 'timestamp' } },
  { name: 'last_full_sync_at', type: { kind: 'timestamp' } },
  { name: 'last_sync_at', type: { kind: 'timestamp' } },
  { name: 'formulas_refreshed_at', type: { kind: 'timestamp' } },
] as const;

/**
 * Creates `_kicksaw_sync_state` when it is missing, and adds the columns a table made by an older version lacks.
 *
 * @example
 * ```ts
 * await ensureSyncStateTable(warehouse);
 * ```
 */
export async function ensureSyncStateTable(session: WarehouseSession): Promise<void> {
  const existing = await session.listColumns(SYNC_STATE_TABLE);
  if (existing) {
    const have = new Set(existing.map((c) => c.name.toLowerCase()));
    const missing = STATE_COLUMNS.filter((c) => !have.has(c.name));
    if (missing.length > 0) await session.addColumns(SYNC_STATE_TABLE, missing);
    return;
  }
  await session.createTable(SYNC_STATE_TABLE, STATE_COLUMNS, { primaryKey: 'table_name' });
}

function asDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const date = new Date(`${String(value).replace(' ', 'T')}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

function fromRow(row: Record<string, unknown>): SyncState {
  return {
    table: String(row.table_name),
    object: String(row.object_name),
    cursorField: row.cursor_field === null ? null : String(row.cursor_field),
    cursorValue: asDate(row.cursor_value),
    deletesCheckedAt: asDate(row.deletes_checked_at),
    lastFullSyncAt: asDate(row.last_full_sync_at),
    lastSyncAt: asDate(row.last_sync_at),
    formulasRefreshedAt: asDate(row.formulas_refreshed_at),
  };
}

/**
 * The sync state of a table, or `undefined` when it was never synced.
 *
 * @example
 * ```ts
 * const state = await readSyncState(warehouse, 'Account');
 * ```
 */
export async function readSyncState(session: WarehouseSession, table: string): Promise<SyncState | undefined> {
  if (!(await session.listColumns(SYNC_STATE_TABLE))) return undefined;
  for await (const row of session.query(`SELECT * FROM ${session.quoteTable(SYNC_STATE_TABLE)} WHERE table_name = $1`, [
    table,
  ])) {
    return fromRow(row);
  }
  return undefined;
}

/**
 * Every table's sync state, by table name.
 *
 * @example
 * ```ts
 * for (const state of await listSyncStates(warehouse)) console.log(state.table, state.cursorValue);
 * ```
 */
export async function listSyncStates(warehouse: Warehouse): Promise<SyncState[]> {
  if (!(await warehouse.listColumns(SYNC_STATE_TABLE))) return [];
  const states: SyncState[] = [];
  for await (const row of warehouse.query(
    `SELECT * FROM ${warehouse.quoteTable(SYNC_STATE_TABLE)} ORDER BY table_name`,
  )) {
    states.push(fromRow(row));
  }
  return states;
}

/**
 * Writes a table's sync state (inside the sync's transaction, so table and cursor move together).
 *
 * @example
 * ```ts
 * await warehouse.transaction((session) => writeSyncState(session, state));
 * ```
 */
export async function writeSyncState(session: WarehouseSession, state: SyncState): Promise<void> {
  const table = session.quoteTable(SYNC_STATE_TABLE);
  await session.execute(`DELETE FROM ${table} WHERE table_name = $1`, [state.table]);
  await session.execute(
    `INSERT INTO ${table} (table_name, object_name, cursor_field, cursor_value, deletes_checked_at, last_full_sync_at, last_sync_at, formulas_refreshed_at)
     VALUES ($1, $2, $3, CAST($4 AS TIMESTAMP), CAST($5 AS TIMESTAMP), CAST($6 AS TIMESTAMP), CAST($7 AS TIMESTAMP), CAST($8 AS TIMESTAMP))`,
    [
      state.table,
      state.object,
      state.cursorField,
      state.cursorValue,
      state.deletesCheckedAt,
      state.lastFullSyncAt,
      state.lastSyncAt,
      state.formulasRefreshedAt,
    ],
  );
}

/** Helpers of the shared engine cases (and of engine packages' own tests): reads, fault wrappers, fixtures. */
import type { SqlValue, Warehouse, WarehouseRow, WarehouseSession } from '../src/index.js';

/** Runs `fn` on a warehouse the harness opens, closed after. */
export async function usingWarehouse(
  harness: { open(): Promise<Warehouse> },
  fn: (warehouse: Warehouse) => Promise<void>,
): Promise<void> {
  const warehouse = await harness.open();
  try {
    await fn(warehouse);
  } finally {
    await warehouse.close();
  }
}

/** Every row of a query. */
export async function rows(warehouse: Warehouse, sql: string): Promise<WarehouseRow[]> {
  const out: WarehouseRow[] = [];
  for await (const row of warehouse.query(sql)) out.push(row);
  return out;
}

/** A warehouse whose transactions fail when they write the sync state (after the MERGE or the swap ran). */
export function failingStateWrites(warehouse: Warehouse): Warehouse {
  return Object.create(warehouse, {
    transaction: {
      value: <T>(fn: (session: WarehouseSession) => Promise<T>) =>
        warehouse.transaction((session) =>
          fn(
            Object.create(session, {
              execute: {
                value: (sql: string, params?: SqlValue[]) =>
                  sql.startsWith('INSERT INTO') && sql.includes(session.quoteTable('_kicksaw_sync_state'))
                    ? Promise.reject(new Error('injected: the state write failed'))
                    : session.execute(sql, params),
              },
            }),
          ),
        ),
    },
  }) as Warehouse;
}

/** The `leads_out` table of the reverse ETL cases (`k`, `LastName`, `Company`, all text), loaded with `leads`. */
export async function createLeadsOut(warehouse: Warehouse, leads: SqlValue[][]): Promise<void> {
  await warehouse.createTable('leads_out', [
    { name: 'k', type: { kind: 'text' } },
    { name: 'LastName', type: { kind: 'text' } },
    { name: 'Company', type: { kind: 'text' } },
  ]);
  await warehouse.load('leads_out', ['k', 'LastName', 'Company'], leads);
}

import type { Logger } from '@kicksaw/core';
import type { Connection } from 'jsforce';
import type { Warehouse } from './warehouse.js';

/**
 * What every lakehouse function reports to `onProgress`: the step it is in and a running row count.
 *
 * @example
 * ```ts
 * const onProgress = (p: LakehouseProgress) => console.log(p.object, p.phase, p.rows);
 * ```
 */
export interface LakehouseProgress {
  /** The Salesforce object (or the target table for queries). */
  object: string;
  phase: 'describe' | 'read' | 'formulas' | 'merge' | 'deletes' | 'send' | 'results' | 'done';
  /** Rows handled so far in this phase. */
  rows: number;
}

/**
 * Options every lakehouse function takes.
 *
 * @example
 * ```ts
 * const base: LakehouseBaseOptions = { connection: conn, warehouse, logger: console, signal: AbortSignal.timeout(600_000) };
 * ```
 */
export interface LakehouseBaseOptions {
  /** A jsforce `Connection` (see `@kicksaw/sf-bulk`'s `connect`). */
  connection: Connection;
  /** An open warehouse (`openDuckDbWarehouse`, `openPostgresWarehouse`, ...). */
  warehouse: Warehouse;
  logger?: Logger;
  onProgress?: (progress: LakehouseProgress) => void;
  /** Stops the work between pages and statements; an object in progress is rolled back. */
  signal?: AbortSignal;
  /** First wait between Bulk job status polls, ms (tests set it low). Default 500. */
  pollIntervalMs?: number;
}

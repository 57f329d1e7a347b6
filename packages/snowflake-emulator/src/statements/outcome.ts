// What a statement gets and gives: the request, the runtime around it, and the shapes of its outcome (rows,
// status, counts, result columns).
import type { Engine } from '../engine.js';
import { fromDuckDbError } from '../errors.js';
import { column, type RowType } from '../result-columns.js';
import type { EncodedResult } from '../results.js';
import type { StageCommands } from '../stages.js';
import type { TableLocks } from '../transactions.js';

/** One bind as the driver sends it. */
export interface Bind {
  type: string;
  value: unknown;
}

/** What the driver asks to run. */
export interface StatementRequest {
  sqlText: string;
  bindings?: Record<string, Bind>;
  bindStage?: string;
  parameters?: Record<string, unknown>;
  describeOnly?: boolean;
}

/** The reply data of a statement. */
export type StatementOutcome =
  | {
      kind: 'result';
      statementTypeId: number;
      result: EncodedResult;
      /** A multi-statement request: each statement's own query id, text and outcome, in order. */
      children?: Array<{ queryId: string; sqlText: string; outcome: StatementOutcome }>;
    }
  | { kind: 'transfer'; data: Record<string, unknown> };

/** What statements need from the emulator around them. */
export interface Runtime {
  engine: Engine;
  stages: StageCommands;
  account: string;
  region: string;
  version: string;
  inlineRows: number;
  chunkRows: number;
  resultsDir: string;
  /** Tables locked by open transactions. */
  locks: TableLocks;
}

export const STATEMENT_TYPE = {
  select: 0x1000,
  insert: 0x3100,
  update: 0x3200,
  delete: 0x3300,
  merge: 0x3400,
  ddl: 0x6000,
  session: 0x4000,
  transaction: 0x5000,
} as const;

/** A small in-memory result (DDL status, SHOW output). */
export function rowsResult(rowtype: RowType[], rows: Array<Array<string | null>>): EncodedResult {
  return { rowtype, rowset: rows, chunks: [], total: rows.length };
}

/** A statement outcome with rows. */
export type ResultOutcome = Extract<StatementOutcome, { kind: 'result' }>;

/** A VARCHAR result column (Snowflake's default length). */
export function textColumn(name: string): RowType {
  return column(name, 'text', { length: 16777216 });
}

/** A NUMBER(38,0) result column. */
export function numberColumn(name: string): RowType {
  return column(name, 'fixed', { precision: 38, scale: 0 });
}

/** A TIMESTAMP_LTZ result column of SHOW output (`created_on`). */
export function createdOnColumn(name: string): RowType {
  return column(name, 'timestamp_ltz', { scale: 3, precision: 0 });
}

/** A query's outcome with a small in-memory result (SHOW, DESCRIBE output). */
export function selectResult(rowtype: RowType[], rows: Array<Array<string | null>>): ResultOutcome {
  return { kind: 'result', statementTypeId: STATEMENT_TYPE.select, result: rowsResult(rowtype, rows) };
}

export function statusResult(message: string): ResultOutcome {
  return {
    kind: 'result',
    statementTypeId: STATEMENT_TYPE.ddl,
    result: rowsResult([textColumn('status')], [[message]]),
  };
}

export function countResult(statementTypeId: number, columns: Array<[string, number]>): StatementOutcome {
  return {
    kind: 'result',
    statementTypeId,
    result: rowsResult(
      columns.map(([name]) => column(name, 'fixed', { precision: 19, scale: 0, nullable: false })),
      [columns.map(([, count]) => String(count))],
    ),
  };
}

export async function runDuck<T>(sql: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw fromDuckDbError(error, sql);
  }
}

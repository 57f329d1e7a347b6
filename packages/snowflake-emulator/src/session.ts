import { randomBytes } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { TransactionState } from './transactions.js';

/** One driver session: its tokens, its current database/schema and its own DuckDB connection. */
export interface Session {
  id: number;
  token: string;
  masterToken: string;
  tokenExpiresAt: number;
  masterExpiresAt: number;
  user: string;
  role: string;
  warehouse: string;
  database: string | undefined;
  schema: string | undefined;
  connection: DuckDBConnection;
  /** An explicit transaction is open (BEGIN ... COMMIT/ROLLBACK). */
  inTransaction: boolean;
  /** What the open transaction has written (set while `inTransaction`). */
  transaction?: TransactionState;
  /** Session parameters set at login or by ALTER SESSION. */
  parameters: Map<string, string | number | boolean>;
  /** Statements of this session run one at a time, in order. */
  queue: Promise<unknown>;
  /** The query running now (for abort). */
  running: string | undefined;
  closed: boolean;
}

/** A token as Snowflake's look: opaque, URL-safe. */
export function newToken(prefix: string): string {
  return `${prefix}${randomBytes(24).toString('base64url')}`;
}

/** Runs `work` after every statement the session queued before it. */
export function enqueue<T>(session: Session, work: () => Promise<T>): Promise<T> {
  const run = session.queue.then(work, work);
  session.queue = run.catch(() => undefined);
  return run;
}

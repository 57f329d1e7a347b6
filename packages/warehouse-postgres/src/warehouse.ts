/** Opening a PostgreSQL warehouse (a connection string or a pool), its options, and its transactions. */
import { quoteAnsiIdentifier, type Warehouse, type WarehouseSession } from '@kicksaw/lakehouse';
import pg from 'pg';
import { PostgresWarehouseError } from './errors.js';
import { PostgresSession } from './session.js';

/**
 * Options of {@link openPostgresWarehouse}: a connection string (a pool is opened and closed by the
 * warehouse) or a pool of your own (left open by `close()`).
 *
 * @example
 * ```ts
 * const byUrl: PostgresWarehouseOptions = { connectionString: 'postgres://me@127.0.0.1:5432/analytics', schema: 'salesforce' };
 * ```
 */
export type PostgresWarehouseOptions = ({ connectionString: string } | { pool: pg.Pool }) & {
  /** The schema of every table (created when missing). Default `public`. */
  schema?: string;
  /** Rows fetched per cursor round trip when streaming a query. Default 2,000. */
  fetchSize?: number;
};

class PostgresWarehouse extends PostgresSession implements Warehouse {
  constructor(
    private readonly pool: pg.Pool,
    private readonly ownsPool: boolean,
    schema: string,
    fetchSize: number,
  ) {
    super(
      async () => {
        const client = await pool.connect();
        return { client, inTransaction: false, release: () => client.release() };
      },
      schema,
      fetchSize,
    );
  }

  async transaction<T>(fn: (session: WarehouseSession) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const session = new PostgresSession(
      async () => ({ client, inTransaction: true, release: () => undefined }),
      this.schema,
      this.fetchSize,
    );
    let broken: unknown;
    try {
      await client.query('BEGIN');
      try {
        const result = await fn(session);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError;
        });
        throw error;
      }
    } finally {
      client.release(broken instanceof Error ? broken : undefined);
    }
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }
}

/**
 * Opens a PostgreSQL warehouse (PostgreSQL 15 or later, for `MERGE`): loads through `COPY ... FROM STDIN`,
 * merges with `MERGE`, streams reads through server-side cursors. Tables live in `schema` (default `public`);
 * identifiers are always quoted, so `"Account"."Name"` keeps its case.
 *
 * @example
 * ```ts
 * import { openPostgresWarehouse } from '@kicksaw/warehouse-postgres';
 * import { sync } from '@kicksaw/lakehouse';
 *
 * const warehouse = await openPostgresWarehouse({ connectionString: process.env.DATABASE_URL! });
 * await sync({ connection: conn, warehouse, objects: ['Account', 'Contact'] });
 * await warehouse.close();
 * ```
 */
export async function openPostgresWarehouse(options: PostgresWarehouseOptions): Promise<Warehouse> {
  const owns = !('pool' in options);
  const pool = 'pool' in options ? options.pool : new pg.Pool({ connectionString: options.connectionString, max: 4 });
  const schema = options.schema ?? 'public';
  try {
    const client = await pool.connect();
    try {
      const { rows } = await client.query<{ version: number }>(
        "SELECT current_setting('server_version_num')::int AS version",
      );
      const version = Number(rows[0]?.version ?? 0);
      if (version < 150000) {
        throw new PostgresWarehouseError(
          `PostgreSQL ${Math.floor(version / 10000)} has no MERGE: use PostgreSQL 15 or later`,
          undefined,
        );
      }
      if (schema !== 'public') await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteAnsiIdentifier(schema)}`);
    } finally {
      client.release();
    }
  } catch (error) {
    if (owns) await pool.end().catch(() => undefined);
    if (error instanceof PostgresWarehouseError) throw error;
    throw new PostgresWarehouseError(
      `Cannot connect to PostgreSQL: ${error instanceof Error ? error.message : String(error)} (check the connection string, that the server runs and accepts this user)`,
      error,
    );
  }
  return new PostgresWarehouse(pool, owns, schema, options.fetchSize ?? 2000);
}

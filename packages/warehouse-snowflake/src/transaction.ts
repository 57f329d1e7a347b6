import type { ColumnSpec, CreateTableOptions, MergeResult, MergeSpec, SqlValue } from '@kicksaw/lakehouse';
import type { DriverSession } from './driver.js';
import { SnowflakeWarehouseError } from './errors.js';
import type { SessionConfig } from './load.js';
import { SnowflakeSession } from './session.js';
import { quoteSnowflakeIdentifier as quote, snowflakeColumnType } from './sql.js';

/**
 * The session of {@link Warehouse.transaction}. Snowflake commits any open transaction before a DDL
 * statement, so DDL is arranged to keep the transaction whole:
 *
 * - the transaction begins at its first write (DML, load, merge), not before;
 * - `createTable` before that runs on this session, after it on the warehouse's other session (which commits
 *   only itself); a table created here is dropped when the transaction rolls back;
 * - `addColumns` runs before the first write only (else `SNOWFLAKE_DDL_IN_TRANSACTION`); on rollback the
 *   columns are dropped again;
 * - `dropTable` waits until the transaction has committed (and does not happen on rollback);
 * - `swapTable` is a commit point: what ran before it is committed (Snowflake would do so anyway), the swap
 *   is one statement, and a rollback after it swaps back. Lakehouse swaps only tables no reader sees before.
 */
export class SnowflakeTransactionSession extends SnowflakeSession {
  /**
   * Kept in one object, so that callers wrapping the session (`Object.create(session)`, as the shared engine
   * tests do) share the transaction's state instead of shadowing a field of their own.
   */
  private readonly state = {
    begun: false,
    undo: [] as (() => Promise<void>)[],
    afterCommit: [] as (() => Promise<void>)[],
  };

  constructor(
    private readonly own: DriverSession,
    private readonly other: () => Promise<DriverSession>,
    config: SessionConfig,
  ) {
    super(async () => own, config);
  }

  private async begin(): Promise<void> {
    if (this.state.begun) return;
    await this.own.run('BEGIN TRANSACTION');
    this.state.begun = true;
  }

  override async execute(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    await this.begin();
    return super.execute(sql, params);
  }

  override async load(
    table: string,
    columns: readonly string[],
    rows: AsyncIterable<readonly SqlValue[]> | Iterable<readonly SqlValue[]>,
  ): Promise<number> {
    await this.begin();
    return super.load(table, columns, rows);
  }

  override async merge(spec: MergeSpec): Promise<MergeResult> {
    await this.begin();
    return super.merge(spec);
  }

  override async createTable(
    table: string,
    columns: readonly ColumnSpec[],
    options: CreateTableOptions = {},
  ): Promise<void> {
    const driver = this.state.begun ? await this.other() : this.own;
    await driver.run(this.createTableSql(table, columns, options));
    this.state.undo.push(async () => {
      await (await this.other()).run(`DROP TABLE IF EXISTS ${this.quoteTable(table)}`, undefined, { idempotent: true });
    });
  }

  override async addColumns(table: string, columns: readonly ColumnSpec[]): Promise<void> {
    if (this.state.begun) {
      throw new SnowflakeWarehouseError(
        `Cannot add columns to ${table} after the transaction's first write: Snowflake would commit the transaction first. Add columns before writing.`,
        { code: 'SNOWFLAKE_DDL_IN_TRANSACTION' },
      );
    }
    for (const column of columns) {
      await this.own.run(
        `ALTER TABLE ${this.quoteTable(table)} ADD COLUMN ${quote(column.name)} ${snowflakeColumnType(column.type)}`,
      );
      this.state.undo.push(async () => {
        await this.own.run(`ALTER TABLE ${this.quoteTable(table)} DROP COLUMN ${quote(column.name)}`);
      });
    }
  }

  override async dropTable(table: string): Promise<void> {
    this.state.afterCommit.push(() => super.dropTable(table));
  }

  override async swapTable(source: string, target: string): Promise<void> {
    if (this.state.begun) {
      await this.own.run('COMMIT');
      this.state.begun = false;
    }
    const existed = await this.putInPlace(this.own, source, target);
    this.state.undo.push(async () => {
      if (existed) await this.exchange(this.own, source, target);
      else await this.own.run(`ALTER TABLE ${this.quoteTable(target)} RENAME TO ${this.quoteTable(source)}`);
    });
    if (existed) this.state.afterCommit.push(() => super.dropTable(source));
  }

  async commit(): Promise<void> {
    if (this.state.begun) await this.own.run('COMMIT');
    this.state.begun = false;
    for (const step of this.state.afterCommit) {
      await step().catch((error: unknown) =>
        this.config.logger.warn('A drop after the commit failed (the data is committed)', { reason: String(error) }),
      );
    }
  }

  async rollback(): Promise<void> {
    if (this.state.begun) await this.own.run('ROLLBACK').catch(() => undefined);
    this.state.begun = false;
    for (const step of this.state.undo.reverse()) {
      await step().catch((error: unknown) =>
        this.config.logger.error('Undoing a DDL statement of a rolled back transaction failed', {
          reason: String(error),
        }),
      );
    }
  }
}

import { SnowflakeSqlError } from './errors.js';
import type { Session } from './session.js';
import { duckName, qualify, readName } from './sql/names.js';
import { ifExists } from './sql/scan.js';
import { isOp, isWord, sqlIdent, sqlString, type Token } from './sql/tokens.js';

/**
 * Snowflake's transactions on DuckDB.
 *
 * Snowflake runs every statement of a transaction READ COMMITTED: each statement sees what other sessions
 * have committed when it starts, and its own transaction's writes. DuckDB's transactions are snapshots (a
 * table another session creates or fills after BEGIN stays invisible), so the session's DuckDB connection
 * never holds a transaction open between statements. Instead:
 *
 * - the first write of a transaction to a table copies it into a private *shadow*: a DuckDB temporary table
 *   of the same name (the session's connection resolves an unqualified name to it; qualified names are
 *   pointed at it by {@link redirectShadows}); the transaction's writes and reads of that table use it;
 * - the table is locked for the transaction, as in Snowflake: DML of other sessions on it waits until
 *   COMMIT or ROLLBACK (up to the session's `LOCK_TIMEOUT`), so the shadow never misses a concurrent write;
 * - COMMIT puts every shadow's rows in place of its table's in one DuckDB transaction (other sessions see
 *   all of it or none), ROLLBACK drops the shadows; a session's own temporary tables are restored from a
 *   copy taken before their first write;
 * - every other statement runs on its own, so it sees what other sessions committed before it.
 *
 * Costs: a table's first write in a transaction copies it, and COMMIT rewrites it (fine for an emulator;
 * autocommit statements pay nothing).
 */

const SHADOW_COMMENT = 'kicksaw:transaction';
const BACKUP_PREFIX = '__KICKSAW_TX_BACKUP_';

interface QualifiedName {
  database: string;
  schema: string;
  name: string;
}

/** What an open transaction has written. */
export interface TransactionState {
  /** Table key -> the table whose rows a temporary table of the same name holds for this transaction. */
  shadows: Map<string, QualifiedName>;
  /** The session's own temporary tables written in the transaction -> their copy from before. */
  backups: Map<string, string>;
}

function keyOf(q: QualifiedName): string {
  return `${q.database}\u0000${q.schema}\u0000${q.name}`;
}

interface Lock {
  owner: Session;
  table: QualifiedName;
  released: Promise<void>;
  release: () => void;
}

/** Table locks held by open transactions (Snowflake locks a table for the transaction that writes it). */
export class TableLocks {
  private readonly locks = new Map<string, Lock>();
  /** Session id -> the table key it waits for. */
  private readonly waiting = new Map<number, string>();

  /** Whether the holder of `key` waits, directly or through a chain of holders, for `session`. */
  private waitsFor(holder: Session, session: Session): boolean {
    const seen = new Set<number>();
    let current: Session | undefined = holder;
    while (current && !seen.has(current.id)) {
      seen.add(current.id);
      const key = this.waiting.get(current.id);
      const next: Session | undefined = key ? this.locks.get(key)?.owner : undefined;
      if (next === session) return true;
      current = next;
    }
    return false;
  }

  /**
   * Waits until no other session's transaction holds `table`; then, with `take`, holds it for `session`'s
   * transaction. Answers Snowflake's lock errors on a deadlock or after `timeoutSeconds`.
   */
  async acquire(session: Session, table: QualifiedName, take: boolean, timeoutSeconds: number): Promise<void> {
    const key = keyOf(table);
    for (;;) {
      const lock = this.locks.get(key);
      if (!lock || lock.owner === session) break;
      if (this.waitsFor(lock.owner, session)) {
        throw new SnowflakeSqlError(
          `Transaction of session ${session.id} aborted because of a deadlock on table '${table.name}' (locked by the transaction of session ${lock.owner.id}).`,
          { sfCode: '000625', sqlState: '40001' },
        );
      }
      this.waiting.set(session.id, key);
      let timer: NodeJS.Timeout | undefined;
      try {
        const timedOut = await Promise.race([
          lock.released.then(() => false),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(true), timeoutSeconds * 1000);
            timer.unref?.();
          }),
        ]);
        if (timedOut) {
          throw new SnowflakeSqlError(
            `Statement aborted: table '${table.database}.${table.schema}.${table.name}' is locked by the transaction of session ${lock.owner.id} and the lock was not released within LOCK_TIMEOUT (${timeoutSeconds} s).`,
            { sfCode: '000625', sqlState: '57014' },
          );
        }
      } finally {
        if (timer) clearTimeout(timer);
        this.waiting.delete(session.id);
      }
    }
    if (take && !this.locks.has(key)) {
      let release = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      this.locks.set(key, { owner: session, table, released, release });
    }
  }

  /** Releases every table `session` holds. */
  releaseAll(session: Session): void {
    for (const [key, lock] of this.locks) {
      if (lock.owner !== session) continue;
      this.locks.delete(key);
      lock.release();
    }
  }
}

/** Whether the unqualified `name` is one of the session's transaction shadows (not a real temporary table). */
export function isShadow(session: Session, name: string): boolean {
  if (!session.transaction) return false;
  for (const q of session.transaction.shadows.values()) if (q.name === name) return true;
  return false;
}

/** SQL condition leaving the emulator's transaction tables out of a `duckdb_tables()` listing. */
export const NOT_TRANSACTION_TABLE = `comment IS DISTINCT FROM ${sqlString(SHADOW_COMMENT)}`;

/** The table a DML statement writes (its name parts), or undefined for other statements. */
export function writeTarget(tokens: Token[]): string[] | undefined {
  const at = (i: number) => {
    const t = tokens[i];
    return t && (t.kind === 'word' || t.kind === 'quoted') ? readName(tokens, i).parts : undefined;
  };
  if (isWord(tokens[0], 'INSERT')) {
    if (isWord(tokens[1], 'OVERWRITE')) return isWord(tokens[2], 'INTO') ? at(3) : undefined;
    return isWord(tokens[1], 'INTO') ? at(2) : undefined;
  }
  if (isWord(tokens[0], 'UPDATE')) return at(1);
  if (isWord(tokens[0], 'DELETE')) return isWord(tokens[1], 'FROM') ? at(2) : undefined;
  if (isWord(tokens[0], 'MERGE')) return isWord(tokens[1], 'INTO') ? at(2) : undefined;
  if (isWord(tokens[0], 'COPY')) return isWord(tokens[1], 'INTO') ? at(2) : undefined;
  if (isWord(tokens[0], 'TRUNCATE')) {
    let i = 1;
    if (isWord(tokens[i], 'TABLE')) i++;
    return at(ifExists(tokens, i).next);
  }
  return undefined;
}

/** Tables a DDL statement changes (ALTER TABLE a [SWAP WITH b], DROP TABLE a): it waits for their locks. */
export function ddlTargets(tokens: Token[]): string[][] {
  const named = (i: number) => tokens[i]?.kind === 'word' || tokens[i]?.kind === 'quoted';
  if (isWord(tokens[0], 'ALTER', 'DROP') && isWord(tokens[1], 'TABLE')) {
    const i = ifExists(tokens, 2).next;
    if (!named(i)) return [];
    const first = readName(tokens, i);
    const out = [first.parts];
    if (isWord(tokens[first.next], 'SWAP') && isWord(tokens[first.next + 1], 'WITH') && named(first.next + 2)) {
      out.push(readName(tokens, first.next + 2).parts);
    }
    return out;
  }
  return [];
}

async function count(session: Session, sql: string): Promise<number> {
  return Number((await session.connection.runAndReadAll(sql)).getRows()[0]?.[0] ?? 0);
}

/**
 * Gets a statement's write to `parts` ready: waits for another transaction's lock on the table; inside a
 * transaction takes the lock and makes the table's shadow (or the backup of a temporary table) at its
 * first write.
 */
export async function prepareWrite(session: Session, locks: TableLocks, parts: string[]): Promise<void> {
  let q: QualifiedName;
  try {
    q = qualify(parts, session.database, session.schema);
  } catch {
    return; // the statement itself reports the missing database or schema
  }
  const tx = session.transaction;
  const timeout = Number(session.parameters.get('LOCK_TIMEOUT') ?? 43200);
  const name = sqlString(q.name);
  if (!tx) {
    await locks.acquire(session, q, false, timeout);
    return;
  }
  if (tx.shadows.has(keyOf(q))) return;
  const temp =
    parts.length === 1 &&
    !isShadow(session, q.name) &&
    (await count(
      session,
      `SELECT count(*) FROM duckdb_tables() WHERE database_name = 'temp' AND table_name = ${name}`,
    )) > 0;
  if (temp) {
    await backUpTemporary(session, tx, q.name);
    return;
  }
  const exists = await count(
    session,
    `SELECT count(*) FROM duckdb_tables() WHERE database_name = ${sqlString(q.database)} AND schema_name = ${sqlString(q.schema)} AND table_name = ${name}`,
  );
  if (exists === 0) return; // the statement reports the missing table
  if (isShadow(session, q.name)) {
    throw SnowflakeSqlError.unsupported(
      `one transaction writing two tables named ${q.name} in different schemas (${q.database}.${q.schema}.${q.name})`,
    );
  }
  if (
    (await count(
      session,
      `SELECT count(*) FROM duckdb_tables() WHERE database_name = 'temp' AND table_name = ${name}`,
    )) > 0
  ) {
    throw SnowflakeSqlError.unsupported(
      `a transaction writing ${q.database}.${q.schema}.${q.name} while a temporary table of the same name exists`,
    );
  }
  await locks.acquire(session, q, true, timeout);
  await makeShadow(session, locks, tx, q);
}

/** Backs up a temporary table at the transaction's first write to it (a rollback restores the backup). */
async function backUpTemporary(session: Session, tx: TransactionState, table: string): Promise<void> {
  if (tx.backups.has(table)) return;
  const backup = `temp.main.${sqlIdent(`${BACKUP_PREFIX}${table}`)}`;
  await session.connection.run(
    `CREATE TEMP TABLE ${sqlIdent(`${BACKUP_PREFIX}${table}`)} AS SELECT * FROM temp.main.${sqlIdent(table)}; COMMENT ON TABLE ${backup} IS ${sqlString(SHADOW_COMMENT)}`,
  );
  tx.backups.set(table, backup);
}

/**
 * Makes the transaction's shadow of `q` (a temporary table of the same name, columns' NOT NULL and defaults
 * kept, filled with the table's rows); on failure drops it and releases the locks when nothing else is shadowed.
 */
async function makeShadow(session: Session, locks: TableLocks, tx: TransactionState, q: QualifiedName): Promise<void> {
  const name = sqlString(q.name);
  const real = duckName(q);
  const shadow = `temp.main.${sqlIdent(q.name)}`;
  const columns = (
    await session.connection.runAndReadAll(
      `SELECT column_name, is_nullable, column_default FROM duckdb_columns() WHERE database_name = ${sqlString(q.database)} AND schema_name = ${sqlString(q.schema)} AND table_name = ${name} ORDER BY column_index`,
    )
  ).getRows();
  const statements = [`CREATE TEMP TABLE ${sqlIdent(q.name)} AS SELECT * FROM ${real} LIMIT 0`];
  for (const [column, nullable, fallback] of columns) {
    if (!nullable) statements.push(`ALTER TABLE ${shadow} ALTER COLUMN ${sqlIdent(String(column))} SET NOT NULL`);
    if (fallback !== null && fallback !== undefined) {
      statements.push(`ALTER TABLE ${shadow} ALTER COLUMN ${sqlIdent(String(column))} SET DEFAULT ${String(fallback)}`);
    }
  }
  statements.push(
    `INSERT INTO ${shadow} SELECT * FROM ${real}`,
    `COMMENT ON TABLE ${shadow} IS ${sqlString(SHADOW_COMMENT)}`,
  );
  try {
    await session.connection.run(statements.join('; '));
  } catch (error) {
    await session.connection.run(`DROP TABLE IF EXISTS ${shadow}`).catch(() => undefined);
    if (tx.shadows.size === 0 && tx.backups.size === 0) locks.releaseAll(session);
    throw SnowflakeSqlError.unsupported(
      `a transaction writing ${q.database}.${q.schema}.${q.name} (its private copy failed: ${(error as Error).message})`,
    );
  }
  tx.shadows.set(keyOf(q), q);
}

/**
 * Points qualified names of tables the transaction shadows (`DB.SCHEMA.T`, `SCHEMA.T`) at the shadow (an
 * unqualified quoted name, which the session's DuckDB connection resolves to its temporary table first).
 */
export function redirectShadows(session: Session, tokens: Token[]): Token[] {
  const tx = session.transaction;
  if (!tx || tx.shadows.size === 0) return tokens;
  const named = (t: Token | undefined) => t !== undefined && (t.kind === 'word' || t.kind === 'quoted');
  const out: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (!named(token) || isOp(tokens[i - 1], '.') || !isOp(tokens[i + 1], '.') || !named(tokens[i + 2])) {
      out.push(token);
      continue;
    }
    const a = token.value;
    const b = (tokens[i + 2] as Token).value;
    const c = isOp(tokens[i + 3], '.') && named(tokens[i + 4]) ? (tokens[i + 4] as Token).value : undefined;
    let target: QualifiedName | undefined;
    let width = 0;
    if (c !== undefined) {
      target = tx.shadows.get(keyOf({ database: a, schema: b, name: c }));
      width = 5;
    }
    if (!target && session.database) {
      target = tx.shadows.get(keyOf({ database: session.database, schema: a, name: b }));
      width = 3;
    }
    if (!target) {
      out.push(token);
      continue;
    }
    out.push({ kind: 'quoted', text: sqlIdent(target.name), value: target.name, start: token.start });
    i += width - 1;
  }
  return out;
}

/** BEGIN: opens a transaction (nothing happens in DuckDB until the first write). */
export function beginTransaction(session: Session): void {
  if (session.transaction) return;
  session.transaction = { shadows: new Map(), backups: new Map() };
  session.inTransaction = true;
}

async function dropTransactionTables(session: Session, tx: TransactionState): Promise<void> {
  const drops = [
    ...[...tx.shadows.values()].map((q) => `DROP TABLE IF EXISTS temp.main.${sqlIdent(q.name)}`),
    ...[...tx.backups.values()].map((backup) => `DROP TABLE IF EXISTS ${backup}`),
  ];
  if (drops.length > 0) await session.connection.run(drops.join('; '));
}

/** COMMIT: every shadow's rows replace its table's, in one DuckDB transaction; then the locks go. */
export async function commitTransaction(session: Session, locks: TableLocks): Promise<void> {
  const tx = session.transaction;
  if (!tx) return;
  session.transaction = undefined;
  session.inTransaction = false;
  const conn = session.connection;
  try {
    if (tx.shadows.size > 0) {
      await conn.run('BEGIN TRANSACTION');
      try {
        for (const q of tx.shadows.values()) {
          const real = duckName(q);
          await conn.run(`DELETE FROM ${real}; INSERT INTO ${real} SELECT * FROM temp.main.${sqlIdent(q.name)}`);
        }
        await conn.run('COMMIT');
      } catch (error) {
        await conn.run('ROLLBACK').catch(() => undefined);
        for (const [name, backup] of tx.backups) {
          await conn
            .run(
              `DELETE FROM temp.main.${sqlIdent(name)}; INSERT INTO temp.main.${sqlIdent(name)} SELECT * FROM ${backup}`,
            )
            .catch(() => undefined);
        }
        throw new SnowflakeSqlError(`Transaction rolled back: its commit failed (${(error as Error).message}).`, {
          sfCode: '000603',
          sqlState: 'XX000',
          cause: error,
        });
      }
    }
  } finally {
    await dropTransactionTables(session, tx).catch(() => undefined);
    locks.releaseAll(session);
  }
}

/** ROLLBACK (also when the session ends): shadows dropped, temporary tables restored, locks released. */
export async function rollbackTransaction(session: Session, locks: TableLocks): Promise<void> {
  const tx = session.transaction;
  if (!tx) return;
  session.transaction = undefined;
  session.inTransaction = false;
  try {
    for (const [name, backup] of tx.backups) {
      const table = `temp.main.${sqlIdent(name)}`;
      await session.connection.run(`DELETE FROM ${table}; INSERT INTO ${table} SELECT * FROM ${backup}`);
    }
  } finally {
    await dropTransactionTables(session, tx).catch(() => undefined);
    locks.releaseAll(session);
  }
}

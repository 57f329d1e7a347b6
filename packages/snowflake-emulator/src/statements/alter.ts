// ALTER TABLE (columns, renames, SWAP WITH) and the ALTER statements accepted without effect; ALTER SESSION is
// session.ts's.
import { SnowflakeSqlError } from '../errors.js';
import type { Session } from '../session.js';
import { displayName, duckName, qualify, readName } from '../sql/names.js';
import { ifExists, ifNotExists } from '../sql/scan.js';
import { isOp, isWord, sqlIdent, sqlString, type Token } from '../sql/tokens.js';
import type { TranslateContext } from '../sql/translate.js';
import { parseType } from '../sql/types.js';
import { type ColumnDefinition, columnDefinition } from './columns.js';
import { declaredTypeSql } from './declared-types.js';
import { tableExists } from './lookups.js';
import { runDuck, type StatementOutcome, statusResult } from './outcome.js';
import { alterSession } from './session.js';

const DONE = 'Statement executed successfully.';

export async function alter(session: Session, tokens: Token[], ctx: TranslateContext): Promise<StatementOutcome> {
  if (isWord(tokens[1], 'SESSION') && isWord(tokens[2], 'SET', 'UNSET')) return alterSession(session, tokens);
  if (isWord(tokens[1], 'WAREHOUSE', 'USER', 'ACCOUNT', 'ROLE')) return statusResult(DONE);
  if (!isWord(tokens[1], 'TABLE')) throw SnowflakeSqlError.unsupported(`ALTER ${tokens[1]?.text ?? ''}`);
  return alterTable(session, tokens, ctx);
}

/** The table an ALTER TABLE changes: its name as written in DuckDB SQL, and its parts. */
interface AlteredTable {
  /** The DuckDB name (unqualified when written so: it may be a temporary table). */
  table: string;
  q: { database: string; schema: string; name: string };
  parts: string[];
}

async function alterTable(session: Session, tokens: Token[], ctx: TranslateContext): Promise<StatementOutcome> {
  const exists = ifExists(tokens, 2);
  const name = readName(tokens, exists.next);
  const q = qualify(name.parts, session.database, session.schema);
  const target: AlteredTable = {
    table: name.parts.length === 1 ? sqlIdent(q.name) : duckName(q),
    q,
    parts: name.parts,
  };
  const i = name.next;
  const action = tokens[i];
  let sql: string;
  if (isWord(action, 'ADD')) sql = await addColumns(session, tokens, i + 1, target, ctx);
  else if (isWord(action, 'DROP')) sql = dropColumns(tokens, i + 1, target.table);
  else if (isWord(action, 'RENAME') && isWord(tokens[i + 1], 'COLUMN')) {
    const from = tokens[i + 2] as Token;
    const to = tokens[i + 4] as Token;
    sql = `ALTER TABLE ${target.table} RENAME COLUMN ${sqlIdent(from.value)} TO ${sqlIdent(to.value)}`;
  } else if (isWord(action, 'RENAME') && isWord(tokens[i + 1], 'TO')) {
    const next = readName(tokens, i + 2);
    sql = `ALTER TABLE ${target.table} RENAME TO ${sqlIdent(next.parts.at(-1) as string)}`;
  } else if (isWord(action, 'ALTER', 'MODIFY')) {
    const altered = await alterColumn(session, tokens, i + 1, target.table);
    if (typeof altered !== 'string') return altered;
    sql = altered;
  } else if (isWord(action, 'SET', 'UNSET', 'CLUSTER', 'SUSPEND', 'RESUME')) {
    return statusResult(DONE);
  } else if (isWord(action, 'SWAP') && isWord(tokens[i + 1], 'WITH')) {
    return swapTables(session, q, readName(tokens, i + 2).parts, exists.present);
  } else {
    throw SnowflakeSqlError.unsupported(`ALTER TABLE ... ${action?.text ?? ''}`);
  }
  if (exists.present && !(await tableExists(session, q.database, q.schema, q.name))) return statusResult(DONE);
  await runDuck(sql, () => session.connection.run(sql));
  return statusResult(DONE);
}

/** `ADD [COLUMN] [IF NOT EXISTS] def, ...` (from `at`, after ADD): the DuckDB statements. */
async function addColumns(
  session: Session,
  tokens: Token[],
  at: number,
  target: AlteredTable,
  ctx: TranslateContext,
): Promise<string> {
  const { table, q } = target;
  const columnExists = ifNotExists(tokens, isWord(tokens[at], 'COLUMN') ? at + 1 : at);
  const defs: ColumnDefinition[] = [];
  let start = columnExists.next;
  let depth = 0;
  for (let k = start; k <= tokens.length; k++) {
    const t = tokens[k];
    if (isOp(t, '(')) depth++;
    else if (isOp(t, ')')) depth--;
    if (k === tokens.length || (depth === 0 && isOp(t, ','))) {
      defs.push(columnDefinition(tokens, start, k, ctx));
      start = k + 1;
    }
  }
  // ADD COLUMN IF NOT EXISTS of a column that exists changes nothing, so its recorded type stays.
  let existing = new Set<string>();
  if (columnExists.present) {
    const rows = (
      await session.connection.runAndReadAll(
        `SELECT column_name FROM duckdb_columns() WHERE (database_name = ${sqlString(q.database)} AND schema_name = ${sqlString(q.schema)}${target.parts.length === 1 ? ` OR database_name = 'temp'` : ''}) AND table_name = ${sqlString(q.name)}`,
      )
    ).getRows();
    existing = new Set(rows.map(([c]) => String(c)));
  }
  return [
    ...defs.map((def) => `ALTER TABLE ${table} ADD COLUMN ${columnExists.present ? 'IF NOT EXISTS ' : ''}${def.sql}`),
    ...declaredTypeSql(
      table,
      defs.filter((d) => d.declared && !existing.has(d.column)),
    ),
  ].join('; ');
}

/** `DROP [COLUMN] [IF EXISTS] a, b` (from `at`, after DROP): the DuckDB statements. */
function dropColumns(tokens: Token[], at: number, table: string): string {
  const columnExists = ifExists(tokens, isWord(tokens[at], 'COLUMN') ? at + 1 : at);
  const names: string[] = [];
  for (let k = columnExists.next; k < tokens.length; k++) {
    const t = tokens[k] as Token;
    if (t.kind === 'word' || t.kind === 'quoted') names.push(sqlIdent(t.value));
  }
  return names
    .map((n) => `ALTER TABLE ${table} DROP COLUMN ${columnExists.present ? 'IF EXISTS ' : ''}${n}`)
    .join('; ');
}

/**
 * `ALTER | MODIFY [COLUMN] c SET DATA TYPE t | TYPE t | SET NOT NULL | DROP NOT NULL | COMMENT ...` (from `at`):
 * the DuckDB statements of a type change, or the outcome of the others (run at once, as before).
 */
async function alterColumn(
  session: Session,
  tokens: Token[],
  at: number,
  table: string,
): Promise<string | StatementOutcome> {
  let i = isWord(tokens[at], 'COLUMN') ? at + 1 : at;
  const col = tokens[i] as Token;
  i++;
  if (isWord(tokens[i], 'SET') && isWord(tokens[i + 1], 'DATA') && isWord(tokens[i + 2], 'TYPE')) i += 3;
  else if (isWord(tokens[i], 'TYPE')) i++;
  else if (isWord(tokens[i + 1], 'NOT') && isWord(tokens[i + 2], 'NULL') && isWord(tokens[i], 'SET', 'DROP')) {
    const sql = `ALTER TABLE ${table} ALTER COLUMN ${sqlIdent(col.value)} ${tokens[i]?.value} NOT NULL`;
    await runDuck(sql, () => session.connection.run(sql));
    return statusResult(DONE);
  } else if (isWord(tokens[i], 'COMMENT')) {
    return statusResult(DONE);
  }
  const type = parseType(tokens, i);
  return [
    `ALTER TABLE ${table} ALTER COLUMN ${sqlIdent(col.value)} SET DATA TYPE ${type.duck}`,
    ...declaredTypeSql(table, [{ column: col.value, ...(type.declared ? { declared: type.declared } : {}) }]),
  ].join('; ');
}

/**
 * `ALTER TABLE a SWAP WITH b`: the two tables exchange names (with them their rows, columns, declared types
 * and comments) in one DuckDB transaction of three renames, so no other session ever sees one of them
 * missing or both under one name. Snowflake swaps across schemas too; DuckDB cannot rename a table into
 * another schema, so that (and swapping temporary tables) is refused.
 */
async function swapTables(
  session: Session,
  q: { database: string; schema: string; name: string },
  otherParts: string[],
  ifExists: boolean,
): Promise<StatementOutcome> {
  const other = qualify(otherParts, session.database, session.schema);
  if (other.database !== q.database || other.schema !== q.schema) {
    throw SnowflakeSqlError.unsupported('ALTER TABLE ... SWAP WITH a table of another schema or database');
  }
  if (!(await tableExists(session, q.database, q.schema, q.name))) {
    if (ifExists) return statusResult('Statement executed successfully.');
    throw SnowflakeSqlError.objectMissing('Object', displayName(q));
  }
  if (!(await tableExists(session, other.database, other.schema, other.name)))
    throw SnowflakeSqlError.objectMissing('Object', displayName(other));
  if (other.name === q.name) return statusResult('Statement executed successfully.');
  const schema = `${sqlIdent(q.database)}.${sqlIdent(q.schema)}`;
  const parking = `__KICKSAW_SWAP_${session.id}_${Date.now()}`;
  const conn = session.connection;
  const sql = [
    `ALTER TABLE ${schema}.${sqlIdent(q.name)} RENAME TO ${sqlIdent(parking)}`,
    `ALTER TABLE ${schema}.${sqlIdent(other.name)} RENAME TO ${sqlIdent(q.name)}`,
    `ALTER TABLE ${schema}.${sqlIdent(parking)} RENAME TO ${sqlIdent(other.name)}`,
  ].join('; ');
  await runDuck(sql, async () => {
    await conn.run('BEGIN TRANSACTION');
    try {
      await conn.run(sql);
      await conn.run('COMMIT');
    } catch (error) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
  return statusResult('Statement executed successfully.');
}

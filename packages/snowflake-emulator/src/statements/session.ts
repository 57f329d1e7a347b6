// The session's own statements: USE, ALTER SESSION, BEGIN / COMMIT / ROLLBACK; and setting its time zone and
// current schema (login uses these too).
import { SnowflakeSqlError } from '../errors.js';
import type { Session } from '../session.js';
import { readName } from '../sql/names.js';
import { isOp, isWord, sqlIdent, sqlString, type Token } from '../sql/tokens.js';
import { beginTransaction, commitTransaction, rollbackTransaction } from '../transactions.js';
import { type Runtime, STATEMENT_TYPE, type StatementOutcome, statusResult } from './outcome.js';

/**
 * Sets the session's TIMEZONE: DuckDB's TimeZone of the session connection (TIMESTAMP_LTZ casts and
 * CURRENT_TIMESTAMP follow it) and the TIMEZONE parameter the driver formats TIMESTAMP_LTZ values with.
 */
export async function setTimeZone(session: Session, zone: string): Promise<void> {
  try {
    await session.connection.run(`SET TimeZone = ${sqlString(zone)}`);
  } catch (error) {
    throw new SnowflakeSqlError(`invalid value [${zone}] for parameter 'TIMEZONE'`, {
      sfCode: '002211',
      sqlState: '22023',
      cause: error,
    });
  }
  session.parameters.set('TIMEZONE', zone);
}

/** `ALTER SESSION SET k = v [, ...]` and `ALTER SESSION UNSET k [, ...]`: the session's parameters. */
export async function alterSession(session: Session, tokens: Token[]): Promise<StatementOutcome> {
  if (isWord(tokens[2], 'SET')) {
    for (let i = 3; i + 2 < tokens.length + 1; ) {
      const key = tokens[i];
      const value = tokens[i + 2];
      if (!key || !value) break;
      if (key.value === 'TIMEZONE') await setTimeZone(session, value.value);
      session.parameters.set(key.value, value.kind === 'number' ? Number(value.value) : value.value);
      i += 3;
      if (isOp(tokens[i], ',')) i++;
    }
    return { ...statusResult('Statement executed successfully.'), statementTypeId: STATEMENT_TYPE.session };
  }
  for (const token of tokens.slice(3)) {
    if (token.kind !== 'word') continue;
    session.parameters.delete(token.value);
    if (token.value === 'TIMEZONE') await setTimeZone(session, 'UTC');
  }
  return statusResult('Statement executed successfully.');
}

/** Points the session (and its DuckDB connection) at a database and schema. */
export async function useSchema(
  session: Session,
  runtime: Runtime,
  database: string,
  schema: string | undefined,
): Promise<void> {
  if (!runtime.engine.database(database)) throw SnowflakeSqlError.objectMissing('Database', database);
  if (schema) {
    const found = await session.connection.runAndReadAll(
      `SELECT count(*) FROM duckdb_schemas() WHERE database_name = ${sqlString(database)} AND schema_name = ${sqlString(schema)}`,
    );
    if (Number(found.getRows()[0]?.[0] ?? 0) === 0)
      throw SnowflakeSqlError.objectMissing('Schema', `${database}.${schema}`);
    await session.connection.run(`USE ${sqlIdent(database)}.${sqlIdent(schema)}`);
  } else {
    await session.connection.run(`USE ${sqlIdent(database)}`);
  }
  session.database = database;
  session.schema = schema;
}

export async function use(session: Session, runtime: Runtime, tokens: Token[]): Promise<StatementOutcome> {
  let i = 1;
  const kind = tokens[i];
  if (isWord(kind, 'WAREHOUSE')) {
    session.warehouse = readName(tokens, i + 1).parts.join('.');
    return { ...statusResult('Statement executed successfully.'), statementTypeId: STATEMENT_TYPE.session };
  }
  if (isWord(kind, 'ROLE')) {
    session.role = readName(tokens, i + 1).parts.join('.');
    return { ...statusResult('Statement executed successfully.'), statementTypeId: STATEMENT_TYPE.session };
  }
  if (isWord(kind, 'SECONDARY')) return statusResult('Statement executed successfully.');
  if (isWord(kind, 'DATABASE')) {
    const name = readName(tokens, i + 1).parts[0] as string;
    const hasPublic = await session.connection.runAndReadAll(
      `SELECT count(*) FROM duckdb_schemas() WHERE database_name = ${sqlString(name)} AND schema_name = 'PUBLIC'`,
    );
    await useSchema(session, runtime, name, Number(hasPublic.getRows()[0]?.[0] ?? 0) > 0 ? 'PUBLIC' : undefined);
  } else {
    if (isWord(kind, 'SCHEMA')) i++;
    const parts = readName(tokens, i).parts;
    if (parts.length === 2) await useSchema(session, runtime, parts[0] as string, parts[1] as string);
    else if (!session.database) throw SnowflakeSqlError.objectMissing('Schema', parts[0] as string);
    else await useSchema(session, runtime, session.database, parts[0] as string);
  }
  return { ...statusResult('Statement executed successfully.'), statementTypeId: STATEMENT_TYPE.session };
}

export async function transaction(session: Session, runtime: Runtime, word: string): Promise<StatementOutcome> {
  const done = (message: string) => ({ ...statusResult(message), statementTypeId: STATEMENT_TYPE.transaction });
  // BEGIN inside a transaction is ignored, as Snowflake does; COMMIT / ROLLBACK outside one do nothing.
  if (word === 'BEGIN' || word === 'START') beginTransaction(session);
  else if (word === 'COMMIT' || word === 'END') await commitTransaction(session, runtime.locks);
  else await rollbackTransaction(session, runtime.locks);
  return done('Statement executed successfully.');
}

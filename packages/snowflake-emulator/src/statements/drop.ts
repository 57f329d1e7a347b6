// DROP DATABASE | SCHEMA | TABLE | VIEW | SEQUENCE | STAGE | FILE FORMAT, and TRUNCATE.
import { fromDuckDbError, SnowflakeSqlError } from '../errors.js';
import type { Session } from '../session.js';
import { displayName, duckName, qualify, readName } from '../sql/names.js';
import { ifExists } from '../sql/scan.js';
import { isWord, sqlIdent, sqlString, type Token } from '../sql/tokens.js';
import { type Runtime, runDuck, type StatementOutcome, statusResult } from './outcome.js';

export async function drop(session: Session, runtime: Runtime, tokens: Token[]): Promise<StatementOutcome> {
  const kind = tokens[1];
  const exists = ifExists(tokens, 2);
  if (isWord(kind, 'DATABASE')) {
    const name = readName(tokens, exists.next).parts.join('.');
    const dropped = await runtime.engine.dropDatabase(name, exists.present);
    if (dropped && session.database === name) {
      session.database = undefined;
      session.schema = undefined;
    }
    return statusResult(
      dropped ? `${name} successfully dropped.` : `Drop statement executed successfully (${name} already dropped).`,
    );
  }
  if (isWord(kind, 'SCHEMA')) {
    const parts = readName(tokens, exists.next).parts;
    const database = parts.length === 2 ? (parts[0] as string) : session.database;
    const schema = parts.at(-1) as string;
    if (!database) throw SnowflakeSqlError.objectMissing('Schema', schema);
    const sql = `DROP SCHEMA ${exists.present ? 'IF EXISTS ' : ''}${sqlIdent(database)}.${sqlIdent(schema)} CASCADE`;
    await runDuck(sql, () => session.connection.run(sql));
    if (session.database === database && session.schema === schema) session.schema = undefined;
    return statusResult(`${schema} successfully dropped.`);
  }
  if (isWord(kind, 'TABLE', 'VIEW', 'SEQUENCE')) {
    const name = readName(tokens, exists.next);
    const q = qualify(name.parts, session.database, session.schema);
    const what = (kind as Token).value;
    // An unqualified name may be a temporary table (DuckDB's temp catalog): look it up first.
    let target = duckName(q);
    if (name.parts.length === 1 && what === 'TABLE') {
      const temp = await session.connection.runAndReadAll(
        `SELECT count(*) FROM duckdb_tables() WHERE database_name = 'temp' AND table_name = ${sqlString(q.name)}`,
      );
      if (Number(temp.getRows()[0]?.[0] ?? 0) > 0) target = `temp.main.${sqlIdent(q.name)}`;
    }
    const sql = `DROP ${what} ${exists.present ? 'IF EXISTS ' : ''}${target}`;
    try {
      await session.connection.run(sql);
    } catch (error) {
      const mapped = fromDuckDbError(error, sql);
      if (mapped.sfCode === '002003' || /does not exist/.test(mapped.message))
        throw SnowflakeSqlError.objectMissing('Object', displayName(q));
      throw mapped;
    }
    return statusResult(`${q.name} successfully dropped.`);
  }
  if (isWord(kind, 'STAGE')) return runtime.stages.dropStage(session, tokens, exists.next, exists.present);
  if (isWord(kind, 'FILE') && isWord(tokens[2], 'FORMAT')) {
    const again = ifExists(tokens, 3);
    return runtime.stages.dropFileFormat(session, tokens, again.next, again.present);
  }
  if (isWord(kind, 'WAREHOUSE', 'ROLE', 'USER')) return statusResult('Statement executed successfully.');
  throw SnowflakeSqlError.unsupported(`DROP ${kind?.text ?? ''}`);
}

export async function truncate(session: Session, tokens: Token[]): Promise<StatementOutcome> {
  let i = 1;
  if (isWord(tokens[i], 'TABLE')) i++;
  const exists = ifExists(tokens, i);
  const name = readName(tokens, exists.next);
  const q = qualify(name.parts, session.database, session.schema);
  const target = name.parts.length === 1 ? sqlIdent(q.name) : duckName(q);
  const sql = `DELETE FROM ${target}`;
  try {
    await session.connection.run(sql);
  } catch (error) {
    const mapped = fromDuckDbError(error, sql);
    if (exists.present && mapped.sfCode === '002003') return statusResult('Statement executed successfully.');
    throw mapped;
  }
  return statusResult('Statement executed successfully.');
}

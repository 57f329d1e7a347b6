// DESCRIBE TABLE | VIEW (DESCRIBE STAGE is stages.ts's).
import { SnowflakeSqlError } from '../errors.js';
import type { Session } from '../session.js';
import { snowflakeTypeText } from '../sql/catalog.js';
import { displayName, qualify, readName } from '../sql/names.js';
import { isWord, sqlString, type Token } from '../sql/tokens.js';
import { isShadow } from '../transactions.js';
import { type Runtime, type StatementOutcome, selectResult, textColumn } from './outcome.js';

export async function describe(session: Session, runtime: Runtime, tokens: Token[]): Promise<StatementOutcome> {
  let i = 1;
  if (isWord(tokens[i], 'TABLE', 'VIEW')) i++;
  else if (isWord(tokens[i], 'STAGE')) return runtime.stages.describeStage(session, tokens, i + 1);
  else if (isWord(tokens[i], 'DATABASE', 'SCHEMA', 'WAREHOUSE', 'FILE', 'SEQUENCE', 'FUNCTION', 'PROCEDURE', 'RESULT'))
    throw SnowflakeSqlError.unsupported(`DESCRIBE ${tokens[i]?.value}`);
  const name = readName(tokens, i);
  const q = qualify(name.parts, session.database, session.schema);
  const temp = name.parts.length === 1 && !isShadow(session, q.name);
  const sql = `SELECT column_name, data_type, is_nullable, column_default, comment FROM duckdb_columns() WHERE (database_name = ${sqlString(q.database)} AND schema_name = ${sqlString(q.schema)}${temp ? ` OR database_name = 'temp'` : ''}) AND table_name = ${sqlString(q.name)} ORDER BY column_index`;
  const rows = (await session.connection.runAndReadAll(sql)).getRows();
  if (rows.length === 0) throw SnowflakeSqlError.objectMissing('Object', displayName(q));
  return selectResult(
    [
      'name',
      'type',
      'kind',
      'null?',
      'default',
      'primary key',
      'unique key',
      'check',
      'expression',
      'comment',
      'policy name',
      'privacy domain',
    ].map(textColumn),
    rows.map(([col, type, nullable, def, comment]) => [
      String(col),
      snowflakeTypeText(String(type), comment),
      'COLUMN',
      nullable ? 'Y' : 'N',
      (def as string | null) ?? null,
      'N',
      'N',
      null,
      null,
      null,
      null,
      null,
    ]),
  );
}

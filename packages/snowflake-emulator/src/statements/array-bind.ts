// Array binds and the driver's stage binds: one INSERT ... SELECT over the bind rows, or a statement per row.
import { SnowflakeSqlError } from '../errors.js';
import type { Session } from '../session.js';
import { closingParen } from '../sql/scan.js';
import { isOp, isWord, sqlIdent, sqlString, type Token } from '../sql/tokens.js';
import { translateTokens } from '../sql/translate.js';
import { bindCastType, bindLiteral, sessionContext } from './binds.js';
import { dispatch } from './dispatch.js';
import {
  type Bind,
  countResult,
  type Runtime,
  runDuck,
  STATEMENT_TYPE,
  type StatementOutcome,
  type StatementRequest,
  statusResult,
} from './outcome.js';
import { insertSql } from './tz-writes.js';

/**
 * An array bind (rows of values per bind) or a stage bind: an `INSERT ... VALUES (?, ?)` becomes one
 * `INSERT ... SELECT` over the bind rows (loaded into a temporary DuckDB table, or read from the
 * stage's CSV files); any other statement runs once per row and the counts add up.
 */
export async function runArrayBind(
  session: Session,
  runtime: Runtime,
  tokens: Token[],
  request: StatementRequest,
  queryId: string,
): Promise<StatementOutcome> {
  const bindings = request.bindings ?? {};
  const count = Math.max(
    0,
    ...Object.keys(bindings).map(Number),
    ...tokens.filter((t) => t.kind === 'bind').map((t) => t.index ?? 0),
  );
  const valuesAt = tokens.findIndex((t) => isWord(t, 'VALUES'));
  const isInsertValues =
    isWord(tokens[0], 'INSERT') &&
    valuesAt > 0 &&
    isOp(tokens[valuesAt + 1], '(') &&
    closingParen(tokens, valuesAt + 1) === tokens.length - 1;
  if (!isInsertValues) {
    if (request.bindStage)
      throw SnowflakeSqlError.unsupported('stage binds on statements other than INSERT ... VALUES');
    return runPerRow(session, runtime, tokens, request, queryId);
  }
  const types = Array.from({ length: count }, (_, k) => bindings[String(k + 1)]?.type ?? 'TEXT');
  const conn = session.connection;
  const { source, cleanup } = request.bindStage
    ? { source: await stageSource(session, runtime, request.bindStage, types.length), cleanup: undefined }
    : await bindTable(session, bindings, types.length, queryId);
  try {
    const ctx = sessionContext(session, runtime, (index) => {
      const cast = bindCastType(types[index - 1] ?? 'TEXT');
      return cast ? `CAST(__B.C${index} AS ${cast})` : `__B.C${index}`;
    });
    const close = closingParen(tokens, valuesAt + 1);
    const values = translateTokens(tokens, ctx, valuesAt + 2, close);
    const sql = await insertSql(session, tokens, ctx, { at: valuesAt, sql: `SELECT ${values} FROM ${source} AS __B` });
    const changed = await runDuck(sql, async () => (await conn.run(sql)).rowsChanged);
    return countResult(STATEMENT_TYPE.insert, [['number of rows inserted', changed]]);
  } finally {
    if (cleanup) await conn.run(cleanup).catch(() => undefined);
  }
}

/** A statement other than INSERT ... VALUES, run once per bind row; the DML counts add up. */
async function runPerRow(
  session: Session,
  runtime: Runtime,
  tokens: Token[],
  request: StatementRequest,
  queryId: string,
): Promise<StatementOutcome> {
  const bindings = request.bindings ?? {};
  const rows = Math.max(0, ...Object.values(bindings).map((b) => (Array.isArray(b.value) ? b.value.length : 1)));
  let total: StatementOutcome | undefined;
  const sums: number[] = [];
  for (let r = 0; r < rows; r++) {
    const ctx = sessionContext(session, runtime, (index) => {
      const bind = bindings[String(index)];
      return bindLiteral(bind, Array.isArray(bind?.value) ? bind?.value[r] : bind?.value, index);
    });
    const outcome = await dispatch(session, runtime, tokens, ctx, { ...request, bindings: undefined }, queryId);
    if (outcome.kind === 'result' && outcome.statementTypeId >= 0x3000 && outcome.statementTypeId < 0x4000) {
      outcome.result.rowset[0]?.forEach((v, k) => {
        sums[k] = (sums[k] ?? 0) + Number(v ?? 0);
      });
    }
    total = outcome;
  }
  if (total && total.kind === 'result' && sums.length > 0) total.result.rowset = [sums.map(String)];
  return total ?? statusResult('Statement executed successfully.');
}

/** The driver's stage bind: its CSV files on the stage, read as `width` VARCHAR columns C1, C2, ... */
async function stageSource(session: Session, runtime: Runtime, bindStage: string, width: number): Promise<string> {
  const files = await runtime.stages.bindStageFiles(session, bindStage);
  if (files.length === 0) throw SnowflakeSqlError.objectMissing('Stage', bindStage);
  const columns = Array.from({ length: width }, (_, k) => `'C${k + 1}': 'VARCHAR'`).join(', ');
  return `read_csv([${files.map(sqlString).join(', ')}], header = false, delim = ',', quote = '"', escape = '"', columns = {${columns}}, auto_detect = false, allow_quoted_nulls = false, null_padding = false)`;
}

/**
 * An array bind's rows appended into a temporary table of `width` VARCHAR columns C1, C2, ... (a bind that is
 * not an array repeats on every row); `cleanup` drops it.
 */
async function bindTable(
  session: Session,
  bindings: Record<string, Bind>,
  width: number,
  queryId: string,
): Promise<{ source: string; cleanup: string }> {
  const conn = session.connection;
  const table = `__KICKSAW_BINDS_${queryId.replaceAll('-', '_')}`;
  await conn.run(
    `CREATE TEMP TABLE ${sqlIdent(table)} (${Array.from({ length: width }, (_, k) => `C${k + 1} VARCHAR`).join(', ')})`,
  );
  const cleanup = `DROP TABLE IF EXISTS temp.main.${sqlIdent(table)}`;
  const appender = await conn.createAppender(table, 'main', 'temp');
  const columns = Array.from({ length: width }, (_, k) => {
    const value = bindings[String(k + 1)]?.value;
    return Array.isArray(value) ? value : undefined;
  });
  const rows = Math.max(0, ...columns.map((c) => c?.length ?? 0));
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < width; k++) {
      const value = columns[k] ? columns[k]?.[r] : bindings[String(k + 1)]?.value;
      if (value === null || value === undefined) appender.appendNull();
      else appender.appendVarchar(typeof value === 'string' ? value : JSON.stringify(value));
    }
    appender.endRow();
  }
  appender.closeSync();
  return { source: `temp.main.${sqlIdent(table)}`, cleanup };
}

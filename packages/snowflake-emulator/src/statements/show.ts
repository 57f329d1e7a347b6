import { SnowflakeSqlError } from '../errors.js';
import { column, type RowType } from '../results.js';
import type { Session } from '../session.js';
import { snowflakeTypeJson } from '../sql/catalog.js';
import { qualify, readName } from '../sql/names.js';
import { isWord, sqlString, type Token } from '../sql/tokens.js';
import { NOT_TRANSACTION_TABLE } from '../transactions.js';
import { type Runtime, rowsResult, STATEMENT_TYPE, type StatementOutcome } from './outcome.js';

const TS = (name: string) => column(name, 'timestamp_ltz', { scale: 3, precision: 0 });

export const TEXT = (name: string) => column(name, 'text', { length: 16777216 });

const NUM = (name: string) => column(name, 'fixed', { precision: 38, scale: 0 });

function likePattern(tokens: Token[]): string | undefined {
  const at = tokens.findIndex((t) => isWord(t, 'LIKE'));
  const value = at >= 0 ? tokens[at + 1] : undefined;
  return value?.kind === 'string' ? value.value : undefined;
}

/** Where SHOW ... IN looks: account, a database, or a schema. */
function showScope(
  session: Session,
  tokens: Token[],
  defaultScope: 'database' | 'schema',
): { database?: string; schema?: string; table?: string[] } {
  const at = tokens.findIndex((t) => isWord(t, 'IN', 'FROM'));
  if (at < 0) {
    if (defaultScope === 'database') return { database: session.database };
    return { database: session.database, schema: session.schema };
  }
  let i = at + 1;
  if (isWord(tokens[i], 'ACCOUNT')) return {};
  if (isWord(tokens[i], 'DATABASE')) return { database: readName(tokens, i + 1).parts[0] };
  if (isWord(tokens[i], 'TABLE', 'VIEW')) return { table: readName(tokens, i + 1).parts };
  if (isWord(tokens[i], 'SCHEMA')) i++;
  const parts = readName(tokens, i).parts;
  if (parts.length === 2) return { database: parts[0], schema: parts[1] };
  if (defaultScope === 'database' && !isWord(tokens[at + 1], 'SCHEMA')) return { database: parts[0] };
  return { database: session.database, schema: parts[0] };
}

function likeFilter(column: string, pattern: string | undefined): string {
  return pattern ? ` AND ${column} ILIKE ${sqlString(pattern)}` : '';
}

export async function show(session: Session, runtime: Runtime, tokens: Token[]): Promise<StatementOutcome> {
  let i = 1;
  if (isWord(tokens[i], 'TERSE')) i++;
  const what = tokens[i]?.value ?? '';
  const pattern = likePattern(tokens);
  const now = String(Math.floor(Date.now() / 1000));
  const done = (rowtype: RowType[], rows: Array<Array<string | null>>): StatementOutcome => ({
    kind: 'result',
    statementTypeId: STATEMENT_TYPE.select,
    result: rowsResult(rowtype, rows),
  });
  const read = (sql: string) => runtime.engine.read(sql);
  const likeJs = (name: string) =>
    !pattern ||
    new RegExp(
      `^${pattern
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replaceAll('%', '.*')
        .replaceAll('_', '.')}$`,
      'i',
    ).test(name);
  if (what === 'DATABASES') {
    const rows = runtime.engine
      .databaseNames()
      .filter(likeJs)
      .map((name) => [
        now,
        name,
        'N',
        session.database === name ? 'Y' : 'N',
        '',
        'ACCOUNTADMIN',
        '',
        '',
        '1',
        'STANDARD',
      ]);
    return done(
      [
        TS('created_on'),
        TEXT('name'),
        TEXT('is_default'),
        TEXT('is_current'),
        TEXT('origin'),
        TEXT('owner'),
        TEXT('comment'),
        TEXT('options'),
        TEXT('retention_time'),
        TEXT('kind'),
      ],
      rows,
    );
  }
  if (what === 'SCHEMAS') {
    const scope = showScope(session, tokens, 'database');
    const where = scope.database ? ` AND database_name = ${sqlString(scope.database)}` : '';
    const rows = await read(
      `SELECT database_name, schema_name FROM duckdb_schemas() WHERE schema_name NOT IN ('main', 'pg_catalog', 'information_schema') AND database_name NOT IN ('system', 'temp', 'memory')${where}${likeFilter('schema_name', pattern)} ORDER BY 1, 2`,
    );
    const out = rows.map(([db, name]) => [
      now,
      String(name),
      'N',
      session.database === db && session.schema === name ? 'Y' : 'N',
      String(db),
      'ACCOUNTADMIN',
      '',
      '',
      '1',
    ]);
    if (scope.database && likeJs('INFORMATION_SCHEMA'))
      out.unshift([
        now,
        'INFORMATION_SCHEMA',
        'N',
        'N',
        scope.database,
        '',
        'Views describing the contents of schemas in this database',
        '',
        '1',
      ]);
    return done(
      [
        TS('created_on'),
        TEXT('name'),
        TEXT('is_default'),
        TEXT('is_current'),
        TEXT('database_name'),
        TEXT('owner'),
        TEXT('comment'),
        TEXT('options'),
        TEXT('retention_time'),
      ],
      out,
    );
  }
  if (what === 'TABLES' || what === 'VIEWS' || what === 'OBJECTS') {
    const scope = showScope(session, tokens, 'schema');
    let where = '';
    if (scope.database) where += ` AND database_name = ${sqlString(scope.database)}`;
    if (scope.schema) where += ` AND schema_name = ${sqlString(scope.schema)}`;
    const tables =
      what === 'VIEWS'
        ? []
        : await read(
            `SELECT database_name, schema_name, table_name, temporary, estimated_size, comment FROM duckdb_tables() WHERE database_name NOT IN ('system', 'memory')${where}${likeFilter('table_name', pattern)} ORDER BY 3`,
          );
    const temps =
      what === 'VIEWS'
        ? []
        : await session.connection
            .runAndReadAll(
              `SELECT table_name, estimated_size FROM duckdb_tables() WHERE database_name = 'temp' AND ${NOT_TRANSACTION_TABLE}${likeFilter('table_name', pattern)}`,
            )
            .then((r) => r.getRows());
    const views =
      what === 'TABLES'
        ? []
        : await read(
            `SELECT database_name, schema_name, view_name, sql, comment FROM duckdb_views() WHERE NOT internal AND database_name NOT IN ('system', 'memory', 'temp')${where}${likeFilter('view_name', pattern)} ORDER BY 3`,
          );
    if (what === 'VIEWS') {
      return done(
        [
          TS('created_on'),
          TEXT('name'),
          TEXT('reserved'),
          TEXT('database_name'),
          TEXT('schema_name'),
          TEXT('owner'),
          TEXT('comment'),
          TEXT('text'),
          TEXT('is_secure'),
          TEXT('is_materialized'),
        ],
        views.map(([db, schema, name, sql, comment]) => [
          now,
          String(name),
          '',
          String(db),
          String(schema),
          'ACCOUNTADMIN',
          (comment as string | null) ?? '',
          String(sql),
          'false',
          'false',
        ]),
      );
    }
    const rows: Array<Array<string | null>> = tables.map(([db, schema, name, , size, comment]) => [
      now,
      String(name),
      String(db),
      String(schema),
      'TABLE',
      (comment as string | null) ?? '',
      '',
      String(size),
      '0',
      'ACCOUNTADMIN',
      '1',
      'OFF',
      'OFF',
    ]);
    if (!scope.table && session.database && (!scope.database || scope.database === session.database)) {
      for (const [name, size] of temps)
        rows.push([
          now,
          String(name),
          session.database,
          session.schema ?? '',
          'TEMPORARY',
          '',
          '',
          String(size),
          '0',
          'ACCOUNTADMIN',
          '1',
          'OFF',
          'OFF',
        ]);
    }
    if (what === 'OBJECTS')
      for (const [db, schema, name] of views)
        rows.push([
          now,
          String(name),
          String(db),
          String(schema),
          'VIEW',
          '',
          '',
          '0',
          '0',
          'ACCOUNTADMIN',
          '1',
          'OFF',
          'OFF',
        ]);
    return done(
      [
        TS('created_on'),
        TEXT('name'),
        TEXT('database_name'),
        TEXT('schema_name'),
        TEXT('kind'),
        TEXT('comment'),
        TEXT('cluster_by'),
        NUM('rows'),
        NUM('bytes'),
        TEXT('owner'),
        TEXT('retention_time'),
        TEXT('automatic_clustering'),
        TEXT('change_tracking'),
      ],
      rows,
    );
  }
  if (what === 'COLUMNS') {
    const scope = showScope(session, tokens, 'schema');
    let where = '';
    if (scope.table) {
      const q = qualify(scope.table, session.database, session.schema);
      where = ` AND database_name = ${sqlString(q.database)} AND schema_name = ${sqlString(q.schema)} AND table_name = ${sqlString(q.name)}`;
    } else {
      if (scope.database) where += ` AND database_name = ${sqlString(scope.database)}`;
      if (scope.schema) where += ` AND schema_name = ${sqlString(scope.schema)}`;
    }
    const rows = await read(
      `SELECT table_name, schema_name, column_name, data_type, is_nullable, column_default, database_name, comment FROM duckdb_columns() WHERE NOT internal AND database_name NOT IN ('system', 'memory')${where}${likeFilter('column_name', pattern)} ORDER BY database_name, schema_name, table_name, column_index`,
    );
    return done(
      [
        TEXT('table_name'),
        TEXT('schema_name'),
        TEXT('column_name'),
        TEXT('data_type'),
        TEXT('null?'),
        TEXT('default'),
        TEXT('kind'),
        TEXT('expression'),
        TEXT('comment'),
        TEXT('database_name'),
        TEXT('autoincrement'),
      ],
      rows.map(([table, schema, name, type, nullable, def, db, comment]) => [
        String(table),
        String(schema),
        String(name),
        snowflakeTypeJson(String(type), Boolean(nullable), comment),
        nullable ? 'true' : 'false',
        (def as string | null) ?? '',
        'COLUMN',
        '',
        '',
        String(db),
        '',
      ]),
    );
  }
  if (what === 'WAREHOUSES') {
    return done(
      [TEXT('name'), TEXT('state'), TEXT('type'), TEXT('size')],
      [[session.warehouse || 'COMPUTE_WH', 'STARTED', 'STANDARD', 'X-Small']],
    );
  }
  if (what === 'STAGES') return runtime.stages.showStages(session, tokens);
  if (what === 'FILE' && isWord(tokens[i + 1], 'FORMATS')) return runtime.stages.showFileFormats(session, tokens);
  if (what === 'PARAMETERS') {
    return done(
      [TEXT('key'), TEXT('value'), TEXT('default'), TEXT('level'), TEXT('description'), TEXT('type')],
      [...session.parameters.entries()].map(([key, value]) => [
        key,
        String(value),
        '',
        'SESSION',
        '',
        typeof value === 'number' ? 'NUMBER' : 'STRING',
      ]),
    );
  }
  if (what === 'PRIMARY' || what === 'IMPORTED' || what === 'UNIQUE')
    return done(
      [TS('created_on'), TEXT('database_name'), TEXT('schema_name'), TEXT('table_name'), TEXT('column_name')],
      [],
    );
  throw SnowflakeSqlError.unsupported(`SHOW ${what}`);
}

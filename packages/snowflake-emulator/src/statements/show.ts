// SHOW DATABASES | SCHEMAS | TABLES | VIEWS | OBJECTS | COLUMNS | WAREHOUSES | PARAMETERS ... (stages and file
// formats are stages.ts's), with Snowflake's columns, LIKE patterns and IN scopes.
import { SnowflakeSqlError } from '../errors.js';
import type { Session } from '../session.js';
import { snowflakeTypeJson } from '../sql/catalog.js';
import { qualify, readName } from '../sql/names.js';
import { isWord, sqlString, type Token } from '../sql/tokens.js';
import { NOT_TRANSACTION_TABLE } from '../transactions.js';
import {
  createdOnColumn,
  numberColumn,
  type Runtime,
  type StatementOutcome,
  selectResult,
  textColumn,
} from './outcome.js';

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

/** What every SHOW reads: the session, the statement, its LIKE pattern, the time reported as `created_on`. */
interface ShowContext {
  session: Session;
  runtime: Runtime;
  tokens: Token[];
  pattern: string | undefined;
  now: string;
  /** Whether a name matches the LIKE pattern (true without one), for names not read through SQL. */
  likeJs(name: string): boolean;
  read(sql: string): ReturnType<Runtime['engine']['read']>;
}

export async function show(session: Session, runtime: Runtime, tokens: Token[]): Promise<StatementOutcome> {
  let i = 1;
  if (isWord(tokens[i], 'TERSE')) i++;
  const what = tokens[i]?.value ?? '';
  const pattern = likePattern(tokens);
  const s: ShowContext = {
    session,
    runtime,
    tokens,
    pattern,
    now: String(Math.floor(Date.now() / 1000)),
    likeJs: (name: string) =>
      !pattern ||
      new RegExp(
        `^${pattern
          .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
          .replaceAll('%', '.*')
          .replaceAll('_', '.')}$`,
        'i',
      ).test(name),
    read: (sql: string) => runtime.engine.read(sql),
  };
  if (what === 'DATABASES') return showDatabases(s);
  if (what === 'SCHEMAS') return showSchemas(s);
  if (what === 'VIEWS') return showViews(s);
  if (what === 'TABLES' || what === 'OBJECTS') return showTables(s, what === 'OBJECTS');
  if (what === 'COLUMNS') return showColumns(s);
  if (what === 'WAREHOUSES') {
    return selectResult(
      [textColumn('name'), textColumn('state'), textColumn('type'), textColumn('size')],
      [[session.warehouse || 'COMPUTE_WH', 'STARTED', 'STANDARD', 'X-Small']],
    );
  }
  if (what === 'STAGES') return runtime.stages.showStages(session, tokens);
  if (what === 'FILE' && isWord(tokens[i + 1], 'FORMATS')) return runtime.stages.showFileFormats(session, tokens);
  if (what === 'PARAMETERS') {
    return selectResult(
      ['key', 'value', 'default', 'level', 'description', 'type'].map(textColumn),
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
    return selectResult(
      [createdOnColumn('created_on'), ...['database_name', 'schema_name', 'table_name', 'column_name'].map(textColumn)],
      [],
    );
  throw SnowflakeSqlError.unsupported(`SHOW ${what}`);
}

function showDatabases(s: ShowContext): StatementOutcome {
  const rows = s.runtime.engine
    .databaseNames()
    .filter(s.likeJs)
    .map((name) => [
      s.now,
      name,
      'N',
      s.session.database === name ? 'Y' : 'N',
      '',
      'ACCOUNTADMIN',
      '',
      '',
      '1',
      'STANDARD',
    ]);
  return selectResult(
    [
      createdOnColumn('created_on'),
      ...['name', 'is_default', 'is_current', 'origin', 'owner', 'comment', 'options', 'retention_time', 'kind'].map(
        textColumn,
      ),
    ],
    rows,
  );
}

async function showSchemas(s: ShowContext): Promise<StatementOutcome> {
  const scope = showScope(s.session, s.tokens, 'database');
  const where = scope.database ? ` AND database_name = ${sqlString(scope.database)}` : '';
  const rows = await s.read(
    `SELECT database_name, schema_name FROM duckdb_schemas() WHERE schema_name NOT IN ('main', 'pg_catalog', 'information_schema') AND database_name NOT IN ('system', 'temp', 'memory')${where}${likeFilter('schema_name', s.pattern)} ORDER BY 1, 2`,
  );
  const out = rows.map(([db, name]) => [
    s.now,
    String(name),
    'N',
    s.session.database === db && s.session.schema === name ? 'Y' : 'N',
    String(db),
    'ACCOUNTADMIN',
    '',
    '',
    '1',
  ]);
  if (scope.database && s.likeJs('INFORMATION_SCHEMA'))
    out.unshift([
      s.now,
      'INFORMATION_SCHEMA',
      'N',
      'N',
      scope.database,
      '',
      'Views describing the contents of schemas in this database',
      '',
      '1',
    ]);
  return selectResult(
    [
      createdOnColumn('created_on'),
      ...['name', 'is_default', 'is_current', 'database_name', 'owner', 'comment', 'options', 'retention_time'].map(
        textColumn,
      ),
    ],
    out,
  );
}

/** `WHERE` conditions on `database_name` / `schema_name` for SHOW TABLES | VIEWS | OBJECTS. */
function schemaFilter(scope: { database?: string; schema?: string }): string {
  let where = '';
  if (scope.database) where += ` AND database_name = ${sqlString(scope.database)}`;
  if (scope.schema) where += ` AND schema_name = ${sqlString(scope.schema)}`;
  return where;
}

/** The views (database, schema, name, sql, comment) SHOW VIEWS | OBJECTS lists. */
function readViews(s: ShowContext, where: string) {
  return s.read(
    `SELECT database_name, schema_name, view_name, sql, comment FROM duckdb_views() WHERE NOT internal AND database_name NOT IN ('system', 'memory', 'temp')${where}${likeFilter('view_name', s.pattern)} ORDER BY 3`,
  );
}

async function showViews(s: ShowContext): Promise<StatementOutcome> {
  const views = await readViews(s, schemaFilter(showScope(s.session, s.tokens, 'schema')));
  return selectResult(
    [
      createdOnColumn('created_on'),
      ...[
        'name',
        'reserved',
        'database_name',
        'schema_name',
        'owner',
        'comment',
        'text',
        'is_secure',
        'is_materialized',
      ].map(textColumn),
    ],
    views.map(([db, schema, name, sql, comment]) => [
      s.now,
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

/** SHOW TABLES, or SHOW OBJECTS (`withViews`): the tables, the session's temporary tables, the views. */
async function showTables(s: ShowContext, withViews: boolean): Promise<StatementOutcome> {
  const { session, now } = s;
  const scope = showScope(session, s.tokens, 'schema');
  const where = schemaFilter(scope);
  const tables = await s.read(
    `SELECT database_name, schema_name, table_name, temporary, estimated_size, comment FROM duckdb_tables() WHERE database_name NOT IN ('system', 'memory')${where}${likeFilter('table_name', s.pattern)} ORDER BY 3`,
  );
  const temps = await session.connection
    .runAndReadAll(
      `SELECT table_name, estimated_size FROM duckdb_tables() WHERE database_name = 'temp' AND ${NOT_TRANSACTION_TABLE}${likeFilter('table_name', s.pattern)}`,
    )
    .then((r) => r.getRows());
  const views = withViews ? await readViews(s, where) : [];
  const row = (name: unknown, db: unknown, schema: unknown, kind: string, comment: unknown, size: unknown) => [
    now,
    String(name),
    String(db),
    String(schema),
    kind,
    (comment as string | null) ?? '',
    '',
    String(size),
    '0',
    'ACCOUNTADMIN',
    '1',
    'OFF',
    'OFF',
  ];
  const rows = tables.map(([db, schema, name, , size, comment]) => row(name, db, schema, 'TABLE', comment, size));
  if (!scope.table && session.database && (!scope.database || scope.database === session.database)) {
    for (const [name, size] of temps)
      rows.push(row(name, session.database, session.schema ?? '', 'TEMPORARY', '', size));
  }
  for (const [db, schema, name] of views) rows.push(row(name, db, schema, 'VIEW', '', '0'));
  return selectResult(
    [
      createdOnColumn('created_on'),
      ...['name', 'database_name', 'schema_name', 'kind', 'comment', 'cluster_by'].map(textColumn),
      numberColumn('rows'),
      numberColumn('bytes'),
      ...['owner', 'retention_time', 'automatic_clustering', 'change_tracking'].map(textColumn),
    ],
    rows,
  );
}

async function showColumns(s: ShowContext): Promise<StatementOutcome> {
  const scope = showScope(s.session, s.tokens, 'schema');
  let where = '';
  if (scope.table) {
    const q = qualify(scope.table, s.session.database, s.session.schema);
    where = ` AND database_name = ${sqlString(q.database)} AND schema_name = ${sqlString(q.schema)} AND table_name = ${sqlString(q.name)}`;
  } else {
    if (scope.database) where += ` AND database_name = ${sqlString(scope.database)}`;
    if (scope.schema) where += ` AND schema_name = ${sqlString(scope.schema)}`;
  }
  const rows = await s.read(
    `SELECT table_name, schema_name, column_name, data_type, is_nullable, column_default, database_name, comment FROM duckdb_columns() WHERE NOT internal AND database_name NOT IN ('system', 'memory')${where}${likeFilter('column_name', s.pattern)} ORDER BY database_name, schema_name, table_name, column_index`,
  );
  return selectResult(
    [
      ...[
        'table_name',
        'schema_name',
        'column_name',
        'data_type',
        'null?',
        'default',
        'kind',
        'expression',
        'comment',
        'database_name',
        'autoincrement',
      ].map(textColumn),
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

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support.js';

let h: Harness;
beforeAll(async () => {
  h = await harness({ database: 'DIALECT' });
});
afterAll(async () => {
  await h.close();
});

describe('identifiers', () => {
  it('folds unquoted names to upper case and keeps quoted names as written', async () => {
    await h.rows('create table people (id int, "camelName" varchar, plain varchar)');
    await h.rows(`insert into PEOPLE (ID, "camelName", Plain) values (1, 'a', 'b')`);
    const { statement, rows } = await h.statement('select id, "camelName", plain from People');
    expect(statement.getColumns()?.map((c) => c.getName())).toEqual(['ID', 'camelName', 'PLAIN']);
    expect(rows).toEqual([{ ID: 1, camelName: 'a', PLAIN: 'b' }]);
    const columns = await h.rows<{ COLUMN_NAME: string }>(
      "select column_name from information_schema.columns where table_name = 'PEOPLE' order by ordinal_position",
    );
    expect(columns.map((c) => c.COLUMN_NAME)).toEqual(['ID', 'camelName', 'PLAIN']);
  });

  it('resolves databases and schemas: USE, three-part names, CURRENT_DATABASE()', async () => {
    await h.rows('create database other_db');
    expect(await h.rows('select current_database() as db, current_schema() as s')).toEqual([
      { DB: 'OTHER_DB', S: 'PUBLIC' },
    ]);
    await h.rows('create schema staging');
    await h.rows('create table staging.items (id int)');
    await h.rows('insert into other_db.staging.items values (7)');
    await h.rows('use database dialect');
    expect(await h.rows('select id from other_db.staging.items')).toEqual([{ ID: 7 }]);
    await h.rows('use schema other_db.staging');
    expect(await h.rows('select current_database() as db, current_schema() as s, id from items')).toEqual([
      { DB: 'OTHER_DB', S: 'STAGING', ID: 7 },
    ]);
    await h.rows('use dialect.public');
    const databases = await h.rows<{ name: string }>('show databases');
    expect(databases.map((d) => d.name)).toEqual(['DIALECT', 'OTHER_DB']);
    const schemas = await h.rows<{ name: string }>('show schemas in database other_db');
    expect(schemas.map((s) => s.name)).toEqual(['INFORMATION_SCHEMA', 'PUBLIC', 'STAGING']);
  });

  it('answers a missing object with 002003 and a syntax error with 001003', async () => {
    const missing = await h.error('select * from no_such_table');
    expect(missing.code).toBe('002003');
    expect((missing as { sqlState?: string }).sqlState).toBe('02000');
    expect(missing.message).toContain("Object 'NO_SUCH_TABLE' does not exist or not authorized.");
    const syntax = await h.error('select from where');
    expect(syntax.code).toBe('001003');
    expect(syntax.message).toContain('syntax error');
    const column = await h.error('select nope from people');
    expect(column.code).toBe('000904');
    expect(column.message).toContain("invalid identifier 'NOPE'");
  });
});

describe('tables', () => {
  it('creates tables with Snowflake types and describes them in Snowflake terms', async () => {
    await h.rows(`create or replace transient table t_types (
      a number(12,3) not null, b int primary key, c float, d varchar(50) default 'x', e string, f text, g boolean,
      h date, i time, j timestamp_ntz, k timestamp_ltz, l timestamp_tz, m variant, n object, o array, p binary, q decimal(5,0))`);
    const described = await h.rows<{ name: string; type: string; 'null?': string; default: string | null }>(
      'describe table t_types',
    );
    expect(described.map((d) => [d.name, d.type, d['null?']])).toEqual([
      ['A', 'NUMBER(12,3)', 'N'],
      ['B', 'NUMBER(38,0)', 'Y'],
      ['C', 'FLOAT', 'Y'],
      ['D', 'VARCHAR(50)', 'Y'],
      ['E', 'VARCHAR(16777216)', 'Y'],
      ['F', 'VARCHAR(16777216)', 'Y'],
      ['G', 'BOOLEAN', 'Y'],
      ['H', 'DATE', 'Y'],
      ['I', 'TIME(9)', 'Y'],
      ['J', 'TIMESTAMP_NTZ(9)', 'Y'],
      ['K', 'TIMESTAMP_LTZ(9)', 'Y'],
      ['L', 'TIMESTAMP_TZ(9)', 'Y'],
      ['M', 'VARIANT', 'Y'],
      ['N', 'OBJECT', 'Y'],
      ['O', 'ARRAY', 'Y'],
      ['P', 'BINARY(8388608)', 'Y'],
      ['Q', 'NUMBER(5,0)', 'Y'],
    ]);
    const info = await h.rows<{ DATA_TYPE: string; NUMERIC_PRECISION: number | null; NUMERIC_SCALE: number | null }>(
      "select data_type, numeric_precision, numeric_scale from information_schema.columns where table_name = 'T_TYPES' and column_name in ('A', 'B', 'C', 'D', 'M') order by ordinal_position",
    );
    expect(info).toEqual([
      { DATA_TYPE: 'NUMBER', NUMERIC_PRECISION: 12, NUMERIC_SCALE: 3 },
      { DATA_TYPE: 'NUMBER', NUMERIC_PRECISION: 38, NUMERIC_SCALE: 0 },
      { DATA_TYPE: 'FLOAT', NUMERIC_PRECISION: null, NUMERIC_SCALE: null },
      { DATA_TYPE: 'TEXT', NUMERIC_PRECISION: null, NUMERIC_SCALE: null },
      { DATA_TYPE: 'VARIANT', NUMERIC_PRECISION: null, NUMERIC_SCALE: null },
    ]);
  });

  it('does not enforce PRIMARY KEY (Snowflake does not), enforces NOT NULL', async () => {
    await h.rows('insert into t_types (a, b) values (1, 1), (2, 1)');
    expect(await h.rows('select count(*) as n from t_types')).toEqual([{ N: 2 }]);
    const error = await h.error('insert into t_types (a, b) values (null, 3)');
    expect(error.code).toBe('100072');
  });

  it('runs CREATE TABLE LIKE / AS / CLONE, ALTER TABLE ADD/DROP/RENAME COLUMN, TRUNCATE and DROP', async () => {
    await h.rows('create table src (id int not null, name varchar)');
    await h.rows("insert into src values (1, 'a'), (2, 'b')");
    await h.rows('create table copy_like like src');
    expect(await h.rows('select count(*) as n from copy_like')).toEqual([{ N: 0 }]);
    expect((await h.error('insert into copy_like (name) values (null)')).code).toBe('100072');
    await h.rows('create or replace table copy_as as select id, upper(name) as big from src where id > 1');
    expect(await h.rows('select * from copy_as')).toEqual([{ ID: 2, BIG: 'B' }]);
    await h.rows('create table copy_clone clone src');
    expect(await h.rows('select count(*) as n from copy_clone')).toEqual([{ N: 2 }]);
    await h.rows('alter table copy_clone add column extra number(5,1)');
    await h.rows('alter table copy_clone rename column name to label');
    await h.rows('alter table copy_clone drop column extra');
    const { statement } = await h.statement('select * from copy_clone');
    expect(statement.getColumns()?.map((c) => c.getName())).toEqual(['ID', 'LABEL']);
    await h.rows('truncate table copy_clone');
    expect(await h.rows('select count(*) as n from copy_clone')).toEqual([{ N: 0 }]);
    await h.rows('drop table copy_clone');
    expect((await h.error('select * from copy_clone')).code).toBe('002003');
    await h.rows('drop table if exists copy_clone');
    expect((await h.error('drop table copy_clone')).code).toBe('002003');
  });

  it('creates temporary tables visible to their session', async () => {
    await h.rows('create temporary table scratch (id int)');
    await h.rows('insert into scratch values (1), (2)');
    expect(await h.rows('select sum(id) as s from scratch')).toEqual([{ S: 3 }]);
    const tables = await h.rows<{ name: string; kind: string }>("show tables like 'SCRATCH'");
    expect(tables.map((t) => [t.name, t.kind])).toEqual([['SCRATCH', 'TEMPORARY']]);
    await h.rows('drop table scratch');
  });

  it('lists tables, columns and schemas with SHOW and INFORMATION_SCHEMA', async () => {
    const tables = await h.rows<{ name: string; database_name: string; schema_name: string }>(
      "show tables like 'SRC' in schema dialect.public",
    );
    expect(tables.map((t) => [t.name, t.database_name, t.schema_name])).toEqual([['SRC', 'DIALECT', 'PUBLIC']]);
    const columns = await h.rows<{ column_name: string; data_type: string }>('show columns in table src');
    expect(columns.map((c) => [c.column_name, JSON.parse(c.data_type).type])).toEqual([
      ['ID', 'FIXED'],
      ['NAME', 'TEXT'],
    ]);
    const info = await h.rows(
      "select table_name, table_type from information_schema.tables where table_schema = 'PUBLIC' and table_name = 'SRC'",
    );
    expect(info).toEqual([{ TABLE_NAME: 'SRC', TABLE_TYPE: 'BASE TABLE' }]);
    const other = await h.rows<{ TABLE_NAME: string }>('select table_name from other_db.information_schema.tables');
    expect(other.map((t) => t.TABLE_NAME)).toEqual(['ITEMS']);
  });
});

describe('DML', () => {
  it('counts inserted, updated and deleted rows (multi-row INSERT, INSERT ... SELECT, UPDATE ... FROM, DELETE ... USING)', async () => {
    await h.rows('create table accounts (id int, name varchar, score number(5,2))');
    const inserted = await h.statement("insert into accounts values (1, 'a', 1.5), (2, 'b', 2.5), (3, 'c', null)");
    expect(inserted.statement.getNumUpdatedRows()).toBe(3);
    expect(inserted.rows).toEqual([{ 'number of rows inserted': 3 }]);
    const copied = await h.statement('insert into accounts select id + 10, name, score from accounts where id < 3');
    expect(copied.statement.getNumUpdatedRows()).toBe(2);
    const updated = await h.statement(
      'update accounts a set a.score = 9 from (select 1 as id union all select 2) s where a.id = s.id',
    );
    expect(updated.statement.getNumUpdatedRows()).toBe(2);
    expect(updated.rows).toEqual([{ 'number of rows updated': 2, 'number of multi-joined rows updated': 0 }]);
    const deleted = await h.statement('delete from accounts using (select 11 as id) d where accounts.id = d.id');
    expect(deleted.rows).toEqual([{ 'number of rows deleted': 1 }]);
    expect(await h.rows('select id, score from accounts order by id')).toEqual([
      { ID: 1, SCORE: 9 },
      { ID: 2, SCORE: 9 },
      { ID: 3, SCORE: null },
      { ID: 12, SCORE: 2.5 },
    ]);
  });

  it('MERGE with update, delete and insert reports the count of each action', async () => {
    await h.rows('create table target (id int, v varchar)');
    await h.rows("insert into target values (1, 'old'), (2, 'gone'), (3, 'same')");
    await h.rows('create table changes (id int, v varchar, op varchar)');
    await h.rows("insert into changes values (1, 'new', 'U'), (2, null, 'D'), (4, 'added', 'I')");
    const { rows, statement } = await h.statement(`merge into target t using changes c on t.id = c.id
      when matched and c.op = 'D' then delete
      when matched then update set t.v = c.v
      when not matched then insert (id, v) values (c.id, c.v)`);
    expect(rows).toEqual([{ 'number of rows inserted': 1, 'number of rows updated': 1, 'number of rows deleted': 1 }]);
    expect(statement.getNumUpdatedRows()).toBe(3);
    expect(await h.rows('select * from target order by id')).toEqual([
      { ID: 1, V: 'new' },
      { ID: 3, V: 'same' },
      { ID: 4, V: 'added' },
    ]);
  });

  it('refuses a MERGE that would update one row from several source rows, as Snowflake does', async () => {
    await h.rows("insert into changes values (1, 'again', 'U')");
    const error = await h.error(
      'merge into target t using changes c on t.id = c.id when matched then update set v = c.v',
    );
    expect(error.code).toBe('100090');
    expect(await h.rows('select v from target where id = 1')).toEqual([{ V: 'new' }]);
  });

  it('runs BEGIN / COMMIT / ROLLBACK', async () => {
    await h.rows('create table tx (id int)');
    await h.rows('begin');
    await h.rows('insert into tx values (1)');
    await h.rows('rollback');
    await h.rows('begin transaction');
    await h.rows('insert into tx values (2)');
    await h.rows('commit');
    expect(await h.rows('select id from tx')).toEqual([{ ID: 2 }]);
  });
});

describe('functions and expressions', () => {
  it('supports QUALIFY with ROW_NUMBER, IFF, NVL, TRY_TO_*, TO_TIMESTAMP_NTZ, PARSE_JSON and : paths', async () => {
    await h.rows('create table events (id int, k varchar, at timestamp_ntz, payload variant)');
    await h.rows(`insert into events select 1, 'a', '2024-01-01 10:00:00', parse_json('{"user":{"name":"Ann","tags":["x","y"]},"n":5}')
      union all select 2, 'a', '2024-01-02 10:00:00', parse_json('{"user":{"name":"Bob"},"n":"7"}')
      union all select 3, 'b', '2024-01-01 09:00:00', parse_json('{}')`);
    const latest = await h.rows(
      `select id, k from events qualify row_number() over (partition by k order by at desc) = 1 order by k`,
    );
    expect(latest).toEqual([
      { ID: 2, K: 'a' },
      { ID: 3, K: 'b' },
    ]);
    const paths = await h.rows(
      `select payload:user.name::string as name, payload:user.tags[1]::varchar as tag, payload:n::int as n, payload:user as u from events order by id`,
    );
    expect(paths).toEqual([
      { NAME: 'Ann', TAG: 'y', N: 5, U: { name: 'Ann', tags: ['x', 'y'] } },
      { NAME: 'Bob', TAG: null, N: 7, U: { name: 'Bob' } },
      { NAME: null, TAG: null, N: null, U: null },
    ]);
    const misc =
      await h.rows(`select iff(1 > 0, 'yes', 'no') as a, nvl(null, 'd') as b, try_to_number('12.5', 10, 1) as c,
      try_to_number('abc') as d, try_to_date('2024-13-45') as e, to_timestamp_ntz('2024-03-04 05:06:07') as f,
      try_to_boolean('yes') as g, zeroifnull(null) as h, div0(1, 0) as i, to_varchar(12) as j`);
    expect(misc[0]).toMatchObject({ A: 'yes', B: 'd', C: 12.5, D: null, E: null, H: 0, I: 0, J: '12' });
    expect((misc[0]?.F as Date | undefined)?.toISOString()).toBe('2024-03-04T05:06:07.000Z');
  });

  it('supports DATEADD, DATEDIFF, DATE_TRUNC, LISTAGG ... WITHIN GROUP, ARRAY_AGG and OBJECT_CONSTRUCT', async () => {
    const [row = {}] = await h.rows<
      Record<string, unknown>
    >(`select datediff(day, '2024-01-01'::date, '2024-03-01'::date) as days,
      date_trunc(month, '2024-05-17 10:00:00'::timestamp_ntz) as m, dateadd(hour, 3, '2024-01-01 00:00:00'::timestamp_ntz) as plus,
      object_construct('a', 1, 'b', null, 'c', 'x') as o`);
    expect(row.DAYS).toBe(60);
    expect((row.M as Date).toISOString()).toBe('2024-05-01T00:00:00.000Z');
    expect((row.PLUS as Date).toISOString()).toBe('2024-01-01T03:00:00.000Z');
    expect(row.O).toEqual({ a: 1, c: 'x' });
    const agg =
      await h.rows(`select k, listagg(id, ',') within group (order by id desc) as ids, array_agg(id) within group (order by id) as arr
      from events group by k order by k`);
    expect(agg).toEqual([
      { K: 'a', IDS: '2,1', ARR: [1, 2] },
      { K: 'b', IDS: '3', ARR: [3] },
    ]);
  });

  it('supports the rest of the function list: NVL2, DATE_PART, SPLIT, GENERATOR/SEQ4, SHA2, UUID_STRING, GET, ARRAY_*, TO_VARIANT, [] paths', async () => {
    const [row = {}] = await h.rows<
      Record<string, unknown>
    >(`select nvl2(null, 1, 2) as a, date_part(year, '2024-05-06'::date) as b,
      split('a,b,c', ',') as c, sha2('x') as d, length(uuid_string()) as e, get(parse_json('{"k":[5,6]}'), 'k') as f,
      array_size(array_construct(1, 2, 3)) as g, to_variant(3) as h, parse_json('[10,[20,30]]')[1][0] as i,
      try_parse_json('not json') as j, equal_null(null, null) as k`);
    expect(row).toMatchObject({
      A: 2,
      B: 2024,
      C: ['a', 'b', 'c'],
      E: 36,
      F: [5, 6],
      G: 3,
      H: 3,
      I: 20,
      J: null,
      K: true,
    });
    expect(row.D).toBe('2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881');
    expect(await h.rows('select seq4() as n from table(generator(rowcount => 3)) order by n')).toEqual([
      { N: 0 },
      { N: 1 },
      { N: 2 },
    ]);
    const [random = {}] = await h.rows<Record<string, unknown>>(
      'select randstr(40, 7) as a, randstr(40, 7) as b, length(randstr(5, random())) as c',
    );
    expect(random.A).toBe(random.B);
    expect(String(random.A)).toHaveLength(40);
    expect(random.C).toBe(5);
    expect(await h.rows("select * from values (1, 'a'), (2, 'b') order by column1")).toEqual([
      { COLUMN1: 1, COLUMN2: 'a' },
      { COLUMN1: 2, COLUMN2: 'b' },
    ]);
    expect(await h.rows("select v.x from values (3, 'c') as v(x, y)")).toEqual([{ X: 3 }]);
    expect(await h.rows('values (1, 2)')).toEqual([{ COLUMN1: 1, COLUMN2: 2 }]);
  });

  it('runs views, sequences, INSERT OVERWRITE, ALTER COLUMN SET DATA TYPE and the other SHOW forms', async () => {
    await h.rows('create or replace table base (id int, amount number(5,1))');
    await h.rows('insert into base values (1, 1.5), (2, 2.5)');
    await h.rows('create or replace view big as select id from base where amount > 2');
    expect(await h.rows('select * from big')).toEqual([{ ID: 2 }]);
    expect((await h.rows<{ name: string }>("show views like 'BIG'")).map((v) => v.name)).toEqual(['BIG']);
    expect((await h.rows("select table_name from information_schema.views where table_name = 'BIG'")).length).toBe(1);
    await h.rows('create sequence ids start = 10 increment = 5');
    expect(await h.rows('select ids.nextval as a')).toEqual([{ A: 10 }]);
    const overwritten = await h.statement('insert overwrite into base values (9, 9.5)');
    expect(overwritten.rows).toEqual([{ 'number of rows inserted': 1 }]);
    expect(await h.rows('select id from base')).toEqual([{ ID: 9 }]);
    await h.rows('alter table base alter column amount set data type number(10,2)');
    expect((await h.rows<{ type: string }>('describe table base')).map((c) => c.type)).toEqual([
      'NUMBER(38,0)',
      'NUMBER(10,2)',
    ]);
    expect((await h.rows<{ name: string }>('show schemas')).map((s) => s.name)).toContain('PUBLIC');
    const schemata = await h.rows<{ SCHEMA_NAME: string }>(
      'select schema_name from information_schema.schemata order by 1',
    );
    expect(schemata.map((s) => s.SCHEMA_NAME)).toEqual(['INFORMATION_SCHEMA', 'PUBLIC']);
    expect((await h.rows('show warehouses')).length).toBe(1);
    await h.rows("alter session set query_tag = 'x'");
    expect((await h.rows<{ key: string }>('show parameters')).map((p) => p.key)).toContain('QUERY_TAG');
  });

  it('answers constructs it cannot run with "unsupported in the local Snowflake"', async () => {
    for (const sql of [
      'select * from events, lateral flatten(input => payload:user.tags)',
      'select hash(1)',
      'select * from events at(offset => -60)',
      'create table g (x geography)',
      'select top 5 * from events',
      "select * from events where k like any ('a%', 'b%')",
      'create table auto (id int autoincrement)',
      'create table checked (id int, check (id > 0))',
      "select to_date('05/06/2024', 'MM/DD/YYYY')",
      'copy into @~ from events',
      'call my_procedure()',
    ]) {
      const error = await h.error(sql);
      expect(error.message).toMatch(/^unsupported in the local Snowflake: /);
    }
  });

  it('refuses CHANGES (...) and LATERAL (subquery), which read as calls, naming the construct', async () => {
    await h.rows('create table refused_src (id int, payload variant)');
    await h.rows('insert into refused_src (id) values (1), (2)');
    for (const [sql, construct] of [
      ['select * from refused_src changes(information => default) at(offset => -60)', 'CHANGES'],
      ['select id from refused_src changes(information => default)', 'CHANGES'],
      ["select * from refused_src changes (information => append_only) before(statement => 'x')", 'CHANGES'],
      [
        'select e.id, l.n from refused_src e, lateral (select count(*) as n from refused_src i where i.id <= e.id) l',
        'LATERAL',
      ],
      ['select * from refused_src e join lateral (select e.id as n) l on true', 'LATERAL'],
    ]) {
      const error = await h.error(sql as string);
      expect([sql, error.code, error.message]).toEqual([
        sql,
        '000002',
        `unsupported in the local Snowflake: ${construct}`,
      ]);
    }
  });

  it('raises 100051 on a division by zero, as Snowflake (not Infinity)', async () => {
    for (const sql of ['select 1 / 0', 'select 10 / (2 - 2)', 'select 1.5 / -0.0', "select 3 / '0'::int + 1"]) {
      const error = await h.error(sql);
      expect([sql, error.code, error.message]).toEqual([sql, '100051', 'Division by zero']);
    }
    await h.rows('create table divs (a int, b int)');
    await h.rows('insert into divs values (6, 3), (1, 0)');
    expect((await h.error('select a / b as q from divs')).code).toBe('100051');
    expect(await h.rows('select a / b * 2 as q, div0(a, b) as z from divs where b <> 0')).toEqual([{ Q: 4, Z: 2 }]);
    expect(await h.rows('select iff(b = 0, null, a / nullif(b, 0)) as q from divs order by a')).toEqual([
      { Q: null },
      { Q: 2 },
    ]);
  });

  it('rejects several statements in one request unless MULTI_STATEMENT_COUNT says so', async () => {
    const error = await h.error('select 1; select 2');
    expect(error.code).toBe('000008');
  });

  it("runs a multi-statement request (MULTI_STATEMENT_COUNT): one result per statement through the driver's hasNext / NextResult", async () => {
    await h.rows('create table multi (v int)');
    const sqlText = 'select ? as a; insert into multi values (?), (?); select count(*) as n, max(v) as m from multi';
    const results: Array<{ sql: string; rows: unknown[] }> = [];
    await new Promise<void>((resolve, reject) => {
      h.connection.execute({
        sqlText,
        binds: [7, 10, 20],
        parameters: { MULTI_STATEMENT_COUNT: 3 },
        complete: (err, statement, rows) => {
          if (err) return reject(err);
          results.push({ sql: statement.getSqlText(), rows: rows ?? [] });
          const multi = statement as unknown as { hasNext(): boolean; NextResult(): void };
          if (multi.hasNext()) multi.NextResult();
          else resolve();
        },
      });
    });
    expect(results).toEqual([
      { sql: 'select ? as a', rows: [{ A: 7 }] },
      { sql: ' insert into multi values (?), (?)', rows: [{ 'number of rows inserted': 2 }] },
      { sql: ' select count(*) as n, max(v) as m from multi', rows: [{ N: 2, M: 20 }] },
    ]);
    // A count that does not match is refused before anything runs.
    const wrong = await new Promise<string | undefined>((resolve) =>
      h.connection.execute({
        sqlText: 'insert into multi values (1); select 1',
        parameters: { MULTI_STATEMENT_COUNT: 3 },
        complete: (err) => resolve(err ? String(err.code) : undefined),
      }),
    );
    expect(wrong).toBe('000008');
    expect(await h.rows('select count(*) as n from multi')).toEqual([{ N: 2 }]);
  });
});

describe('declared column types', () => {
  type Info = {
    COLUMN_NAME: string;
    DATA_TYPE: string;
    CHARACTER_MAXIMUM_LENGTH: number | null;
    NUMERIC_PRECISION: number | null;
    NUMERIC_SCALE: number | null;
    DATETIME_PRECISION: number | null;
    COMMENT: string | null;
  };
  const info = (on: Harness, table: string) =>
    on.rows<Info>(
      `select column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, datetime_precision, comment
       from information_schema.columns where table_schema = current_schema() and table_name = '${table}' order by ordinal_position`,
    );
  const described = async (on: Harness, table: string) =>
    Object.fromEntries(
      (await on.rows<{ name: string; type: string }>(`describe table ${table}`)).map((r) => [r.name, r.type]),
    );

  it('reports VARCHAR(n), NUMBER(p,s) and TIME/TIMESTAMP precision as declared in DESCRIBE, SHOW COLUMNS and INFORMATION_SCHEMA', async () => {
    await h.rows(`create table declared (id varchar(18), name varchar, code char, amount number(18,0),
      at timestamp_ntz(3), lt timestamp_ltz(6), t time(3), plain_ts timestamp_ntz)`);
    expect(await described(h, 'declared')).toEqual({
      ID: 'VARCHAR(18)',
      NAME: 'VARCHAR(16777216)',
      CODE: 'VARCHAR(1)',
      AMOUNT: 'NUMBER(18,0)',
      AT: 'TIMESTAMP_NTZ(3)',
      LT: 'TIMESTAMP_LTZ(6)',
      T: 'TIME(3)',
      PLAIN_TS: 'TIMESTAMP_NTZ(9)',
    });
    expect(await info(h, 'DECLARED')).toEqual(
      [
        ['ID', 'TEXT', 18, null, null, null],
        ['NAME', 'TEXT', 16777216, null, null, null],
        ['CODE', 'TEXT', 1, null, null, null],
        ['AMOUNT', 'NUMBER', null, 18, 0, null],
        ['AT', 'TIMESTAMP_NTZ', null, null, null, 3],
        ['LT', 'TIMESTAMP_LTZ', null, null, null, 6],
        ['T', 'TIME', null, null, null, 3],
        ['PLAIN_TS', 'TIMESTAMP_NTZ', null, null, null, 9],
      ].map(([n, d, l, p, sc, dp]) => ({
        COLUMN_NAME: n,
        DATA_TYPE: d,
        CHARACTER_MAXIMUM_LENGTH: l,
        NUMERIC_PRECISION: p,
        NUMERIC_SCALE: sc,
        DATETIME_PRECISION: dp,
        COMMENT: null, // the emulator's own record does not show as a comment
      })),
    );
    const shown = await h.rows<{ column_name: string; data_type: string }>('show columns in table declared');
    const json = Object.fromEntries(shown.map((r) => [r.column_name, JSON.parse(r.data_type)]));
    expect(json.ID).toMatchObject({ type: 'TEXT', length: 18 });
    expect(json.NAME).toMatchObject({ type: 'TEXT', length: 16777216 });
    expect(json.AMOUNT).toMatchObject({ type: 'FIXED', precision: 18, scale: 0 });
    expect(json.AT).toMatchObject({ type: 'TIMESTAMP_NTZ', scale: 3 });
    expect(json.T).toMatchObject({ type: 'TIME', scale: 3 });
  });

  it('reports the declared length and precision in the rowtype of a one-table SELECT', async () => {
    await h.rows(
      `create table declared_rows (id varchar(18), name varchar, at timestamp_ntz(3), t time(3), n number(18,2))`,
    );
    await h.rows(
      `insert into declared_rows values ('001000000000001AAA', 'x', '2024-01-02 03:04:05.678', '01:02:03.456', 1.5)`,
    );
    const { statement, rows } = await h.statement(
      'select d.id, name, at, t, n from declared_rows d where id is not null',
    );
    // The driver's Column has no length getter (the rowtype's length is sent, but only scale/precision are
    // readable through the unmodified driver), so the timestamp and time scales prove the rowtype here.
    const meta = (statement.getColumns() ?? []).map((c) => [c.getName(), c.getType(), c.getPrecision(), c.getScale()]);
    expect(meta).toEqual([
      ['ID', 'text', null, null],
      ['NAME', 'text', null, null],
      ['AT', 'timestamp_ntz', 0, 3],
      ['T', 'time', 0, 3],
      ['N', 'fixed', 18, 2],
    ]);
    expect(rows[0]?.AT).toEqual(new Date('2024-01-02T03:04:05.678Z'));
    expect(rows[0]?.ID).toBe('001000000000001AAA');
  });

  it('reports declared types through joins and CREATE TABLE AS SELECT, where the column is unambiguous', async () => {
    await h.rows('create table orders_d (id varchar(18), placed timestamp_ntz(3), note varchar(5))');
    await h.rows('create table lines_d (order_id varchar(18), shipped timestamp_ltz(6), note varchar(9))');
    await h.rows("insert into orders_d values ('o1', '2024-01-02 03:04:05.678', 'a')");
    await h.rows("insert into lines_d values ('o1', '2024-01-03 00:00:00', 'b')");
    const joined = await h.statement(
      'select o.placed, l.shipped, o.note from orders_d o join lines_d l on l.order_id = o.id',
    );
    expect((joined.statement.getColumns() ?? []).map((c) => [c.getName(), c.getScale()])).toEqual([
      ['PLACED', 3],
      ['SHIPPED', 6],
      ['NOTE', null],
    ]);
    const comma = await h.statement('select placed from orders_d, lines_d where order_id = id');
    expect(comma.statement.getColumns()?.[0]?.getScale()).toBe(3);
    // A derived value is not a column: DuckDB's precision (9), as before.
    const computed = await h.statement('select dateadd(day, 1, placed) as later from orders_d');
    expect(computed.statement.getColumns()?.[0]?.getScale()).toBe(9);

    await h.rows(
      'create table shipped_d as select o.id, o.placed, l.shipped, o.note from orders_d o join lines_d l on l.order_id = o.id',
    );
    expect(await described(h, 'shipped_d')).toEqual({
      ID: 'VARCHAR(18)',
      PLACED: 'TIMESTAMP_NTZ(3)',
      SHIPPED: 'TIMESTAMP_LTZ(6)',
      // Both tables have a NOTE, declared differently: not traced (Snowflake would say VARCHAR(5)).
      NOTE: 'VARCHAR(16777216)',
    });
    await h.rows("create table upper_d as select upper(note) as shout, 'x' as lit from orders_d");
    expect(await described(h, 'upper_d')).toEqual({ SHOUT: 'VARCHAR(16777216)', LIT: 'VARCHAR(16777216)' });
  });

  it('keeps declared types through LIKE, CLONE, OR REPLACE, ADD/RENAME/DROP/ALTER COLUMN, a transaction and DROP', async () => {
    await h.rows('create table src_types (id varchar(18), at timestamp_ntz(3))');
    await h.rows('create table like_types like src_types');
    await h.rows('create table clone_types clone src_types');
    for (const table of ['like_types', 'clone_types'])
      expect(await described(h, table)).toEqual({ ID: 'VARCHAR(18)', AT: 'TIMESTAMP_NTZ(3)' });

    await h.rows('alter table like_types add column city varchar(40), t time(0)');
    await h.rows('alter table like_types add column if not exists city varchar(99)');
    await h.rows('alter table like_types rename column id to ext_id');
    await h.rows('alter table like_types drop column at');
    expect(await described(h, 'like_types')).toEqual({ EXT_ID: 'VARCHAR(18)', CITY: 'VARCHAR(40)', T: 'TIME(0)' });
    await h.rows('alter table like_types alter column city set data type varchar');
    await h.rows('alter table like_types alter column t set data type varchar(5)');
    expect(await described(h, 'like_types')).toEqual({
      EXT_ID: 'VARCHAR(18)',
      CITY: 'VARCHAR(16777216)',
      T: 'VARCHAR(5)',
    });

    // DDL inside a transaction commits it and is its own transaction (Snowflake): ROLLBACK keeps the column.
    await h.rows('begin');
    await h.rows('alter table like_types add column kept varchar(3)');
    await h.rows('rollback');
    expect(await described(h, 'like_types')).toEqual({
      EXT_ID: 'VARCHAR(18)',
      CITY: 'VARCHAR(16777216)',
      T: 'VARCHAR(5)',
      KEPT: 'VARCHAR(3)',
    });

    await h.rows('create or replace table src_types (id varchar(10), at timestamp_ntz)');
    expect(await described(h, 'src_types')).toEqual({ ID: 'VARCHAR(10)', AT: 'TIMESTAMP_NTZ(9)' });
    await h.rows('create table if not exists src_types (id varchar(99))');
    expect((await described(h, 'src_types')).ID).toBe('VARCHAR(10)');
    await h.rows('drop table src_types');
    await h.rows('create table src_types (id varchar)');
    expect(await described(h, 'src_types')).toEqual({ ID: 'VARCHAR(16777216)' });

    await h.rows('create temporary table temp_types (id varchar(7))');
    expect(await described(h, 'temp_types')).toEqual({ ID: 'VARCHAR(7)' });
  });

  it('keeps declared types in the persist file across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kicksaw-sf-declared-'));
    try {
      const persistPath = join(dir, 'db.duckdb');
      const first = await harness({ persistPath });
      await first.rows('create table kept (id varchar(18), at timestamp_ntz(3))');
      await first.close();
      const second = await harness({ persistPath });
      try {
        expect(await described(second, 'kept')).toEqual({ ID: 'VARCHAR(18)', AT: 'TIMESTAMP_NTZ(3)' });
        const [id] = await info(second, 'KEPT');
        expect(id?.CHARACTER_MAXIMUM_LENGTH).toBe(18);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

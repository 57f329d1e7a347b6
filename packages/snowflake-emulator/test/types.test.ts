import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
});

describe('result encoding as the driver decodes it', () => {
  it('reports Snowflake column types, precision and scale in the rowtype', async () => {
    await h.rows(`CREATE TABLE TYPED (
      N NUMBER(10,2), I INT, F FLOAT, S VARCHAR(20), T TEXT, B BOOLEAN, D DATE, TM TIME,
      NTZ TIMESTAMP_NTZ, LTZ TIMESTAMP_LTZ, V VARIANT, O OBJECT, A ARRAY, BIN BINARY)`);
    const { statement } = await h.statement('SELECT * FROM TYPED');
    const columns = (statement.getColumns() ?? []).map((c) => [
      c.getName(),
      c.getType(),
      c.getPrecision(),
      c.getScale(),
    ]);
    expect(columns).toEqual([
      ['N', 'fixed', 10, 2],
      ['I', 'fixed', 38, 0],
      ['F', 'real', null, null],
      ['S', 'text', null, null],
      ['T', 'text', null, null],
      ['B', 'boolean', null, null],
      ['D', 'date', null, null],
      ['TM', 'time', 0, 9],
      ['NTZ', 'timestamp_ntz', 0, 9],
      ['LTZ', 'timestamp_ltz', 0, 9],
      ['V', 'variant', null, null],
      ['O', 'object', null, null],
      ['A', 'array', null, null],
      ['BIN', 'binary', null, null],
    ]);
    // OBJECT and ARRAY columns keep their names in DESCRIBE and INFORMATION_SCHEMA, and their values decode.
    const described = await h.rows<{ name: string; type: string }>('describe table typed');
    expect(described.filter((c) => ['V', 'O', 'A'].includes(c.name)).map((c) => c.type)).toEqual([
      'VARIANT',
      'OBJECT',
      'ARRAY',
    ]);
    const info = await h.rows<{ COLUMN_NAME: string; DATA_TYPE: string }>(
      "select column_name, data_type from information_schema.columns where table_name = 'TYPED' and column_name in ('V', 'O', 'A') order by ordinal_position",
    );
    expect(info.map((c) => c.DATA_TYPE)).toEqual(['VARIANT', 'OBJECT', 'ARRAY']);
    await h.rows('create table typed_json as select o, a from typed limit 0');
    await h.rows(`insert into typed_json select parse_json('{"k": [1, 2]}'), parse_json('[1, "two"]')`);
    const json = await h.statement('select o, a from typed_json');
    expect(json.statement.getColumns()?.map((c) => c.getType())).toEqual(['object', 'array']);
    expect(json.rows).toEqual([{ O: { k: [1, 2] }, A: [1, 'two'] }]);
  });

  it('round-trips values of every type through the driver', async () => {
    await h.rows(
      `INSERT INTO TYPED SELECT 12345678.91, -42, 1.5e300, 'héllo', '', TRUE, '1969-07-20', '20:17:40.5',
      '2024-02-29 23:59:59.123456', '2024-01-01 12:00:00+02', PARSE_JSON('{"a":[1,2,{"b":null}]}'),
      PARSE_JSON('{"k":"v"}'), PARSE_JSON('[1,"x"]'), TO_BINARY('CAFE')`.replace('TO_BINARY', 'FROM_HEX'),
    );
    const [row = {}] = await h.rows<Record<string, unknown>>('SELECT * FROM TYPED');
    expect(row.N).toBe(12345678.91);
    expect(row.I).toBe(-42);
    expect(row.F).toBe(1.5e300);
    expect(row.S).toBe('héllo');
    expect(row.T).toBe('');
    expect(row.B).toBe(true);
    expect((row.D as Date).toISOString()).toBe('1969-07-20T00:00:00.000Z');
    expect(String(row.TM)).toBe('20:17:40');
    expect((row.NTZ as Date).toISOString()).toBe('2024-02-29T23:59:59.123Z');
    expect((row.LTZ as Date).toISOString()).toBe('2024-01-01T10:00:00.000Z');
    expect(row.V).toEqual({ a: [1, 2, { b: null }] });
    expect(row.O).toEqual({ k: 'v' });
    expect(row.A).toEqual([1, 'x']);
    expect((row.BIN as Buffer).toString('hex')).toBe('cafe');
  });

  it('encodes NULL of every type as null', async () => {
    await h.rows('DELETE FROM TYPED');
    await h.rows('INSERT INTO TYPED (N) VALUES (NULL)');
    const [row = {}] = await h.rows<Record<string, unknown>>('SELECT * FROM TYPED');
    // The driver renders TIME values as text, and a NULL time as the text 'NULL' (its own rendering).
    const { TM, ...others } = row;
    expect(TM).toBe('NULL');
    expect(Object.values(others).every((value) => value === null)).toBe(true);
  });

  it('names unaliased expressions by their text, upper-cased, as Snowflake does', async () => {
    const { statement } = await h.statement(`select count(*), 1+1, 'a' || 'b', max(x) from (select 1 as x)`);
    expect(statement.getColumns()?.map((c) => c.getName())).toEqual(['COUNT(*)', '1+1', "'A' || 'B'", 'MAX(X)']);
  });

  it('keeps big integers exact as text the driver reads', async () => {
    const [row = {}] = await h.rows<Record<string, unknown>>(
      'SELECT 12345678901234567890123456789::NUMBER(38,0) AS BIG, -0.000001::NUMBER(10,6) AS SMALL',
    );
    expect(row.SMALL).toBe(-0.000001);
    expect(typeof row.BIG).toBe('number');
  });

  it('follows ALTER SESSION SET TIMEZONE for TIMESTAMP_LTZ, as the driver formats it', async () => {
    await h.rows("alter session set timezone = 'America/Los_Angeles'");
    const [row = {}] = await h.rows<Record<string, unknown>>(
      "select '2024-01-01 00:00:00'::timestamp_ltz as ltz, '2024-01-01 00:00:00'::timestamp_ntz as ntz",
    );
    expect((row.LTZ as Date).toISOString()).toBe('2024-01-01T08:00:00.000Z');
    expect((row.NTZ as Date).toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect((await h.error("alter session set timezone = 'Nowhere/Special'")).code).toBe('002211');
    await h.rows('alter session unset timezone');
    const [utc = {}] = await h.rows<Record<string, unknown>>("select '2024-01-01 00:00:00'::timestamp_ltz as ltz");
    expect((utc.LTZ as Date).toISOString()).toBe('2024-01-01T00:00:00.000Z');
  });

  it('reports TIMESTAMP_TZ columns as timestamp_tz; a value written without an offset takes the session zone’s', async () => {
    await h.rows('create table tz_events (id int, at timestamp_tz(3), seen timestamp_tz)');
    await h.rows("alter session set timezone = 'America/Los_Angeles'");
    await h.rows("insert into tz_events values (1, '2016-01-21 06:32:44.123', '2016-07-01 12:00:00')");
    const { statement, rows } = await h.statement('select id, at, seen from tz_events');
    const columns = statement.getColumns() ?? [];
    expect(columns.map((c) => [c.getName(), c.getType(), c.getScale()])).toEqual([
      ['ID', 'fixed', 0],
      ['AT', 'timestamp_tz', 3],
      ['SEEN', 'timestamp_tz', 9],
    ]);
    type SfDate = Date & { getTimezone(): number };
    const at = rows[0]?.AT as SfDate;
    const seen = rows[0]?.SEEN as SfDate;
    // The instant, and the offset (minutes) the value has in Los Angeles: winter -08:00, summer -07:00.
    expect([at.toISOString(), at.getTimezone()]).toEqual(['2016-01-21T14:32:44.123Z', -480]);
    expect([seen.toISOString(), seen.getTimezone()]).toEqual(['2016-07-01T19:00:00.000Z', -420]);
    expect(JSON.stringify(at)).toContain('-0800');
    const described = await h.rows<{ name: string; type: string }>('describe table tz_events');
    expect(described.map((c) => c.type)).toEqual(['NUMBER(38,0)', 'TIMESTAMP_TZ(3)', 'TIMESTAMP_TZ(9)']);
    const info = await h.rows<{ DATA_TYPE: string; DATETIME_PRECISION: number }>(
      "select data_type, datetime_precision from information_schema.columns where table_name = 'TZ_EVENTS' and column_name = 'AT'",
    );
    expect(info).toEqual([{ DATA_TYPE: 'TIMESTAMP_TZ', DATETIME_PRECISION: 3 }]);
    await h.rows('alter session unset timezone');
    // The value keeps the offset it was written with when the session's zone changes (see timestamp-tz.test.ts).
    const [utc = {}] = await h.rows<Record<string, unknown>>('select at from tz_events');
    expect((utc.AT as SfDate).getTimezone()).toBe(-480);
  });

  it('echoes session parameters: jsTreatIntegerAsBigInt gives exact big integers', async () => {
    const { connect, run } = await import('./support.js');
    const connection = await connect(h.sf, { jsTreatIntegerAsBigInt: true });
    const { rows } = await run(connection, 'SELECT 12345678901234567890 AS BIG, 1.5 AS F');
    // The driver gives a big-integer object: exact, not a lossy number.
    expect(typeof rows[0]?.BIG).not.toBe('number');
    expect(String(rows[0]?.BIG)).toBe('12345678901234567890');
    expect(rows[0]?.F).toBe(1.5);
    await new Promise<void>((resolve) => connection.destroy(() => resolve()));
  });

  it('returns dates before 1970 and timestamps with microseconds', async () => {
    const [row = {}] = await h.rows<Record<string, unknown>>(
      "SELECT '1900-01-01'::DATE AS D, '1960-06-15 01:02:03.000004'::TIMESTAMP_NTZ AS T",
    );
    expect((row.D as Date).toISOString()).toBe('1900-01-01T00:00:00.000Z');
    expect((row.T as Date).toISOString()).toBe('1960-06-15T01:02:03.000Z');
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support.js';

/** What the driver gives for a TIMESTAMP_TZ value: a Date with the value's own offset (minutes). */
type SfDate = Date & { getTimezone(): number };

let h: Harness;
let dir: string;
beforeAll(async () => {
  // A low stage-binding threshold so that an array bind of a few rows goes through the driver's stage binding.
  h = await harness({ arrayBindingThreshold: 10 });
  dir = mkdtempSync(join(tmpdir(), 'kicksaw-sf-tz-'));
});
afterAll(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Each row's ID with its value's instant (ISO, UTC) and own offset (minutes), ordered by ID. */
async function values(sql: string, column = 'AT'): Promise<Array<[unknown, string | null, number | null]>> {
  const rows = await h.rows<Record<string, unknown>>(sql);
  return rows.map((row) => {
    const value = row[column] as SfDate | null;
    return [row.ID, value ? value.toISOString() : null, value ? value.getTimezone() : null];
  });
}

describe('TIMESTAMP_TZ keeps each value’s own offset', () => {
  it('keeps the offset written in a literal, per value, and the session offset for text without one', async () => {
    await h.rows('create table tz_lit (id int, at timestamp_tz)');
    await h.rows("alter session set timezone = 'America/Los_Angeles'");
    await h.rows(`insert into tz_lit values
      (1, '2024-01-02 03:04:05 +05:30'), (2, '2024-01-02 03:04:05.250 -08:00'), (3, '2024-01-02T03:04:05Z'),
      (4, '2024-07-01 12:00:00'), (5, '2024-01-02 03:04:05+0930'), (6, null)`);
    await h.rows('alter session unset timezone');
    const { statement, rows } = await h.statement('select id, at from tz_lit order by id');
    expect(statement.getColumns()?.map((c) => c.getType())).toEqual(['fixed', 'timestamp_tz']);
    expect(
      rows.map((r) => {
        const at = r.AT as SfDate | null;
        return [r.ID, at?.toISOString() ?? null, at?.getTimezone() ?? null];
      }),
    ).toEqual([
      [1, '2024-01-01T21:34:05.000Z', 330],
      [2, '2024-01-02T11:04:05.250Z', -480],
      [3, '2024-01-02T03:04:05.000Z', 0],
      // No offset written: the session's zone (Los Angeles, summer) when it was written, kept after the session moved.
      [4, '2024-07-01T19:00:00.000Z', -420],
      [5, '2024-01-01T17:34:05.000Z', 570],
      [6, null, null],
    ]);
    // The driver's text of the value carries its offset.
    expect(JSON.stringify(rows[0]?.AT)).toContain('+0530');
    expect(JSON.stringify(rows[1]?.AT)).toContain('-0800');
  });

  it('compares instants: equal instants of different offsets are equal; ORDER BY orders instants', async () => {
    await h.rows('create table tz_cmp (id int, at timestamp_tz, other timestamp_tz)');
    await h.rows(`insert into tz_cmp values
      (1, '2024-01-01 00:00:00 +00:00', '2024-01-01 05:30:00 +05:30'),
      (2, '2024-01-01 09:00:00 +09:00', '2024-01-01 00:00:01 +00:00'),
      (3, '2023-12-31 20:00:00 -05:00', '2024-01-01 01:00:00 +00:00')`);
    // Rows 1 and 2 hold the same instant (midnight UTC) in AT; row 3 is 01:00 UTC, as is its OTHER.
    expect(await h.rows('select id from tz_cmp where at = other order by id')).toEqual([{ ID: 1 }, { ID: 3 }]);
    expect(await h.rows("select id from tz_cmp where at = '2024-01-01 01:00:00 +01:00' order by id")).toEqual([
      { ID: 1 },
      { ID: 2 },
    ]);
    expect(await h.rows("select id from tz_cmp where '2024-01-01 00:30:00 +00:00' < at order by id")).toEqual([
      { ID: 3 },
    ]);
    expect(
      await h.rows(
        "select id from tz_cmp where at between '2023-12-31 23:00:00 -01:00' and '2024-01-01 00:00:00 +00:00' order by id",
      ),
    ).toEqual([{ ID: 1 }, { ID: 2 }]);
    expect(await h.rows("select id from tz_cmp where at in ('2024-01-01 02:00:00 +02:00') order by id")).toEqual([
      { ID: 1 },
      { ID: 2 },
    ]);
    expect(await h.rows('select a.id, b.id as b from tz_cmp a join tz_cmp b on a.at = b.at and a.id < b.id')).toEqual([
      { ID: 1, B: 2 },
    ]);
    // Wall-clock order would put 3 (20:00) between the others; instants put it first descending, and the equal
    // instants of 1 and 2 tie (the next key decides), whatever their offsets.
    expect((await h.rows('select id from tz_cmp order by at desc, id')).map((r) => r.ID)).toEqual([3, 1, 2]);
    expect((await h.rows('select id from tz_cmp order by at, id desc')).map((r) => r.ID)).toEqual([2, 1, 3]);
    expect(
      (await h.rows('select id, row_number() over (order by at, id) as n from tz_cmp order by id')).map((r) => r.N),
    ).toEqual([1, 2, 3]);
    // ORDER BY a position or an alias of the column: the instant too.
    expect((await h.rows('select id, at from tz_cmp order by 2, 1 desc')).map((r) => r.ID)).toEqual([2, 1, 3]);
    expect((await h.rows('select id, at as w from tz_cmp order by w, id desc')).map((r) => r.ID)).toEqual([2, 1, 3]);
    expect((await values('select id, max(at) as at from tz_cmp group by id order by id')).map((r) => r[1])).toEqual([
      '2024-01-01T00:00:00.000Z',
      '2024-01-01T00:00:00.000Z',
      '2024-01-01T01:00:00.000Z',
    ]);
  });

  it('keeps offsets through binds, array binds and the driver’s stage binding', async () => {
    await h.rows('create table tz_bind (id int, at timestamp_tz)');
    await h.rows('insert into tz_bind values (?, ?)', [1, '2024-03-01 10:00:00 +01:00']);
    await h.rows('insert into tz_bind values (?, ?)', [
      [2, '2024-03-01 10:00:00 -03:00'],
      [3, '2024-03-01 10:00:00 +14:00'],
    ]);
    const many = Array.from({ length: 8 }, (_, k) => [10 + k, `2024-03-01 10:00:00 +0${k}:00`]);
    await h.rows('insert into tz_bind values (?, ?)', many);
    expect(h.sf.queries().some((q) => q.sqlText === 'insert into tz_bind values (?, ?)' && q.bindStage)).toBe(true);
    const got = await values('select id, at from tz_bind order by id');
    expect(got.slice(0, 3)).toEqual([
      [1, '2024-03-01T09:00:00.000Z', 60],
      [2, '2024-03-01T13:00:00.000Z', -180],
      [3, '2024-02-29T20:00:00.000Z', 840],
    ]);
    expect(got.slice(3).map((r) => r[2])).toEqual([0, 60, 120, 180, 240, 300, 360, 420]);
    // A bind compared with a column compares instants (09:00 UTC: rows 1 and 11).
    expect(await h.rows('select id from tz_bind where at = ? order by id', ['2024-03-01 12:00:00 +03:00'])).toEqual([
      { ID: 1 },
      { ID: 11 },
    ]);
  });

  it('keeps offsets through COPY INTO from CSV, UPDATE, MERGE and CREATE TABLE AS', async () => {
    const file = join(dir, 'tz.csv');
    writeFileSync(file, '1,2024-05-01 08:00:00 +02:00\n2,2024-05-01 08:00:00 -07:00\n3,\n');
    await h.rows('create table tz_load (id int, at timestamp_tz)');
    await h.rows(`put file://${file} @%tz_load`);
    await h.rows('copy into tz_load file_format = (type = csv)');
    expect(await values('select id, at from tz_load order by id')).toEqual([
      [1, '2024-05-01T06:00:00.000Z', 120],
      [2, '2024-05-01T15:00:00.000Z', -420],
      [3, null, null],
    ]);
    const updated = await h.statement("update tz_load set at = '2024-05-02 00:00:00 +09:00' where id = 3");
    expect(updated.rows[0]?.['number of rows updated']).toBe(1);
    await h.rows('create table tz_src (id int, at timestamp_tz)');
    await h.rows("insert into tz_src values (1, '2024-06-01 00:00:00 -10:00'), (4, '2024-06-01 00:00:00 +10:00')");
    const merged = await h.statement(`merge into tz_load t using tz_src s on t.id = s.id
      when matched then update set at = s.at
      when not matched then insert (id, at) values (s.id, s.at)`);
    expect(merged.rows[0]).toEqual({ 'number of rows inserted': 1, 'number of rows updated': 1 });
    const expected = [
      [1, '2024-06-01T10:00:00.000Z', -600],
      [2, '2024-05-01T15:00:00.000Z', -420],
      [3, '2024-05-01T15:00:00.000Z', 540],
      [4, '2024-05-31T14:00:00.000Z', 600],
    ];
    expect(await values('select id, at from tz_load order by id')).toEqual(expected);
    await h.rows('create table tz_copy as select id, at from tz_load');
    expect(await values('select id, at from tz_copy order by id')).toEqual(expected);
    expect((await h.rows<{ type: string }>('describe table tz_copy')).map((c) => c.type)).toEqual([
      'NUMBER(38,0)',
      'TIMESTAMP_TZ(9)',
    ]);
    await h.rows('insert into tz_copy select id + 10, at from tz_load where id = 1');
    expect(await values('select id, at from tz_copy where id = 11')).toEqual([[11, '2024-06-01T10:00:00.000Z', -600]]);
  });

  it('converts: CONVERT_TIMEZONE, casts to TIMESTAMP_NTZ / TIMESTAMP_LTZ / DATE / VARCHAR, ::TIMESTAMP_TZ', async () => {
    await h.rows('create table tz_conv (id int, at timestamp_tz)');
    await h.rows("insert into tz_conv values (1, '2024-01-02 23:30:00 -05:00')");
    const [row = {}] = await h.rows<Record<string, unknown>>(`select
        convert_timezone('Asia/Tokyo', at) as tokyo,
        at::timestamp_ntz as ntz, cast(at as timestamp_ltz) as ltz, to_date(at) as d, at::varchar as txt,
        '2024-01-02 03:04:05 +05:45'::timestamp_tz as lit, to_timestamp_tz('2024-01-02 03:04:05 -02:00') as fn,
        convert_timezone('UTC', 'America/New_York', '2024-01-02 12:00:00'::timestamp_ntz) as ny
      from tz_conv`);
    const tokyo = row.TOKYO as SfDate;
    expect([tokyo.toISOString(), tokyo.getTimezone()]).toEqual(['2024-01-03T04:30:00.000Z', 540]);
    // NTZ: the wall-clock time at the value's own offset.
    expect((row.NTZ as Date).toISOString()).toBe('2024-01-02T23:30:00.000Z');
    expect((row.LTZ as Date).toISOString()).toBe('2024-01-03T04:30:00.000Z');
    expect((row.D as Date).toISOString()).toBe('2024-01-02T00:00:00.000Z');
    expect(row.TXT).toBe('2024-01-02 23:30:00.000 -0500');
    expect([(row.LIT as SfDate).toISOString(), (row.LIT as SfDate).getTimezone()]).toEqual([
      '2024-01-01T21:19:05.000Z',
      345,
    ]);
    expect((row.FN as SfDate).getTimezone()).toBe(-120);
    expect((row.NY as Date).toISOString()).toBe('2024-01-02T07:00:00.000Z');
  });

  it('refuses what it cannot do faithfully with a clear error, never a wrong value', async () => {
    await h.rows('create table tz_no (id int, at timestamp_tz)');
    await h.rows("insert into tz_no values (1, '2024-01-01 00:00:00 +00:00'), (2, '2024-01-01 01:00:00 +01:00')");
    for (const sql of [
      'select at, count(*) from tz_no group by at',
      'select at, count(*) from tz_no group by 1',
      'select at as w, count(*) from tz_no group by w',
      'select distinct at from tz_no',
      'select count(distinct at) from tz_no',
      'select row_number() over (partition by at order by id) from tz_no',
      "select date_trunc('day', at) from tz_no",
      'select coalesce(at, at) = at from tz_no',
      'select distinct * from tz_no',
      'select at from tz_no union select at from tz_no',
    ]) {
      const error = await h.error(sql);
      expect(error.message, sql).toMatch(/^unsupported in the local Snowflake: /);
      expect(error.code, sql).toBe('000002');
    }
  });
});

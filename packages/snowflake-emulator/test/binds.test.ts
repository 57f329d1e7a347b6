import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support.js';

let h: Harness;
beforeAll(async () => {
  h = await harness();
  await h.rows('create table bound (id int, name varchar, score float, ok boolean, at timestamp_ntz, doc variant)');
});
afterAll(async () => {
  await h.close();
});

describe('inline binds', () => {
  it('binds ? and :n values of every JavaScript type the driver sends', async () => {
    const when = new Date('2024-05-06T07:08:09.010Z');
    await h.rows('insert into bound values (?, ?, ?, ?, ?, parse_json(?))', [
      1,
      "it's",
      2.5,
      true,
      when.toISOString(),
      JSON.stringify({ a: [1] }),
    ]);
    await h.rows('insert into bound (id, name) values (:1, :2)', [2, null]);
    const rows = await h.rows<Record<string, unknown>>('select * from bound where id = ? or name = :2 order by id', [
      1,
      'nobody',
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ ID: 1, NAME: "it's", SCORE: 2.5, OK: true, DOC: { a: [1] } });
    expect((rows[0]?.AT as Date | undefined)?.toISOString()).toBe(when.toISOString());
    expect(await h.rows('select name from bound where id = 2')).toEqual([{ NAME: null }]);
  });

  it('never lets a bound value become SQL', async () => {
    await h.rows('insert into bound (id, name) values (?, ?)', [3, "x'); drop table bound; --"]);
    expect(await h.rows('select name from bound where id = 3')).toEqual([{ NAME: "x'); drop table bound; --" }]);
  });

  it('answers a missing bind with 002049', async () => {
    const error = await h.error('select ? as a, ? as b', [1]);
    expect(error.code).toBe('002049');
  });
});

describe('array binds', () => {
  it('answers a text bound to a NUMBER column with 100038, as Snowflake', async () => {
    await h.rows('create table typed_bind (a string, b number)');
    const error = await h.error('insert into typed_bind values (:1, :2)', [3, 'string']);
    expect([error.code, error.message]).toEqual(['100038', "Numeric value 'string' is not recognized"]);
  });

  it('inserts many rows from one array bind, as one statement', async () => {
    await h.rows('create or replace table many (id int, name varchar, v float)');
    const rows = Array.from({ length: 1000 }, (_, i) => [i, `name ${i}`, i / 4]);
    const { statement } = await h.statement('insert into many values (?, ?, ?)', rows);
    expect(statement.getNumUpdatedRows()).toBe(1000);
    expect(await h.rows('select count(*) as n, sum(id) as s, max(v) as m from many')).toEqual([
      { N: 1000, S: 499500, M: 249.75 },
    ]);
    expect(await h.rows('select name from many where id = 7')).toEqual([{ NAME: 'name 7' }]);
  });

  it('runs other statements once per bound row and adds up the counts', async () => {
    const { statement } = await h.statement('update many set name = ? where id = ?', [
      ['seven', 7],
      ['eight', 8],
      ['none', 100000],
    ]);
    expect(statement.getNumUpdatedRows()).toBe(2);
    expect(await h.rows('select name from many where id in (7, 8) order by id')).toEqual([
      { NAME: 'seven' },
      { NAME: 'eight' },
    ]);
  });

  it("binds 200,000 rows through the driver's stage binding (CREATE TEMPORARY STAGE SYSTEM$BIND, PUT, bindStage)", async () => {
    await h.rows('create or replace table staged (id int, name varchar, note varchar)');
    const rows = Array.from({ length: 200_000 }, (_, i) => [
      i,
      i % 3 === 0 ? null : `n${i}`,
      i % 5 === 0 ? 'has, comma and "quotes"' : i % 7 === 0 ? '' : 'x',
    ]);
    const { statement } = await h.statement('insert into staged values (?, ?, ?)', rows);
    expect(statement.getNumUpdatedRows()).toBe(200_000);
    const staged = h.sf.queries().filter((q) => q.bindStage);
    expect(staged).toHaveLength(1);
    expect(staged[0]?.bindStage).toMatch(/^@SYSTEM\$BIND\//);
    expect(h.sf.queries().some((q) => /CREATE OR REPLACE TEMPORARY STAGE SYSTEM\$BIND/i.test(q.sqlText))).toBe(true);
    expect(
      await h.rows(`select count(*) as n, count(name) as named, sum(id) as s,
        count_if(note = 'has, comma and "quotes"') as quoted, count_if(note = '') as empty, count_if(note is null) as nulls from staged`),
    ).toEqual([{ N: 200_000, NAMED: 133_333, S: 19_999_900_000, QUOTED: 40_000, EMPTY: 22_857, NULLS: 0 }]);
  });
});

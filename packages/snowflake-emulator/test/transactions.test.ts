import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Harness, harness, run } from './support.js';

let h: Harness;
beforeAll(async () => {
  h = await harness({ database: 'TX' });
});
afterAll(async () => {
  await h.close();
});

describe('ALTER TABLE ... SWAP WITH', () => {
  it('exchanges two tables: rows, columns and declared types follow the names', async () => {
    await h.rows('create table live (id int, name varchar(20))');
    await h.rows("insert into live values (1, 'old')");
    await h.rows('create table fresh (id int, name varchar(30), extra boolean)');
    await h.rows("insert into fresh values (2, 'new', true), (3, 'newer', false)");
    expect(await h.rows('alter table live swap with fresh')).toEqual([{ status: 'Statement executed successfully.' }]);
    expect(await h.rows('select id, name, extra from live order by id')).toEqual([
      { ID: 2, NAME: 'new', EXTRA: true },
      { ID: 3, NAME: 'newer', EXTRA: false },
    ]);
    expect(await h.rows('select id, name from fresh')).toEqual([{ ID: 1, NAME: 'old' }]);
    const described = await h.rows<{ name: string; type: string }>('describe table live');
    expect(described.map((c) => [c.name, c.type])).toEqual([
      ['ID', 'NUMBER(38,0)'],
      ['NAME', 'VARCHAR(30)'],
      ['EXTRA', 'BOOLEAN'],
    ]);
    const tables = await h.rows<{ name: string }>("show tables like '%SWAP%'");
    expect(tables).toEqual([]);
  });

  it('answers 002003 when either table is missing, and nothing with IF EXISTS on a missing first table', async () => {
    expect((await h.error('alter table live swap with no_such')).code).toBe('002003');
    expect((await h.error('alter table no_such swap with live')).code).toBe('002003');
    await h.rows('alter table if exists no_such swap with live');
    expect(await h.rows('select count(*) as n from live')).toEqual([{ N: 2 }]);
  });

  it('swaps tables named with their schema, and refuses a swap across schemas', async () => {
    await h.rows('create schema other');
    await h.rows('create table other.a (v int)');
    await h.rows('create table other.b (v int)');
    await h.rows('insert into other.a values (1)');
    await h.rows('alter table tx.other.a swap with other.b');
    expect(await h.rows('select count(*) as n from other.a')).toEqual([{ N: 0 }]);
    expect(await h.rows('select v from other.b')).toEqual([{ V: 1 }]);
    const error = await h.error('alter table other.a swap with public.live');
    expect(error.message).toMatch(
      /^unsupported in the local Snowflake: ALTER TABLE \.\.\. SWAP WITH a table of another schema/,
    );
    await h.rows('use schema public');
  });

  it('is one step for a reader in another session: it sees one table or the other, never none', async () => {
    const reader = await connect(h.sf);
    try {
      await h.rows('create table flip (v int)');
      await h.rows('insert into flip values (1)');
      await h.rows('create table flop (v int)');
      await h.rows('insert into flop values (2), (2)');
      const seen = new Set<number>();
      const reads = (async () => {
        for (let k = 0; k < 20; k++) {
          const { rows } = await run(reader, 'select count(*) as n from flip');
          seen.add(Number(rows[0]?.N));
        }
      })();
      for (let k = 0; k < 10; k++) await h.rows('alter table flip swap with flop');
      await reads;
      for (const n of seen) expect([1, 2]).toContain(n);
      expect(await h.rows('select count(*) as n from flip')).toEqual([{ N: 1 }]);
    } finally {
      await new Promise<void>((resolve) => reader.destroy(() => resolve()));
    }
  });
});

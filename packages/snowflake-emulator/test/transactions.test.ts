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

describe('transactions (READ COMMITTED, as Snowflake)', () => {
  let other: import('snowflake-sdk').Connection;
  const seen = async (sql: string) => (await run(other, sql)).rows;
  beforeAll(async () => {
    other = await connect(h.sf);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => other.destroy(() => resolve()));
  });

  /** Resolves once the emulator has started running `sql` (it then waits for a lock). */
  const started = async (sql: string) => {
    for (;;) {
      if (h.sf.queries().some((q) => q.sqlText === sql && q.status === 'RUNNING')) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  };

  it("keeps a transaction's writes from other sessions until COMMIT, and shows them to its own statements", async () => {
    await h.rows('create table accounts (id int, name varchar)');
    await h.rows("insert into accounts values (1, 'committed')");
    await h.rows('begin');
    await h.rows("insert into accounts values (2, 'mine')");
    await h.rows("update accounts set name = 'changed' where id = 1");
    expect(await h.rows('select id, name from accounts order by id')).toEqual([
      { ID: 1, NAME: 'changed' },
      { ID: 2, NAME: 'mine' },
    ]);
    expect(await h.rows('select id, name from tx.public.accounts order by id')).toHaveLength(2);
    expect(await seen('select id, name from accounts order by id')).toEqual([{ ID: 1, NAME: 'committed' }]);
    await h.rows('commit');
    expect(await seen('select id, name from accounts order by id')).toEqual([
      { ID: 1, NAME: 'changed' },
      { ID: 2, NAME: 'mine' },
    ]);
  });

  it('lets each statement of a transaction see what other sessions committed after BEGIN, new tables included', async () => {
    await h.rows('create table ledger (id int)');
    await h.rows('begin transaction');
    await h.rows('insert into ledger values (1)');
    await run(other, 'create table deleted_ids (id int)');
    await run(other, 'insert into deleted_ids values (1), (2)');
    await run(other, "insert into accounts values (3, 'theirs')");
    expect(await h.rows('select count(*) as n from deleted_ids')).toEqual([{ N: 2 }]);
    expect(await h.rows('select count(*) as n from accounts')).toEqual([{ N: 3 }]);
    // The transaction writes the table the other session created, and uses it in a write of its own.
    await h.rows('insert into deleted_ids values (3)');
    await h.rows('delete from ledger using deleted_ids where ledger.id = deleted_ids.id');
    expect(await seen('select count(*) as n from deleted_ids')).toEqual([{ N: 2 }]);
    expect(await seen('select count(*) as n from ledger')).toEqual([{ N: 0 }]);
    await h.rows('commit');
    expect(await seen('select count(*) as n from deleted_ids')).toEqual([{ N: 3 }]);
    expect(await seen('select count(*) as n from ledger')).toEqual([{ N: 0 }]);
  });

  it('undoes everything on ROLLBACK, temporary tables included; BEGIN inside a transaction is ignored', async () => {
    await h.rows('create temporary table scratch (v int)');
    await h.rows('insert into scratch values (1)');
    await h.rows('begin');
    await h.rows('begin');
    await h.rows('insert into scratch values (2)');
    await h.rows('delete from accounts');
    await h.rows(
      'merge into ledger t using (select 9 as id) s on t.id = s.id when not matched then insert (id) values (s.id)',
    );
    expect(await h.rows('select count(*) as n from accounts')).toEqual([{ N: 0 }]);
    await h.rows('rollback');
    expect(await h.rows('select v from scratch order by v')).toEqual([{ V: 1 }]);
    expect(await h.rows('select count(*) as n from accounts')).toEqual([{ N: 3 }]);
    expect(await h.rows('select count(*) as n from ledger')).toEqual([{ N: 0 }]);
    expect((await h.rows<{ name: string }>('show tables')).map((t) => t.name)).not.toContain(
      '__KICKSAW_TX_BACKUP_SCRATCH',
    );
  });

  it('commits an open transaction before a DDL statement (which is its own transaction)', async () => {
    await h.rows('begin');
    await h.rows('insert into ledger values (10)');
    await h.rows('create table made_in_between (x int)');
    await h.rows('insert into ledger values (11)');
    await h.rows('rollback');
    expect(await seen('select id from ledger order by id')).toEqual([{ ID: 10 }, { ID: 11 }]);
  });

  it("makes another session's write to a table the transaction wrote wait for its COMMIT: no write is lost", async () => {
    await h.rows('create table counters (k varchar, n int)');
    await h.rows("insert into counters values ('a', 1)");
    await h.rows('begin');
    await h.rows("update counters set n = n + 1 where k = 'a'");
    const blocked = "insert into counters values ('b', 1)";
    const waiting = run(other, blocked);
    await started(blocked);
    expect(await h.rows('select k, n from counters order by k')).toEqual([{ K: 'a', N: 2 }]);
    await h.rows('commit');
    await waiting;
    expect(await seen('select k, n from counters order by k')).toEqual([
      { K: 'a', N: 2 },
      { K: 'b', N: 1 },
    ]);
  });

  it('aborts one of two transactions that wait for each other (000625), and rolls back at logout', async () => {
    await h.rows('create table left_side (v int)');
    await h.rows('create table right_side (v int)');
    await h.rows('begin');
    await h.rows('insert into left_side values (1)');
    await run(other, 'begin');
    await run(other, 'insert into right_side values (1)');
    // Each now writes the table the other holds: whichever closes the cycle is told 000625.
    const outcome = (who: 'h' | 'other', work: Promise<unknown>) =>
      work.then(
        () => ({ who, code: 'ok' }),
        (error: { code?: string }) => ({ who, code: String(error.code) }),
      );
    const fromH = outcome('h', h.rows('insert into right_side values (2)'));
    await started('insert into right_side values (2)');
    const fromOther = outcome('other', run(other, 'insert into left_side values (2)'));
    const victim = await Promise.race([fromH, fromOther]);
    expect(victim.code).toBe('000625');
    if (victim.who === 'other') {
      await run(other, 'rollback');
      expect(await fromH).toEqual({ who: 'h', code: 'ok' });
      await h.rows('commit');
      expect(await seen('select v from left_side')).toEqual([{ V: 1 }]);
      expect(await seen('select v from right_side')).toEqual([{ V: 2 }]);
    } else {
      await h.rows('rollback');
      expect(await fromOther).toEqual({ who: 'other', code: 'ok' });
      await run(other, 'commit');
      expect(await seen('select v from left_side')).toEqual([{ V: 2 }]);
      expect(await seen('select v from right_side')).toEqual([{ V: 1 }]);
    }
    // A session that ends inside a transaction: its writes go, its lock is released.
    await h.rows('delete from left_side');
    const quitter = await connect(h.sf);
    await run(quitter, 'begin');
    await run(quitter, 'insert into left_side values (99)');
    await new Promise<void>((resolve) => quitter.destroy(() => resolve()));
    await h.rows('insert into left_side values (3)');
    expect(await h.rows('select v from left_side order by v')).toEqual([{ V: 3 }]);
  });

  it('opens a transaction at the first statement when AUTOCOMMIT is off', async () => {
    await h.rows('alter session set autocommit = false');
    await h.rows('insert into ledger values (20)');
    expect(await seen('select count(*) as n from ledger where id = 20')).toEqual([{ N: 0 }]);
    await h.rows('rollback');
    await h.rows('insert into ledger values (21)');
    await h.rows('commit');
    await h.rows('alter session set autocommit = true');
    expect(await seen('select id from ledger where id >= 20')).toEqual([{ ID: 21 }]);
  });
});

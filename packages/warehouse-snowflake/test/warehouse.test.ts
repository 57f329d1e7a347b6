import type { SqlValue, Warehouse, WarehouseRow } from '@kicksaw/lakehouse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOAD_STAGE, openSnowflakeWarehouse, SnowflakeWarehouseError } from '../src/index.js';
import { type LocalSnowflake, startLocalSnowflake } from './support.js';

let local: LocalSnowflake;

beforeAll(async () => {
  // Small inline pages and chunks, so that streamed reads cross chunk boundaries with few rows.
  local = await startLocalSnowflake({}, { inlineRows: 500, chunkRows: 700 });
});
afterAll(async () => {
  await local?.stop();
});

async function all(warehouse: Warehouse, sql: string, params: SqlValue[] = []): Promise<WarehouseRow[]> {
  const out: WarehouseRow[] = [];
  for await (const row of warehouse.query(sql, params)) out.push(row);
  return out;
}

async function withWarehouse(
  fn: (warehouse: Warehouse) => Promise<void>,
  extra: Parameters<LocalSnowflake['open']>[0] = {},
): Promise<void> {
  const warehouse = await local.open(extra);
  try {
    await fn(warehouse);
  } finally {
    await warehouse.close();
  }
}

const COLUMNS = [
  { name: 'Id', type: { kind: 'id' } },
  { name: 'Name', type: { kind: 'text' } },
  { name: 'Flag', type: { kind: 'boolean' } },
  { name: 'Big', type: { kind: 'integer' } },
  { name: 'Amount', type: { kind: 'decimal', precision: 18, scale: 2 } },
  { name: 'Ratio', type: { kind: 'double' } },
  { name: 'Day', type: { kind: 'date' } },
  { name: 'At', type: { kind: 'timestamp' } },
  { name: 'row_note', type: { kind: 'text' } },
] as const;

/** Values that break naive CSV or NULL handling, with what each must read back as. */
function tricky(i: number): SqlValue[] {
  const names = [
    'plain',
    'comma, "quotes" and\nnewline',
    '',
    'NULL',
    '\\N',
    'back\\slash',
    'ünïcødé ✓ 日本',
    "it's",
    '   spaced   ',
    '\r\nCRLF',
  ];
  return [
    `a${String(i).padStart(17, '0')}`,
    i % 11 === 10 ? null : (names[i % names.length] as string),
    i % 3 === 0 ? null : i % 2 === 0,
    i === 7 ? '9007199254740993' : i * 1_000_003,
    i % 5 === 0 ? null : `${i}.${String(i % 100).padStart(2, '0')}`,
    i / 8,
    '2026-02-28',
    new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i % 1000)),
    `note ${i}`,
  ];
}

function expected(values: SqlValue[]): WarehouseRow {
  const [id, name, flag, big, amount, ratio, day, at, note] = values;
  return {
    Id: id ?? null,
    Name: name ?? null,
    Flag: flag ?? null,
    Big: typeof big === 'string' ? big : (big ?? null),
    Amount: amount === null || amount === undefined ? null : Number(amount),
    Ratio: ratio ?? null,
    Day: day ?? null,
    At: at ?? null,
    row_note: note ?? null,
  };
}

describe('loads', () => {
  it('loads through gzipped CSV files PUT to a temporary stage and one COPY INTO, every value exact', async () => {
    await withWarehouse(
      async (warehouse) => {
        await warehouse.createTable('Mixed Case', [...COLUMNS]);
        const before = local.sf.queries().length;
        const input = Array.from({ length: 2_500 }, (_, i) => tricky(i));
        async function* rows() {
          for (const row of input) yield row;
        }
        const loaded = await warehouse.load(
          'Mixed Case',
          COLUMNS.map((c) => c.name),
          rows(),
        );
        expect(loaded).toBe(2_500);
        const statements = local.sf
          .queries()
          .slice(before)
          .map((q) => q.sqlText);
        expect(statements.filter((s) => s.startsWith('PUT '))).toHaveLength(3); // 1,000 + 1,000 + 500 rows
        expect(statements.filter((s) => s.startsWith('COPY INTO '))).toHaveLength(1);
        expect(statements.some((s) => /^INSERT/i.test(s))).toBe(false);
        const back = await all(warehouse, `SELECT * FROM ${warehouse.quoteTable('Mixed Case')} ORDER BY "Id"`);
        expect(back).toEqual(input.map(expected));
        // The stage folder was purged after the COPY.
        const left = await all(warehouse, `LIST @${LOAD_STAGE}`);
        expect(left).toEqual([]);
      },
      { fileRows: 1_000 },
    );
  });

  it('loads through array binds when asked (loadMethod insert), with the same values', async () => {
    await withWarehouse(
      async (warehouse) => {
        await warehouse.createTable('by_insert', [...COLUMNS]);
        const input = Array.from({ length: 1_200 }, (_, i) => tricky(i));
        expect(
          await warehouse.load(
            'by_insert',
            COLUMNS.map((c) => c.name),
            input,
          ),
        ).toBe(1_200);
        const back = await all(warehouse, `SELECT * FROM ${warehouse.quoteTable('by_insert')} ORDER BY "Id"`);
        expect(back).toEqual(input.map(expected));
      },
      { loadMethod: 'insert', insertBatchRows: 500 },
    );
  });

  it('loads nothing for no rows, and a failed COPY leaves no rows and no staged files', async () => {
    await withWarehouse(async (warehouse) => {
      await warehouse.createTable('strict', [{ name: 'N', type: { kind: 'integer' } }]);
      expect(await warehouse.load('strict', ['N'], [])).toBe(0);
      await expect(warehouse.load('strict', ['N'], [[1], ['not a number'], [3]])).rejects.toBeInstanceOf(
        SnowflakeWarehouseError,
      );
      expect(await all(warehouse, `SELECT * FROM ${warehouse.quoteTable('strict')}`)).toEqual([]);
      expect(await all(warehouse, `LIST @${LOAD_STAGE}`)).toEqual([]);
    });
  });
});

describe('names, types and statements', () => {
  it('keeps the case of quoted names, folds lower-case bookkeeping names like Snowflake, and reports types as it creates them', async () => {
    await withWarehouse(async (warehouse) => {
      expect(warehouse.dialect).toBe('snowflake');
      expect(warehouse.quoteIdentifier('Id')).toBe('"Id"');
      expect(warehouse.quoteIdentifier('row_key')).toBe('"ROW_KEY"');
      expect(warehouse.quoteTable('say "hi"')).toBe('"say ""hi"""');
      await warehouse.createTable('Account', [
        { name: 'Id', type: { kind: 'id' } },
        { name: 'Amount', type: { kind: 'decimal', precision: 18, scale: 2 } },
        { name: 'Qty', type: { kind: 'integer' } },
        { name: 'Cost', type: { kind: 'sql', sql: 'NUMBER(10,4)' } },
      ]);
      const columns = await warehouse.listColumns('Account');
      expect(columns?.map((c) => c.name)).toEqual(['Id', 'Amount', 'Qty', 'Cost']);
      expect(columns?.find((c) => c.name === 'Amount')?.sqlType).toBe(
        warehouse.columnType({ kind: 'decimal', precision: 18, scale: 2 }),
      );
      expect(columns?.find((c) => c.name === 'Qty')?.sqlType).toBe(warehouse.columnType({ kind: 'integer' }));
      expect(columns?.find((c) => c.name === 'Cost')?.sqlType).toBe('NUMBER(10,4)');
      await warehouse.createTable('row_log', [{ name: 'row_key', type: { kind: 'text' } }]);
      // Lower-case names are Snowflake's folded names: reachable unquoted, stored upper case, reported lower case.
      await warehouse.execute('INSERT INTO row_log (row_key) VALUES ($1)', ['k1']);
      expect(await warehouse.listColumns('row_log')).toEqual([{ name: 'row_key', sqlType: 'VARCHAR' }]);
      expect(
        await all(warehouse, 'SELECT table_name FROM information_schema.tables WHERE table_name = $1', ['ROW_LOG']),
      ).toEqual([{ table_name: 'ROW_LOG' }]);
      await warehouse.execute(`INSERT INTO ${warehouse.quoteTable('Account')} ("Id") VALUES ($1)`, ['A']);
      // Unquoted aliases come back in lower case, quoted ones as written.
      expect(await all(warehouse, `SELECT "Id" AS k, "Id" AS "Mixed" FROM ${warehouse.quoteTable('Account')}`)).toEqual(
        [{ k: 'A', Mixed: 'A' }],
      );
    });
  });

  it('binds $n parameters of every type, and leaves $n inside literals alone', async () => {
    await withWarehouse(async (warehouse) => {
      const at = new Date(Date.UTC(2026, 4, 6, 7, 8, 9, 123));
      const [row] = await all(
        warehouse,
        `SELECT $1 AS s, CAST($2 AS NUMBER(38,0)) AS n, CAST($3 AS BOOLEAN) AS b, CAST($4 AS TIMESTAMP) AS t, $5 AS z, '$1 it''s \\' $2' AS lit, CAST($6 AS NUMBER(38,0)) AS big`,
        ['x', 42, true, at, null, 12345678901234567890n],
      );
      expect(row).toEqual({ s: 'x', n: 42, b: true, t: at, z: null, lit: "$1 it's ' $2", big: '12345678901234567890' });
    });
  });

  it('streams reads across result chunks, and a loop left early releases its statement', async () => {
    await withWarehouse(async (warehouse) => {
      await warehouse.createTable('numbers', [{ name: 'n', type: { kind: 'integer' } }]);
      await warehouse.load(
        'numbers',
        ['n'],
        Array.from({ length: 3_000 }, (_, i) => [i]),
      );
      let expectedNext = 0;
      for await (const row of warehouse.query(`SELECT n FROM ${warehouse.quoteTable('numbers')} ORDER BY n`)) {
        expect(row.n).toBe(expectedNext++);
      }
      expect(expectedNext).toBe(3_000);
      let seen = 0;
      for await (const _ of warehouse.query(`SELECT n FROM ${warehouse.quoteTable('numbers')} ORDER BY n`)) {
        if (++seen === 10) break;
      }
      expect(seen).toBe(10);
      expect(await all(warehouse, `SELECT count(*) AS c FROM ${warehouse.quoteTable('numbers')}`)).toEqual([
        { c: 3_000 },
      ]);
    });
  });

  it('reports a failed statement with Snowflake’s code and the statement', async () => {
    await withWarehouse(async (warehouse) => {
      const missing = await warehouse.execute('SELECT * FROM "Nope"').catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(SnowflakeWarehouseError);
      expect(missing).toMatchObject({ code: 'SNOWFLAKE_ERROR', snowflakeCode: '002003' });
      expect((missing as Error).message).toContain('SELECT * FROM "Nope"');
      const syntax = await all(warehouse, 'SELEC 1').catch((e: unknown) => e);
      expect(syntax).toMatchObject({ code: 'SNOWFLAKE_ERROR', snowflakeCode: '001003' });
    });
  });

  it('refuses a wrong password with SNOWFLAKE_CONNECT_FAILED', async () => {
    const error = await openSnowflakeWarehouse({
      connection: { ...local.connectionOptions(), password: 'wrong' },
      retries: 0,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SNOWFLAKE_CONNECT_FAILED' });
    expect((error as Error).message).not.toContain('wrong');
  });
});

describe('merge', () => {
  it('collapses duplicates (newest version wins), never lets an older row overwrite a newer one, and counts each key once', async () => {
    await withWarehouse(async (warehouse) => {
      const columns = [
        { name: 'Id', type: { kind: 'id' } },
        { name: 'Name', type: { kind: 'text' } },
        { name: 'Keep', type: { kind: 'text' } },
        { name: 'SystemModstamp', type: { kind: 'timestamp' } },
      ] as const;
      await warehouse.createTable('target', [...columns]);
      await warehouse.createTable('_kicksaw_stage_m', [...columns]);
      const t = (minute: number) => `2026-01-01 00:${String(minute).padStart(2, '0')}:00.000`;
      await warehouse.load(
        'target',
        ['Id', 'Name', 'Keep', 'SystemModstamp'],
        [
          ['A', 'old A', 'kept', t(1)],
          ['B', 'new B', 'kept', t(5)],
          ['C', 'same C', 'kept', t(3)],
        ],
      );
      await warehouse.load(
        '_kicksaw_stage_m',
        ['Id', 'Name', 'SystemModstamp'],
        [
          ['A', 'A v2', t(2)],
          ['A', 'A v3', t(4)], // duplicate: the newest wins
          ['B', 'stale B', t(4)],
          ['C', 'same C again', t(3)],
          ['D', 'new D', t(6)],
        ],
      );
      const result = await warehouse.merge({
        target: 'target',
        staging: '_kicksaw_stage_m',
        key: 'Id',
        columns: ['Id', 'Name', 'SystemModstamp'],
        versionColumn: 'SystemModstamp',
      });
      expect(result).toEqual({ inserted: 1, updated: 1, unchanged: 1, stale: 1, duplicates: 1 });
      const rows = await all(
        warehouse,
        `SELECT "Id", "Name", "Keep" FROM ${warehouse.quoteTable('target')} ORDER BY "Id"`,
      );
      expect(rows).toEqual([
        { Id: 'A', Name: 'A v3', Keep: 'kept' },
        { Id: 'B', Name: 'new B', Keep: 'kept' },
        { Id: 'C', Name: 'same C again', Keep: 'kept' },
        { Id: 'D', Name: 'new D', Keep: null },
      ]);
    });
  });
});

describe('transactions', () => {
  it('a rollback undoes the writes, drops the tables it created and the columns it added; drops wait for the commit', async () => {
    await withWarehouse(async (warehouse) => {
      await warehouse.createTable('kept', [{ name: 'Id', type: { kind: 'id' } }]);
      await warehouse.load('kept', ['Id'], [['1']]);
      await warehouse.createTable('doomed', [{ name: 'Id', type: { kind: 'id' } }]);
      const failure = await warehouse
        .transaction(async (session) => {
          await session.addColumns('kept', [{ name: 'Extra', type: { kind: 'text' } }]);
          await session.createTable('scratch_before', [{ name: 'Id', type: { kind: 'id' } }]);
          await session.execute(`INSERT INTO ${session.quoteTable('kept')} ("Id", "Extra") VALUES ('2', 'x')`);
          await session.createTable('scratch_after', [{ name: 'Id', type: { kind: 'id' } }]);
          await session.dropTable('doomed');
          await expect(session.addColumns('kept', [{ name: 'Late', type: { kind: 'text' } }])).rejects.toMatchObject({
            code: 'SNOWFLAKE_DDL_IN_TRANSACTION',
          });
          throw new Error('boom');
        })
        .catch((e: unknown) => e);
      expect((failure as Error).message).toBe('boom');
      expect(await warehouse.listColumns('kept')).toEqual([{ name: 'Id', sqlType: expect.any(String) }]);
      expect(await all(warehouse, `SELECT "Id" FROM ${warehouse.quoteTable('kept')}`)).toEqual([{ Id: '1' }]);
      expect(await warehouse.listColumns('scratch_before')).toBeUndefined();
      expect(await warehouse.listColumns('scratch_after')).toBeUndefined();
      expect(await warehouse.listColumns('doomed')).toBeDefined();

      const value = await warehouse.transaction(async (session) => {
        await session.execute(`INSERT INTO ${session.quoteTable('kept')} ("Id") VALUES ('3')`);
        await session.dropTable('doomed');
        expect(await session.listColumns('doomed')).toBeDefined(); // not before the commit
        return 'done';
      });
      expect(value).toBe('done');
      expect(await warehouse.listColumns('doomed')).toBeUndefined();
      expect(await all(warehouse, `SELECT "Id" FROM ${warehouse.quoteTable('kept')} ORDER BY 1`)).toEqual([
        { Id: '1' },
        { Id: '3' },
      ]);
    });
  });

  it('swaps a rebuilt table in, and swaps it back when the transaction fails after the swap', async () => {
    await withWarehouse(async (warehouse) => {
      const columns = [{ name: 'Id', type: { kind: 'id' } }] as const;
      await warehouse.createTable('live', [...columns]);
      await warehouse.load('live', ['Id'], [['old']]);
      await warehouse.createTable('live_new', [...columns]);
      await warehouse.load('live_new', ['Id'], [['new']]);
      await expect(
        warehouse.transaction(async (session) => {
          await session.swapTable('live_new', 'live');
          await session.execute(`INSERT INTO ${session.quoteTable('live')} ("Id") VALUES ('more')`);
          throw new Error('after the swap');
        }),
      ).rejects.toThrow('after the swap');
      expect(await all(warehouse, `SELECT "Id" FROM ${warehouse.quoteTable('live')}`)).toEqual([{ Id: 'old' }]);
      expect(await all(warehouse, `SELECT "Id" FROM ${warehouse.quoteTable('live_new')}`)).toEqual([{ Id: 'new' }]);

      await warehouse.transaction((session) => session.swapTable('live_new', 'live'));
      expect(await all(warehouse, `SELECT "Id" FROM ${warehouse.quoteTable('live')}`)).toEqual([{ Id: 'new' }]);
      expect(await warehouse.listColumns('live_new')).toBeUndefined();
      // Into a name that does not exist yet: a rename.
      await warehouse.createTable('fresh_new', [...columns]);
      await warehouse.swapTable('fresh_new', 'fresh');
      expect(await warehouse.listColumns('fresh')).toBeDefined();
      expect(await warehouse.listColumns('fresh_new')).toBeUndefined();
    });
  });
});

describe('transient faults', () => {
  it('reads and loads come through when the local Snowflake answers some requests with 503', async () => {
    await withWarehouse(
      async (warehouse) => {
        await warehouse.createTable('faulty', [{ name: 'n', type: { kind: 'integer' } }]);
        local.sf.faults.set({ seed: 7, httpErrors: { rate: 0.3, status: 503, match: /query-request/ } });
        try {
          expect(
            await warehouse.load(
              'faulty',
              ['n'],
              Array.from({ length: 100 }, (_, i) => [i]),
            ),
          ).toBe(100);
          const rows = await all(warehouse, `SELECT count(*) AS c, sum(n) AS s FROM ${warehouse.quoteTable('faulty')}`);
          expect(rows).toEqual([{ c: 100, s: 4_950 }]);
        } finally {
          local.sf.faults.reset();
        }
      },
      { retryBaseDelayMs: 1 },
    );
  });
});

import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { expect, it } from 'vitest';
import { DEFAULT_DUCKDB_MEMORY_LIMIT, openDuckDbWarehouse } from '../src/index.js';
import { LoadThreads } from '../src/session.js';

async function setting(config: Record<string, string> | undefined, name: string): Promise<unknown> {
  const warehouse = await openDuckDbWarehouse(config ? { config } : {});
  try {
    for await (const row of warehouse.query(`SELECT current_setting('${name}') AS v`)) return row.v;
    return undefined;
  } finally {
    await warehouse.close();
  }
}

it('bounds DuckDB memory by default (it lives in the client process), and takes the caller’s limit instead', async () => {
  expect(DEFAULT_DUCKDB_MEMORY_LIMIT).toBe('256MB');
  // DuckDB reports the limit in its own units: 256MB = 244.1 MiB.
  expect(await setting(undefined, 'memory_limit')).toBe('244.1 MiB');
  expect(await setting({ memory_limit: '1GB' }, 'memory_limit')).toBe('953.6 MiB');
  expect(await setting({ threads: '1' }, 'threads')).toBe(1);
});

async function threadsOf(connection: DuckDBConnection): Promise<string> {
  const reader = await connection.runAndReadAll("SELECT current_setting('threads')::VARCHAR");
  return String(reader.getRows()[0]?.[0]);
}

it('runs loads on one thread by default and puts the instance’s threads back after the last load', async () => {
  const instance = await DuckDBInstance.create(':memory:', { threads: '3' });
  const probe = await instance.connect();
  try {
    const scoped = new LoadThreads(() => instance.connect(), 1);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Two loads overlap: the setting stays at 1 until the second one ends.
    const first = scoped.run(async () => {
      await held;
      return threadsOf(probe);
    });
    const second = scoped.run(() => threadsOf(probe));
    expect(await second).toBe('1');
    expect(await threadsOf(probe)).toBe('1');
    release();
    expect(await first).toBe('1');
    expect(await threadsOf(probe)).toBe('3');
    // A load that fails still puts the setting back.
    await expect(scoped.run(() => Promise.reject(new Error('load failed')))).rejects.toThrow('load failed');
    expect(await threadsOf(probe)).toBe('3');
    // undefined leaves DuckDB's setting alone.
    expect(await new LoadThreads(() => instance.connect(), undefined).run(() => threadsOf(probe))).toBe('3');
  } finally {
    probe.closeSync();
    instance.closeSync();
  }
});

it('loads a CSV page with the instance’s threads back afterwards, and leaves a passed instance’s threads alone', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'kicksaw-duckdb-threads-'));
  const file = join(directory, 'page.csv');
  await writeFile(file, '"Id","Name"\n"001000000000001AAA","Acme"\n"001000000000002AAA",""\n');
  const columns = [
    { name: 'Id', type: { kind: 'id' } },
    { name: 'Name', type: { kind: 'text' } },
  ] as const;
  const warehouse = await openDuckDbWarehouse({ config: { threads: '3' } });
  const instance = await DuckDBInstance.create(':memory:', { threads: '3' });
  const shared = await openDuckDbWarehouse({ instance });
  try {
    for (const w of [warehouse, shared]) {
      await w.createTable('t', columns);
      expect(await w.loadCsv?.({ table: 't', file, columns })).toBe(2);
      const rows = [];
      for await (const row of w.query('SELECT "Id", "Name" FROM "t" ORDER BY "Id"')) rows.push(row);
      expect(rows).toEqual([
        { Id: '001000000000001AAA', Name: 'Acme' },
        { Id: '001000000000002AAA', Name: null },
      ]);
      for await (const row of w.query("SELECT current_setting('threads') AS v")) expect(row.v).toBe(3);
    }
  } finally {
    await warehouse.close();
    await shared.close();
    instance.closeSync();
    await rm(directory, { recursive: true, force: true });
  }
});

it('loads Bulk datetimes and times with their Z as UTC with milliseconds, empty values as NULL, bad values as errors', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'kicksaw-duckdb-casts-'));
  const warehouse = await openDuckDbWarehouse({});
  try {
    const columns = [
      { name: 'Id', type: { kind: 'id' } },
      { name: 'Stamp', type: { kind: 'timestamp' } },
      { name: 'Clock', type: { kind: 'time' } },
    ] as const;
    await warehouse.createTable('casts', [...columns]);
    const file = join(directory, 'page.csv');
    await writeFile(
      file,
      [
        '"Id","Stamp","Clock"',
        '"1","2026-01-02T03:04:05.678Z","03:04:05.678Z"',
        '"2","1999-12-31T23:59:59.999Z","23:59:59.999Z"',
        '"3","2026-01-02T03:04:05.000Z","00:00:00.001Z"',
        '"4","",""',
        '"5",,',
        '',
      ].join('\n'),
    );
    expect(await warehouse.loadCsv?.({ table: 'casts', file, columns })).toBe(5);
    const rows: unknown[] = [];
    for await (const row of warehouse.query(
      `SELECT "Id", "Stamp", CAST("Clock" AS VARCHAR) AS "Clock" FROM "casts" ORDER BY "Id"`,
    )) {
      rows.push({ ...row, Stamp: row.Stamp === null ? null : (row.Stamp as Date).toISOString() });
    }
    expect(rows).toEqual([
      { Id: '1', Stamp: '2026-01-02T03:04:05.678Z', Clock: '03:04:05.678' },
      { Id: '2', Stamp: '1999-12-31T23:59:59.999Z', Clock: '23:59:59.999' },
      { Id: '3', Stamp: '2026-01-02T03:04:05.000Z', Clock: '00:00:00.001' },
      { Id: '4', Stamp: null, Clock: null },
      { Id: '5', Stamp: null, Clock: null },
    ]);
    // A value that is not a datetime fails the load, and the page writes nothing.
    await writeFile(file, '"Id","Stamp","Clock"\n"6","2026-01-02T03:04:05.678Z","03:04:05Z"\n"7","soon","03:04:05Z"\n');
    await expect(warehouse.loadCsv?.({ table: 'casts', file, columns })).rejects.toThrow(/soon/);
    for await (const row of warehouse.query('SELECT count(*) AS n FROM "casts"')) expect(row.n).toBe(5);
  } finally {
    await warehouse.close();
    await rm(directory, { recursive: true, force: true });
  }
});

it('loads a Bulk page whose lines run across the CSV reader’s buffers, one of them about 6 MB long', async () => {
  const directory = await mkdtemp(join(tmpdir(), 'kicksaw-duckdb-lines-'));
  const warehouse = await openDuckDbWarehouse({});
  try {
    const columns = [
      { name: 'Id', type: { kind: 'id' } },
      { name: 'Body', type: { kind: 'text' } },
    ] as const;
    await warehouse.createTable('lines', [...columns]);
    const long = `${'ä,"x"\n'.repeat(650_000)}end`; // 5.85 MB as CSV (quotes doubled), quotes and line breaks inside
    const short = Array.from({ length: 300_000 }, (_, i) => `"s${i}","${'y'.repeat(i % 50)}"`);
    const file = join(directory, 'page.csv');
    await writeFile(
      file,
      [
        '"Id","Body"',
        ...short.slice(0, 150_000),
        `"long","${long.replaceAll('"', '""')}"`,
        ...short.slice(150_000),
        '',
      ].join('\n'),
    );
    expect(await warehouse.loadCsv?.({ table: 'lines', file, columns })).toBe(300_001);
    for await (const row of warehouse.query(
      `SELECT count(*) AS n, sum(length("Body")) AS total, max(CASE WHEN "Id" = 'long' THEN md5("Body") END) AS h FROM "lines"`,
    )) {
      expect(row.n).toBe(300_001);
      expect(Number(row.total)).toBe(long.length + short.reduce((sum, _, i) => sum + (i % 50), 0));
      expect(row.h).toBe(createHash('md5').update(long).digest('hex'));
    }
  } finally {
    await warehouse.close();
    await rm(directory, { recursive: true, force: true });
  }
});

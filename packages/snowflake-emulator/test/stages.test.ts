import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support.js';

let h: Harness;
const dir = mkdtempSync(join(tmpdir(), 'kicksaw-sf-stage-test-'));
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('PUT, LIST, GET, REMOVE with LOCAL_FS', () => {
  it('uploads to the user stage (compressed by the driver), lists, downloads and removes', async () => {
    const path = file('hello.csv', 'a,b\n1,2\n');
    const put = await h.rows<Record<string, unknown>>(`PUT file://${path} @~/inbox`);
    expect(put).toEqual([expect.objectContaining({ source: 'hello.csv', target: 'hello.csv.gz', status: 'UPLOADED' })]);
    const listed = await h.rows<{ name: string; size: number }>('LIST @~/inbox');
    expect(listed.map((f) => f.name)).toEqual(['inbox/hello.csv.gz']);
    const out = join(dir, 'download');
    mkdirSync(out); // the driver wants the target folder to exist
    const got = await h.rows<Record<string, unknown>>(`GET @~/inbox file://${out}`);
    expect(got).toEqual([expect.objectContaining({ file: 'inbox/hello.csv.gz', status: 'DOWNLOADED' })]);
    const downloaded = (await readdir(out))[0] as string;
    expect(gunzipSync(readFileSync(join(out, downloaded))).toString()).toBe('a,b\n1,2\n');
    const removed = await h.rows('REMOVE @~/inbox');
    expect(removed).toEqual([{ name: 'inbox/hello.csv.gz', result: 'removed' }]);
    expect(await h.rows('LIST @~/inbox')).toEqual([]);
  });

  it('uploads uncompressed with AUTO_COMPRESS = FALSE to a named stage; refuses an unknown stage with 002003', async () => {
    await h.rows("CREATE STAGE landing FILE_FORMAT = (TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '\"' SKIP_HEADER = 1)");
    const path = file('plain.csv', 'id,name\n1,x\n');
    await h.rows(`PUT file://${path} @landing AUTO_COMPRESS = FALSE`);
    expect((await h.rows<{ name: string }>('LIST @landing')).map((f) => f.name)).toEqual(['landing/plain.csv']);
    expect((await h.error('LIST @nowhere')).code).toBe('002003');
  });
});

describe('COPY INTO', () => {
  it('loads CSV from a table stage with FIELD_OPTIONALLY_ENCLOSED_BY, SKIP_HEADER, NULL_IF, EMPTY_FIELD_AS_NULL and PURGE', async () => {
    await h.rows('CREATE TABLE contacts (id INT, name VARCHAR, note VARCHAR, amount NUMBER(10,2))');
    const path = file(
      'contacts.csv',
      'id,name,note,amount\n1,"Smith, Ann","said ""hi""",10.5\n2,,"",NULL\n3,Bob,\\N,\n',
    );
    await h.rows(`PUT file://${path} @%contacts`);
    const copied = await h.rows<Record<string, unknown>>(
      `COPY INTO contacts FROM @%contacts FILE_FORMAT = (TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '"' SKIP_HEADER = 1 NULL_IF = ('NULL', '\\\\N') EMPTY_FIELD_AS_NULL = TRUE) PURGE = TRUE`,
    );
    expect(copied).toEqual([
      expect.objectContaining({
        file: 'contacts.csv.gz',
        status: 'LOADED',
        rows_parsed: 3,
        rows_loaded: 3,
        errors_seen: 0,
      }),
    ]);
    expect(await h.rows('SELECT * FROM contacts ORDER BY id')).toEqual([
      { ID: 1, NAME: 'Smith, Ann', NOTE: 'said "hi"', AMOUNT: 10.5 },
      { ID: 2, NAME: null, NOTE: '', AMOUNT: null },
      { ID: 3, NAME: 'Bob', NOTE: null, AMOUNT: null },
    ]);
    expect(await h.rows('LIST @%contacts')).toEqual([]);
    expect(await h.rows('LIST @kicksaw.public.%contacts')).toEqual([]);
  });

  it('skips files it already loaded unless FORCE = TRUE', async () => {
    await h.rows('CREATE TABLE once (id INT)');
    await h.rows(`PUT file://${file('once.csv', '1\n2\n')} @%once`);
    await h.rows('COPY INTO once');
    expect(await h.rows('COPY INTO once')).toEqual([{ status: 'Copy executed with 0 files processed.' }]);
    await h.rows('COPY INTO once FORCE = TRUE');
    expect(await h.rows('SELECT count(*) AS n FROM once')).toEqual([{ N: 4 }]);
  });

  it('aborts the whole statement on a bad row by default, naming file and line', async () => {
    await h.rows('CREATE TABLE strict (id INT, name VARCHAR)');
    await h.rows(`PUT file://${file('good.csv', '1,a\n2,b\n')} @%strict`);
    await h.rows(`PUT file://${file('bad.csv', '3,c\nx,d\n')} @%strict`);
    const error = await h.error('COPY INTO strict');
    expect(error.code).toBe('100038');
    expect(error.message).toContain("Numeric value 'x' is not recognized");
    expect(error.message).toContain('bad.csv.gz');
    expect(await h.rows('SELECT count(*) AS n FROM strict')).toEqual([{ N: 0 }]);
  });

  it('ON_ERROR = CONTINUE loads the good rows and reports the bad ones; SKIP_FILE skips a file with errors', async () => {
    const continued = await h.rows<Record<string, unknown>>('COPY INTO strict ON_ERROR = CONTINUE');
    expect(continued).toEqual([
      expect.objectContaining({
        file: 'bad.csv.gz',
        status: 'PARTIALLY_LOADED',
        rows_parsed: 2,
        rows_loaded: 1,
        errors_seen: 1,
        first_error_line: 2,
      }),
      expect.objectContaining({ file: 'good.csv.gz', status: 'LOADED', rows_loaded: 2 }),
    ]);
    expect(await h.rows('SELECT id FROM strict ORDER BY id')).toEqual([{ ID: 1 }, { ID: 2 }, { ID: 3 }]);
    await h.rows('CREATE TABLE skipping (id INT, name VARCHAR)');
    await h.rows(`PUT file://${join(dir, 'bad.csv')} @%skipping`);
    await h.rows(`PUT file://${join(dir, 'good.csv')} @%skipping`);
    const skipped = await h.rows<Record<string, unknown>>('COPY INTO skipping ON_ERROR = SKIP_FILE');
    expect(skipped.map((r) => [r.file, r.status, r.rows_loaded])).toEqual([
      ['bad.csv.gz', 'LOAD_FAILED', 0],
      ['good.csv.gz', 'LOADED', 2],
    ]);
    expect(await h.rows('SELECT count(*) AS n FROM skipping')).toEqual([{ N: 2 }]);
  });

  it('matches CSV columns by header name with PARSE_HEADER and MATCH_BY_COLUMN_NAME', async () => {
    await h.rows('CREATE TABLE by_name (id INT, name VARCHAR, extra VARCHAR)');
    await h.rows(`PUT file://${file('by_name.csv', 'NAME,Id,ignored\nann,1,z\n')} @%by_name`);
    await h.rows(
      `COPY INTO by_name FILE_FORMAT = (TYPE = CSV PARSE_HEADER = TRUE) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE`,
    );
    expect(await h.rows('SELECT * FROM by_name')).toEqual([{ ID: 1, NAME: 'ann', EXTRA: null }]);
  });

  it('loads JSON into a VARIANT column and by column name', async () => {
    await h.rows('CREATE TABLE docs (v VARIANT)');
    await h.rows(`PUT file://${file('docs.json', '[{"id":1,"tags":["a"]},{"id":2,"name":"two"}]')} @%docs`);
    await h.rows('COPY INTO docs FILE_FORMAT = (TYPE = JSON STRIP_OUTER_ARRAY = TRUE)');
    expect(await h.rows('SELECT v:id::int AS id, v FROM docs ORDER BY 1')).toEqual([
      { ID: 1, V: { id: 1, tags: ['a'] } },
      { ID: 2, V: { id: 2, name: 'two' } },
    ]);
    await h.rows('CREATE TABLE doc_cols (id INT, name VARCHAR)');
    await h.rows(`PUT file://${file('rows.json', '{"ID":1,"Name":"one"}\n{"ID":2,"Name":null}\n')} @%doc_cols`);
    await h.rows('COPY INTO doc_cols FILE_FORMAT = (TYPE = JSON) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE');
    expect(await h.rows('SELECT * FROM doc_cols ORDER BY id')).toEqual([
      { ID: 1, NAME: 'one' },
      { ID: 2, NAME: null },
    ]);
  });

  it('loads Parquet by column name', async () => {
    const parquet = join(dir, 'items.parquet');
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run(
      `COPY (SELECT range AS id, 'item ' || range AS label FROM range(5)) TO '${parquet}' (FORMAT PARQUET)`,
    );
    duck.closeSync();
    await h.rows('CREATE TABLE items (id NUMBER(10,0), label VARCHAR)');
    await h.rows(`PUT file://${parquet} @%items AUTO_COMPRESS = FALSE`);
    await h.rows('COPY INTO items FILE_FORMAT = (TYPE = PARQUET) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE');
    expect(await h.rows('SELECT count(*) AS n, max(label) AS m FROM items')).toEqual([{ N: 5, M: 'item 4' }]);
  });
});

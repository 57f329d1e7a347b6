import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support.js';

// Issue 14's acceptance: a million rows loaded by PUT + COPY INTO and streamed back out through the unmodified
// driver, every row once and in order, with memory that does not grow with the result. The speed of the same
// work is bench/snowflake-emulator.bench.mjs's business; this test asserts what arrives, and the heap.

const ROWS = 1_000_000;
/** A full collection, so that a heap sample counts what is held, not garbage waiting for the collector. */
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;
let h: Harness;
const dir = mkdtempSync(join(tmpdir(), 'kicksaw-sf-million-'));
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `ID,LABEL,AMOUNT` rows 1..ROWS with back-pressure; the amount has two decimals. */
async function writeCsv(path: string): Promise<void> {
  const out = createWriteStream(path);
  const closed = new Promise<void>((resolve, reject) => out.on('close', resolve).on('error', reject));
  let batch = '';
  for (let id = 1; id <= ROWS; id++) {
    batch += `${id},"row ${id}, quoted",${(id % 100_000) / 100}\n`;
    if (id % 10_000 === 0) {
      if (!out.write(batch)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      batch = '';
    }
  }
  out.end(batch);
  await closed;
}

describe('a million rows', () => {
  it('loads 1,000,000 rows by PUT + COPY INTO and streams them back in order with a heap that stays flat', async () => {
    const path = join(dir, 'million.csv');
    await writeCsv(path);
    await h.rows('CREATE TABLE MILLION (ID NUMBER(38,0), LABEL VARCHAR, AMOUNT NUMBER(10,2))');
    const put = await h.rows<{ status: string }>(`PUT file://${path} @%MILLION`);
    expect(put.map((p) => p.status)).toEqual(['UPLOADED']);
    const copied = await h.rows<{ status: string; rows_loaded: number; errors_seen: number }>(
      `COPY INTO MILLION FROM @%MILLION FILE_FORMAT = (TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '"')`,
    );
    expect(copied).toEqual([expect.objectContaining({ status: 'LOADED', rows_loaded: ROWS, errors_seen: 0 })]);

    const heap: number[] = [];
    let expected = 1;
    let wrong = 0;
    let amounts = 0;
    await new Promise<void>((resolve, reject) => {
      const statement = h.connection.execute({
        sqlText: 'SELECT ID, LABEL, AMOUNT FROM MILLION ORDER BY ID',
        streamResult: true,
      });
      statement
        .streamRows()
        .on('data', (row: { ID: number; LABEL: string; AMOUNT: number }) => {
          if (row.ID !== expected || row.LABEL !== `row ${expected}, quoted`) wrong++;
          amounts += Math.round(row.AMOUNT * 100);
          expected++;
          if (expected % 100_000 === 0) {
            collect();
            heap.push(process.memoryUsage().heapUsed / 2 ** 20);
          }
        })
        .on('error', reject)
        .on('end', () => resolve());
    });
    expect(expected - 1).toBe(ROWS);
    expect(wrong).toBe(0);
    // Each id's amount is (id mod 100,000) / 100: ten full cycles of 0..99,999 cents.
    expect(amounts).toBe(10 * ((99_999 * 100_000) / 2));
    // After a collection, every 100,000 rows: what the driver and the emulator hold does not grow with the rows
    // read (holding them would add about 100 MB per 1,000,000 row objects; each sample is after 100,000 more).
    expect(heap).toHaveLength(10);
    expect(Math.max(...heap) - (heap[0] as number)).toBeLessThan(40);
  }, 300_000);
});

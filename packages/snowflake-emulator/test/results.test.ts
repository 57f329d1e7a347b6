import type snowflake from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness, run } from './support.js';

let h: Harness;
beforeAll(async () => {
  // Small inline and chunk sizes so that a modest result spans many chunk downloads.
  h = await harness({ inlineRows: 100, chunkRows: 1000, syncWaitMs: 50 });
});
afterAll(async () => {
  await h.close();
});

function stream(
  connection: snowflake.Connection,
  sqlText: string,
  onRow: (row: Record<string, unknown>) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const statement = connection.execute({ sqlText, streamResult: true });
    statement
      .streamRows()
      .on('data', onRow)
      .on('error', reject)
      .on('end', () => resolve());
  });
}

/** Starts a query with `asyncExec`: resolves to its query id as soon as the emulator accepted it. */
function executeAsync(sqlText: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    h.connection.execute({
      sqlText,
      asyncExec: true,
      complete: (error, statement) => (error ? reject(error) : resolve(statement.getQueryId())),
    });
  });
}

/** The rows of a query fetched by its id (`getResultsFromQueryId`, then streamed). */
async function resultOf(queryId: string): Promise<Record<string, unknown>[]> {
  const statement = await h.connection.getResultsFromQueryId({ queryId, sqlText: '' });
  return new Promise<Record<string, unknown>[]>((resolve, reject) => {
    const out: Record<string, unknown>[] = [];
    statement
      .streamRows()
      .on('data', (row: Record<string, unknown>) => out.push(row))
      .on('error', reject)
      .on('end', () => resolve(out));
  });
}

describe('large results', () => {
  it('serves rows beyond the first reply as chunks from its own URLs; streamRows sees every row once, in order', async () => {
    let expected = 0;
    let sum = 0;
    await stream(
      h.connection,
      "SELECT range AS ID, range * 2 AS TWICE, 'row ' || range AS LABEL FROM range(25000) ORDER BY range",
      (row) => {
        expect(row.ID).toBe(expected);
        expect(row.TWICE).toBe(expected * 2);
        expect(row.LABEL).toBe(`row ${expected}`);
        sum += row.ID as number;
        expected++;
      },
    );
    expect(expected).toBe(25000);
    expect(sum).toBe((24999 * 25000) / 2);
    const record = h.sf.queries().find((q) => q.sqlText.includes('range(25000)'));
    expect(record?.rowCount).toBe(25000);
  });

  it('keeps every character of text values, inline and in chunks', async () => {
    const odd = `Clerk#000000951, "quoted" \\ back\tslash\nnew line ü ✓ \u0001`;
    const rows = await h.rows<{ ID: number; T: string }>(
      `SELECT range AS ID, ? || range AS T FROM range(2500) ORDER BY range`,
      [odd],
    );
    expect(rows).toHaveLength(2500);
    expect(rows.every((row) => row.T === `${odd}${row.ID}`)).toBe(true);
  });

  it('gives the whole result to complete() when not streaming', async () => {
    const { rows, statement } = await h.statement('SELECT range AS N FROM range(3500)');
    expect(rows).toHaveLength(3500);
    expect(statement.getNumRows()).toBe(3500);
    expect(new Set(rows.map((r) => r.N)).size).toBe(3500);
  });
});

describe('asynchronous queries', () => {
  it('runs asyncExec queries, reports their status and fetches their result by query id', async () => {
    h.sf.faults.set({ slowQueries: { ms: 300, match: /SLOW_ONE/ } });
    const queryId = await executeAsync('SELECT 7 AS SLOW_ONE');
    expect(await h.connection.getQueryStatus(queryId)).toBe('RUNNING');
    const rows = await resultOf(queryId);
    expect(rows).toEqual([{ SLOW_ONE: 7 }]);
    expect(await h.connection.getQueryStatus(queryId)).toBe('SUCCESS');
    // Query ids match without regard to case; an id nobody ran has no data (not an HTTP error).
    expect(await h.connection.getQueryStatus(queryId.toUpperCase())).toBe('SUCCESS');
    expect(await h.connection.getQueryStatus('12345678-1234-4123-A123-123456789012')).toBe('NO_QUERY_DATA');
    h.sf.faults.reset();
  });

  it('runs CALL SYSTEM$WAIT asynchronously: RUNNING while it waits, then its result', async () => {
    const queryId = await executeAsync("CALL SYSTEM$WAIT(300, 'MILLISECONDS')");
    expect(await h.connection.getQueryStatus(queryId)).toBe('RUNNING');
    const rows = await resultOf(queryId);
    expect(rows).toEqual([{ SYSTEM$WAIT: 'waited 300 milliseconds' }]);
  });

  it('answers a slow synchronous query with "still running" (333333); the driver polls the result URL', async () => {
    h.sf.faults.set({ slowQueries: { ms: 400, match: /POLLED/ } });
    const { rows } = await run(h.connection, 'SELECT 1 AS POLLED');
    expect(rows).toEqual([{ POLLED: 1 }]);
    h.sf.faults.reset();
  });

  it('reports a failed async query with its error', async () => {
    const queryId = await new Promise<string>((resolve, reject) => {
      h.connection.execute({
        sqlText: 'SELECT * FROM NOT_THERE',
        asyncExec: true,
        complete: (error, statement) => (error ? reject(error) : resolve(statement.getQueryId())),
      });
    });
    await expect(h.connection.getResultsFromQueryId({ queryId, sqlText: '' })).rejects.toMatchObject({
      message: expect.stringContaining("Object 'NOT_THERE' does not exist"),
    });
    expect(await h.connection.getQueryStatus(queryId)).toBe('FAILED_WITH_ERROR');
  });

  it('aborts a running statement on cancel()', async () => {
    h.sf.faults.set({ slowQueries: { ms: 1500, match: /TO_CANCEL/ } });
    const outcome = new Promise<Error | undefined>((resolve) => {
      const statement = h.connection.execute({
        sqlText: 'SELECT 1 AS TO_CANCEL',
        complete: (error) => resolve(error ?? undefined),
      });
      setTimeout(() => statement.cancel(() => undefined), 200);
    });
    const error = await outcome;
    expect(error?.message).toMatch(/cancel/i);
    const record = h.sf.queries().find((q) => q.sqlText === 'SELECT 1 AS TO_CANCEL');
    expect(record?.status).toBe('ABORTED');
    h.sf.faults.reset();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultController } from '../src/faults.js';
import { type Harness, harness, run } from './support.js';

// snowflake-sdk 3.4 sleeps 1-3 s before its first retry (sfRetryStartingSleepTime is not a connection
// option), so each case injects only a few faults.
let h: Harness;
beforeAll(async () => {
  h = await harness();
  await h.rows('create table faulted (id int)');
});
afterAll(async () => {
  await h.close();
});

async function insertEach(from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) await run(h.connection, 'insert into faulted values (?)', [i]);
}

async function countRange(from: number, to: number): Promise<unknown> {
  return h.rows(`select count(*) as n, count(distinct id) as d from faulted where id between ${from} and ${to}`);
}

describe('seeded faults through the driver', () => {
  it('injects HTTP 503 at a rate; the driver retries and every statement runs exactly once', async () => {
    h.sf.faults.set({ seed: 19, httpErrors: { rate: 0.25, match: /query-request/ } });
    await insertEach(0, 6);
    h.sf.faults.reset();
    expect(h.sf.faults.injected().httpErrors).toBeGreaterThan(0);
    expect(await countRange(0, 5)).toEqual([{ N: 6, D: 6 }]);
  });

  it('drops connections at a rate; the driver retries and every statement runs exactly once', async () => {
    h.sf.faults.set({ seed: 19, dropConnectionRate: 0.25 });
    await insertEach(100, 6);
    h.sf.faults.reset();
    expect(h.sf.faults.injected().droppedConnections).toBeGreaterThan(0);
    expect(await countRange(100, 105)).toEqual([{ N: 6, D: 6 }]);
  });

  it('loses replies after the statement ran; the retry gets the first run by request id, nothing runs twice', async () => {
    h.sf.faults.set({ seed: 19, lostReplyRate: 0.25 });
    await insertEach(200, 6);
    h.sf.faults.reset();
    expect(h.sf.faults.injected().lostReplies).toBeGreaterThan(0);
    expect(await countRange(200, 205)).toEqual([{ N: 6, D: 6 }]);
    const runs = h.sf.queries().filter((q) => q.sqlText === 'insert into faulted values (?)');
    expect(runs).toHaveLength(18);
  });
});

describe('the fault generator', () => {
  it('draws the same faults from the same seed', () => {
    const draws = (seed: number) => {
      const faults = new FaultController({ seed, httpErrors: { rate: 0.3 }, dropConnectionRate: 0.2 });
      return Array.from(
        { length: 200 },
        () => `${faults.httpError('/x') ?? '-'}${faults.shouldDropConnection() ? 'D' : '-'}`,
      ).join('');
    };
    expect(draws(9)).toBe(draws(9));
    expect(draws(9)).not.toBe(draws(10));
    const faults = new FaultController({
      httpErrors: { rate: 1, status: 500, match: /query/ },
      slowQueries: { ms: 50, match: /SLOW/ },
    });
    expect(faults.httpError('/queries/v1/query-request')).toBe(500);
    expect(faults.httpError('/session/heartbeat')).toBeUndefined();
    expect(faults.slowQueryMs('select 1 as SLOW')).toBe(50);
    expect(faults.slowQueryMs('select 1')).toBe(0);
    expect(faults.injected()).toEqual({ httpErrors: 1, droppedConnections: 0, lostReplies: 0, slowQueries: 1 });
  });
});

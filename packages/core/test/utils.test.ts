import { describe, expect, it } from 'vitest';
import {
  chunk,
  dateFolder,
  dedupeBy,
  forEachConcurrently,
  SeededDraws,
  seededRandom,
  timestamp,
  toIsoDate,
} from '../src/index.js';

async function* countTo(n: number) {
  for (let i = 1; i <= n; i++) yield i;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('chunk', () => {
  it('splits arrays and other iterables lazily', () => {
    expect([...chunk([1, 2, 3, 4, 5], 2)]).toEqual([[1, 2], [3, 4], [5]]);
    expect([...chunk(new Set(['a', 'b']), 5)]).toEqual([['a', 'b']]);
    expect([...chunk([1, 2, 3, 4], 2)]).toEqual([
      [1, 2],
      [3, 4],
    ]);
    let pulled = 0;
    function* endless() {
      for (;;) {
        pulled++;
        yield pulled;
      }
    }
    const first = chunk(endless(), 3).next();
    expect(first.value).toEqual([1, 2, 3]);
    expect(pulled).toBe(3);
  });

  it('gives nothing for empty input', async () => {
    expect([...chunk([], 3)]).toEqual([]);
    expect(await collect(chunk(countTo(0), 3))).toEqual([]);
  });

  it('splits async iterables', async () => {
    expect(await collect(chunk(countTo(7), 3))).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('refuses sizes below one or fractional', () => {
    expect(() => chunk([1], 0)).toThrow(RangeError);
    expect(() => chunk([1], 1.5)).toThrow(/whole number/);
  });
});

describe('dedupeBy', () => {
  it('keeps the first of each key, by property or function', () => {
    expect(dedupeBy([{ id: 1 }, { id: 1, x: 2 }, { id: 2, name: 'test' }], 'id')).toEqual([
      { id: 1 },
      { id: 2, name: 'test' },
    ]);
    expect(dedupeBy(['A@x.com', 'a@X.com', 'b@x.com'], (email) => email.toLowerCase())).toEqual(['A@x.com', 'b@x.com']);
    expect(dedupeBy([], 'length' as never)).toEqual([]);
    expect(dedupeBy([{ id: 1 }, { id: '1' }], 'id')).toHaveLength(2);
  });
});

describe('dates', () => {
  it('timestamp is compact, sortable and has seconds', () => {
    expect(timestamp(new Date('2022-07-05T14:30:12.999Z'))).toBe('20220705T143012Z');
    expect(timestamp(new Date('2022-07-05T14:30:13Z')) > timestamp(new Date('2022-07-05T14:30:12Z'))).toBe(true);
    expect(timestamp()).toMatch(/^\d{8}T\d{6}Z$/);
    expect(() => timestamp(new Date('nope'))).toThrow(RangeError);
  });

  it('dateFolder is yyyy/MM/dd in UTC', () => {
    expect(dateFolder(new Date('2022-07-05T23:59:59Z'))).toBe('2022/07/05');
    expect(dateFolder(new Date('0999-01-02T00:00:00Z'))).toBe('0999/01/02');
  });

  it('toIsoDate converts 8-digit dates and refuses impossible ones', () => {
    expect(toIsoDate('20220101')).toBe('2022-01-01');
    expect(toIsoDate('2022.12.31')).toBe('2022-12-31');
    expect(toIsoDate('20240229')).toBe('2024-02-29');
    expect(toIsoDate('20230229')).toBeNull();
    expect(toIsoDate('20220230')).toBeNull();
    expect(toIsoDate('20221301')).toBeNull();
    expect(toIsoDate('20220100')).toBeNull();
    expect(toIsoDate('00000101')).toBeNull();
    expect(toIsoDate('0050' + '0101')).toBe('0050-01-01');
    expect(toIsoDate('2022011')).toBeNull();
    expect(toIsoDate('')).toBeNull();
    expect(toIsoDate('   ')).toBeNull();
    expect(toIsoDate(null)).toBeNull();
    expect(toIsoDate(undefined)).toBeNull();
  });
});

describe('seededRandom', () => {
  it('gives the same sequence for the same seed, another for another seed, numbers in [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const c = seededRandom(8);
    const seqA = Array.from({ length: 1000 }, () => a());
    const seqB = Array.from({ length: 1000 }, () => b());
    const seqC = Array.from({ length: 1000 }, () => c());
    expect(seqB).toEqual(seqA);
    expect(seqC).not.toEqual(seqA);
    expect(seqA.every((x) => x >= 0 && x < 1)).toBe(true);
    // spread: each tenth of [0, 1) gets a share near 100 of the 1000 draws
    const tenths = new Array(10).fill(0);
    for (const x of seqA) tenths[Math.floor(x * 10)]++;
    expect(Math.min(...tenths)).toBeGreaterThan(60);
    // seed 0 is taken as 1, not a stuck generator
    expect(seededRandom(0)()).toBe(seededRandom(1)());
  });
});

describe('SeededDraws', () => {
  it('draws by rate from its seed, re-seeds on set, and resets to nothing', () => {
    const draws = new SeededDraws<{ seed?: number; rate?: number }>({ seed: 5, rate: 0.3 });
    const random = seededRandom(5);
    const expected = Array.from({ length: 500 }, () => random() < 0.3);
    const seen = Array.from({ length: 500 }, () => draws.draw(draws.current().rate));
    expect(seen).toEqual(expected);
    expect(seen.filter(Boolean).length).toBeGreaterThan(100);
    expect(seen.filter(Boolean).length).toBeLessThan(200);
    // set re-seeds: the same settings give the same draws again
    draws.set({ seed: 5, rate: 0.3 });
    expect(Array.from({ length: 500 }, () => draws.draw(0.3))).toEqual(expected);
    // rates at the ends never consume the generator's randomness to decide
    expect(draws.draw(undefined)).toBe(false);
    expect(draws.draw(0)).toBe(false);
    expect(draws.draw(-1)).toBe(false);
    expect(draws.draw(1)).toBe(true);
    // current() is a copy
    const current = draws.current();
    current.rate = 0.9;
    expect(draws.current().rate).toBe(0.3);
    draws.reset();
    expect(draws.current()).toEqual({});
  });
});

describe('forEachConcurrently', () => {
  it('calls fn once per item with its index, never more than n at once, started in order', async () => {
    const started: Array<[string, number]> = [];
    let running = 0;
    let most = 0;
    await forEachConcurrently(['a', 'b', 'c', 'd', 'e'], 2, async (item, index) => {
      started.push([item, index]);
      running += 1;
      most = Math.max(most, running);
      for (let tick = 0; tick < 3; tick++) await Promise.resolve();
      running -= 1;
    });
    expect(started).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2],
      ['d', 3],
      ['e', 4],
    ]);
    expect(most).toBe(2);
    expect(running).toBe(0);
  });

  it('does nothing for no items, rejects with the first error, refuses a concurrency below 1', async () => {
    await forEachConcurrently([], 3, async () => {
      throw new Error('not called');
    });
    await expect(
      forEachConcurrently([1, 2, 3], 1, async (n) => {
        if (n === 2) throw new Error(`failed at ${n}`);
      }),
    ).rejects.toThrow('failed at 2');
    await expect(forEachConcurrently([1], 0, async () => undefined)).rejects.toThrow(RangeError);
    await expect(forEachConcurrently([1], 1.5, async () => undefined)).rejects.toThrow(RangeError);
  });
});

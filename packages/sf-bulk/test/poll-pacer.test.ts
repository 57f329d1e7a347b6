import { describe, expect, it } from 'vitest';
import { PollPacer } from '../src/run-job.js';

// The waits are computed from the times and counts given (no clock is read): each case is a sequence of polls.
describe('PollPacer', () => {
  it('grows the wait 1.5x a poll while no row is processed, up to the maximum', () => {
    const pacer = new PollPacer(50_000, 250, 1_000, 0);
    expect([0, 250, 625, 1_188, 2_032].map((at) => pacer.next(0, at))).toEqual([250, 375, 563, 845, 1_000]);
  });

  it('paces by the rate since the last poll that saw no progress, then closes in on the end', () => {
    const pacer = new PollPacer(50_000, 250, 1_000, 0);
    expect(pacer.next(0, 0)).toBe(250);
    expect(pacer.next(0, 250)).toBe(375);
    // 10,000 rows since the poll at 250 ms: 26.7 rows/ms, 1,500 ms left, half of it.
    expect(pacer.next(10_000, 625)).toBe(750);
    // 20,000 more in 750 ms: the same pace, 750 ms left.
    expect(pacer.next(30_000, 1_375)).toBe(375);
  });

  it('polls at the minimum once every row is processed and the job has not ended yet', () => {
    const pacer = new PollPacer(50_000, 250, 1_000, 0);
    for (const at of [0, 250, 625, 1_188]) pacer.next(0, at);
    // Before: the grown wait (845 ms, up to the maximum) after a poll that already saw every row processed.
    expect(pacer.next(50_000, 2_000)).toBe(250);
    expect(pacer.next(50_000, 2_250)).toBe(250);
  });

  it('goes back to the growing wait when the count stands still after moving', () => {
    const pacer = new PollPacer(100_000, 100, 5_000, 0);
    expect(pacer.next(0, 0)).toBe(100);
    expect(pacer.next(40_000, 100)).toBe(100);
    expect(pacer.next(40_000, 200)).toBe(150);
    expect(pacer.next(40_000, 350)).toBe(225);
  });
});

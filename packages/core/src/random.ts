/**
 * A small seeded pseudo-random generator (mulberry32): numbers in [0, 1), the same sequence for the same seed.
 * Made for reproducible fault injection and test data, never for anything secret.
 *
 * @example
 * ```ts
 * import { seededRandom } from '@kicksaw/core';
 *
 * const random = seededRandom(42);
 * const first = random();
 * seededRandom(42)() === first; // true: same seed, same sequence
 * ```
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

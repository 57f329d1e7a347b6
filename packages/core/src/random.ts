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

/**
 * Settings that carry the seed of their generator, as the emulators' fault settings do.
 */
export interface SeededSettings {
  /** Seed of the generator (default 1): the same seed, the same draws. */
  seed?: number;
}

/**
 * Holds settings and the seeded generator they name, re-seeded whenever the settings change, and draws events by
 * their rate: the part that every fault injector shares (the Salesforce and Snowflake emulators extend it with the
 * faults of their own protocols).
 *
 * @example
 * ```ts
 * import { SeededDraws } from '@kicksaw/core';
 *
 * const faults = new SeededDraws<{ seed?: number; dropRate?: number }>({ seed: 7, dropRate: 0.1 });
 * const dropped = faults.draw(faults.current().dropRate); // true about one time in ten, the same with seed 7
 * faults.reset(); // no faults, seed 1
 * ```
 */
export class SeededDraws<S extends SeededSettings> {
  protected settings: S;
  private random: () => number;

  constructor(settings: S = {} as S) {
    this.settings = { ...settings };
    this.random = seededRandom(settings.seed ?? 1);
  }

  /** Replaces the settings and re-seeds the generator from them. */
  set(settings: S): void {
    this.settings = { ...settings };
    this.random = seededRandom(settings.seed ?? 1);
  }

  /** Back to no settings (seed 1). */
  reset(): void {
    this.set({} as S);
  }

  /** A copy of the settings in force. */
  current(): S {
    return { ...this.settings };
  }

  /** True with probability `rate` (never for a missing or non-positive rate, always at 1 or more). */
  draw(rate: number | undefined): boolean {
    if (!rate || rate <= 0) return false;
    if (rate >= 1) return true;
    return this.random() < rate;
  }
}

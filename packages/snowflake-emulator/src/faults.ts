/** Seeded fault injection settings of a running local Snowflake. */
export interface FaultSettings {
  /** Seed of the generator that draws faults; the same seed gives the same faults. Default 1. */
  seed?: number;
  /** Delay added to every request, in milliseconds. */
  latencyMs?: number;
  /** Share (0..1) of requests whose connection is destroyed without a reply. */
  dropConnectionRate?: number;
  /** Share of requests answered with an HTTP error status (default 503), optionally only paths matching `match`. */
  httpErrors?: { rate: number; status?: number; match?: RegExp };
  /** Statements matching `match` (all when absent) take at least `ms` milliseconds. */
  slowQueries?: { ms: number; match?: RegExp };
}

/** The handle on the fault settings of a running emulator. */
export interface Faults {
  /** Replaces the fault settings (the generator restarts from the new seed). */
  set(settings: FaultSettings): void;
  /** Removes every fault. */
  reset(): void;
  /** The settings in force. */
  current(): FaultSettings;
}

/** A small seeded random generator (mulberry32). */
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

/** Holds the settings and the generator; the server asks it what to do with each request. */
export class FaultController implements Faults {
  private settings: FaultSettings;
  private random: () => number;

  constructor(settings: FaultSettings = {}) {
    this.settings = { ...settings };
    this.random = seededRandom(settings.seed ?? 1);
  }

  set(settings: FaultSettings): void {
    this.settings = { ...settings };
    this.random = seededRandom(settings.seed ?? 1);
  }

  reset(): void {
    this.set({});
  }

  current(): FaultSettings {
    return { ...this.settings };
  }

  private draw(rate: number | undefined): boolean {
    if (!rate || rate <= 0) return false;
    if (rate >= 1) return true;
    return this.random() < rate;
  }

  latencyMs(): number {
    return Math.max(0, this.settings.latencyMs ?? 0);
  }

  shouldDropConnection(): boolean {
    return this.draw(this.settings.dropConnectionRate);
  }

  httpError(path: string): number | undefined {
    const spec = this.settings.httpErrors;
    if (!spec) return undefined;
    if (spec.match && !spec.match.test(path)) return undefined;
    return this.draw(spec.rate) ? (spec.status ?? 503) : undefined;
  }

  slowQueryMs(sqlText: string): number {
    const spec = this.settings.slowQueries;
    if (!spec) return 0;
    if (spec.match && !spec.match.test(sqlText)) return 0;
    return Math.max(0, spec.ms);
  }
}

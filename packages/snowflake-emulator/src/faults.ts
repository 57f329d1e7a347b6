import { SeededDraws, seededRandom } from '@kicksaw/core';
/**
 * Seeded fault injection settings of a running local Snowflake.
 *
 * @example
 * ```ts
 * const sf = await startSnowflakeEmulator({ faults: { seed: 7, dropConnectionRate: 0.1, slowQueries: { ms: 500, match: /MERGE/ } } });
 * ```
 */
export interface FaultSettings {
  /** Seed of the generator that draws faults; the same seed gives the same faults. Default 1. */
  seed?: number;
  /** Delay added to every request, in milliseconds. */
  latencyMs?: number;
  /** Share (0..1) of requests whose connection is destroyed before the request is handled. */
  dropConnectionRate?: number;
  /**
   * Share (0..1) of statements whose reply is lost: the statement runs, then the connection is destroyed.
   * The driver retries with the same request id and gets the first run's result (Snowflake's dedup), so
   * nothing runs twice.
   */
  lostReplyRate?: number;
  /** Share of requests answered with an HTTP error status (default 503), optionally only paths matching `match`. */
  httpErrors?: { rate: number; status?: number; match?: RegExp };
  /** Statements matching `match` (all when absent) take at least `ms` milliseconds. */
  slowQueries?: { ms: number; match?: RegExp };
}

/**
 * The handle on the fault settings of a running emulator.
 *
 * @example
 * ```ts
 * sf.faults.set({ seed: 19, httpErrors: { rate: 0.25, match: /query-request/ } });
 * await runTheCodeUnderTest(); // the driver retries the 503s
 * expect(sf.faults.injected().httpErrors).toBeGreaterThan(0);
 * sf.faults.reset();
 * ```
 */
export interface Faults {
  /** Replaces the fault settings (the generator restarts from the new seed). */
  set(settings: FaultSettings): void;
  /** Removes every fault. */
  reset(): void;
  /** The settings in force. */
  current(): FaultSettings;
  /** How many faults were injected since start. */
  injected(): { httpErrors: number; droppedConnections: number; lostReplies: number; slowQueries: number };
}

/** The seeded generator of the faults, from @kicksaw/core. */
export { seededRandom };

/** Holds the settings and the generator; the server asks it what to do with each request. */
export class FaultController extends SeededDraws<FaultSettings> implements Faults {
  private readonly counts = { httpErrors: 0, droppedConnections: 0, lostReplies: 0, slowQueries: 0 };

  injected(): { httpErrors: number; droppedConnections: number; lostReplies: number; slowQueries: number } {
    return { ...this.counts };
  }

  latencyMs(): number {
    return Math.max(0, this.settings.latencyMs ?? 0);
  }

  shouldDropConnection(): boolean {
    const drop = this.draw(this.settings.dropConnectionRate);
    if (drop) this.counts.droppedConnections++;
    return drop;
  }

  shouldLoseReply(): boolean {
    const lose = this.draw(this.settings.lostReplyRate);
    if (lose) this.counts.lostReplies++;
    return lose;
  }

  httpError(path: string): number | undefined {
    const spec = this.settings.httpErrors;
    if (!spec) return undefined;
    if (spec.match && !spec.match.test(path)) return undefined;
    if (!this.draw(spec.rate)) return undefined;
    this.counts.httpErrors++;
    return spec.status ?? 503;
  }

  slowQueryMs(sqlText: string): number {
    const spec = this.settings.slowQueries;
    if (!spec) return 0;
    if (spec.match && !spec.match.test(sqlText)) return 0;
    this.counts.slowQueries++;
    return Math.max(0, spec.ms);
  }
}

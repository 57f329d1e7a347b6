/**
 * The org's clock: the one source of every timestamp the org writes (CreatedDate, LastModifiedDate,
 * SystemModstamp, deletion dates, job dates) and of "now" in SOQL date literals, formulas and the recycle bin's
 * retention. Tests set or advance it instead of sleeping.
 */
import { OrgError } from '../contract.js';

/** A date given to the clock: a `Date` or an ISO 8601 string with a zone (`2024-01-01T00:00:00Z`). */
export type ClockInput = Date | string;

/** Epoch milliseconds of a clock input; throws a clear error for anything else. */
export function clockMillis(input: ClockInput, what = 'clock'): number {
  const millis =
    input instanceof Date
      ? input.getTime()
      : typeof input === 'string' && /\d{4}-\d{2}-\d{2}/.test(input)
        ? Date.parse(input)
        : Number.NaN;
  if (!Number.isFinite(millis)) {
    throw new OrgError(
      'INVALID_ARGUMENT',
      `The ${what} takes a Date or an ISO 8601 date-time such as 2024-01-01T00:00:00Z; got ${String(input)}`,
    );
  }
  return millis;
}

/**
 * The org's controllable clock. It runs in real time until {@link OrgClock.set} fixes it at an instant; a fixed
 * clock stands still until it is set or advanced again (so every write in between gets the same timestamp, as
 * writes in one Salesforce transaction do). {@link OrgClock.advance} moves a fixed clock, or shifts a real-time
 * clock by an offset that keeps running. {@link OrgClock.useRealTime} returns to the wall clock.
 *
 * @example
 * ```ts
 * const sf = await startSalesforceEmulator({ clock: '2024-01-01T00:00:00Z' });
 * sf.clock.now().toISOString(); // '2024-01-01T00:00:00.000Z'
 * sf.clock.advance(16 * 24 * 60 * 60 * 1000); // 16 days later: the recycle bin's retention has passed
 * sf.clock.set('2024-02-01T12:00:00.250Z');
 * sf.clock.useRealTime();
 * ```
 */
export class OrgClock {
  private fixed: number | undefined;
  private offset = 0;
  private readonly source: () => number;

  /**
   * @param start Fixes the clock at this instant; absent, the clock runs in real time.
   * @param source The real-time source (default `Date.now`).
   */
  constructor(start?: ClockInput, source: () => number = Date.now) {
    this.source = source;
    if (start !== undefined) this.set(start);
  }

  /** The current time of the org. */
  now(): Date {
    return new Date(this.millis());
  }

  /** The current time of the org in epoch milliseconds. */
  millis(): number {
    return this.fixed ?? this.source() + this.offset;
  }

  /** True while the clock is fixed (set), false while it runs in real time (possibly shifted by `advance`). */
  get isFixed(): boolean {
    return this.fixed !== undefined;
  }

  /** Fixes the clock at an instant (a `Date` or an ISO 8601 string with a zone). It stays there until moved. */
  set(date: ClockInput): void {
    this.fixed = clockMillis(date);
  }

  /** Moves the clock by `ms` milliseconds (negative moves it back): a fixed clock stays fixed at the new instant. */
  advance(ms: number): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) {
      throw new OrgError('INVALID_ARGUMENT', `clock.advance takes a finite number of milliseconds; got ${String(ms)}`);
    }
    if (this.fixed !== undefined) this.fixed += ms;
    else this.offset += ms;
  }

  /** Returns to the wall clock (no fixed instant, no offset). */
  useRealTime(): void {
    this.fixed = undefined;
    this.offset = 0;
  }

  /** The state the admin route reports: `{ now, fixed }`. */
  toJSON(): { now: string; fixed: boolean } {
    return { now: this.now().toISOString(), fixed: this.isFixed };
  }
}

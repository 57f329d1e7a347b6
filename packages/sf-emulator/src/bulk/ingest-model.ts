// The server model of Bulk ingest: internal batches that take a drawn time on a pool of workers shared by the whole
// org, as Salesforce processes an org's batches; off unless `serverModel` is given.
import { seededRandom } from '../faults.js';

/**
 * The server model: each internal batch takes a time drawn from `batchMs` (uniformly, from a seeded generator)
 * before its rows are applied, and at most `concurrency` batches of the whole org are in that state at once
 * (the others queue in order), as Salesforce processes an org's batches on a pool of workers.
 */
export interface IngestServerModel {
  /** Milliseconds one 10,000-row internal batch takes: a fixed time or a range. */
  batchMs: number | { min: number; max: number };
  /** Batches processed at the same time across every job of the org. Default 10. */
  concurrency?: number;
}

/** A first-come first-served pool of `size` slots. */
export class Slots {
  private free: number;
  private readonly waiting: Array<(granted: boolean) => void> = [];
  /** Most slots taken at once so far. */
  peak = 0;

  constructor(readonly size: number) {
    this.free = size;
  }

  /**
   * Resolves true with a slot taken, or false when `cancel` (added to, removed once settled) is called first:
   * an aborted job's queued batches give their turn up.
   */
  async acquire(cancel: Set<() => void>): Promise<boolean> {
    if (this.free > 0) this.free--;
    else {
      const granted = await new Promise<boolean>((resolve) => {
        const give = (value: boolean) => {
          cancel.delete(stop);
          resolve(value);
        };
        const stop = () => {
          const at = this.waiting.indexOf(give);
          if (at !== -1) this.waiting.splice(at, 1);
          give(false);
        };
        cancel.add(stop);
        this.waiting.push(give);
      });
      if (!granted) return false;
    }
    this.peak = Math.max(this.peak, this.size - this.free);
    return true;
  }

  release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter (free stays as it is).
    if (next) next(true);
    else this.free++;
  }
}

/** A validated server model: the batch time range, the org's pool and the seeded generator of batch times. */
export interface ServerModel {
  min: number;
  max: number;
  slots: Slots;
  random: () => number;
}

/** Checks a server model's settings (RangeError naming the bad one) and makes its pool and generator. */
export function serverModel(model: IngestServerModel, seed: number): ServerModel {
  const range = typeof model.batchMs === 'number' ? { min: model.batchMs, max: model.batchMs } : model.batchMs;
  const concurrency = model.concurrency ?? 10;
  if (!(range.min >= 0 && range.max >= range.min && Number.isFinite(range.max))) {
    throw new RangeError(
      `serverModel.batchMs must be a number of milliseconds or { min, max } with 0 <= min <= max, got ${JSON.stringify(model.batchMs)}`,
    );
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`serverModel.concurrency must be a whole number of 1 or more, got ${concurrency}`);
  }
  return { ...range, slots: new Slots(concurrency), random: seededRandom(seed * 104_729 + 11) };
}

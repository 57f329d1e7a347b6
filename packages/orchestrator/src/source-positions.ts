import type { CsvFormat, CsvPosition, CsvStart } from '@kicksaw/csv';
import type { RowSet } from './rows.js';

/** A position is kept after every this many rows: a pass that resumes re-reads fewer rows than this. */
export const POSITION_EVERY = 4096;

/** {@link SourcePositions} as JSON, in the parked state and in job checkpoints: `[offset, row, line]` each. */
export interface SavedPositions {
  format: CsvFormat;
  positions: Array<[number, number, number]>;
}

/**
 * Points of the source file where a reading pass can begin (byte offset, rows before, line), kept every
 * {@link POSITION_EVERY} rows while the file is read, with the file's CSV format. A later pass (after a
 * deadline, a broken S3 stream or a killed invocation) starts at the last point before the first row not
 * yet covered, with an S3 ranged GET, instead of reading the file from its start: every row before that
 * point is covered (settled, or in a job being resumed), and the rows after it are still checked one by one.
 * Only UTF-8 files have positions (see `offsets` in `@kicksaw/csv`); others are read from the start.
 */
export class SourcePositions {
  #format: CsvFormat | undefined;
  readonly #byRow = new Map<number, CsvPosition>();
  #unsaved: CsvPosition[] = [];

  constructor(saved?: SavedPositions) {
    if (saved) this.merge(saved);
  }

  /** Adds what an earlier invocation saved (its parked state, or a job checkpoint). */
  merge(saved: SavedPositions | undefined): void {
    if (!saved) return;
    this.#format ??= saved.format;
    for (const [offset, row, line] of saved.positions) {
      if (!this.#byRow.has(row)) this.#byRow.set(row, { offset, row, line });
    }
  }

  setFormat(format: CsvFormat): void {
    this.#format ??= format;
  }

  /** Keeps the point just past a row read (every {@link POSITION_EVERY} rows). */
  add(position: CsvPosition): void {
    if (this.#byRow.has(position.row)) return;
    this.#byRow.set(position.row, position);
    this.#unsaved.push(position);
  }

  /** Where to start a pass: the last point before the first row that `covered` lacks, if there is one. */
  startFor(covered: RowSet): CsvStart | undefined {
    if (this.#format === undefined) return undefined;
    const first = covered.firstMissing();
    let best: CsvPosition | undefined;
    for (const position of this.#byRow.values()) {
      if (position.row < first && (best === undefined || position.row > best.row)) best = position;
    }
    return best === undefined ? undefined : { format: this.#format, position: best };
  }

  /** The points added since the last call (for a job checkpoint), with the format. */
  takeUnsaved(): SavedPositions | undefined {
    if (this.#format === undefined || this.#unsaved.length === 0) return undefined;
    const saved = { format: this.#format, positions: this.#unsaved.map(toTuple) };
    this.#unsaved = [];
    return saved;
  }

  /** Every point, for the parked state. */
  toJSON(): SavedPositions | undefined {
    if (this.#format === undefined) return undefined;
    return { format: this.#format, positions: [...this.#byRow.values()].map(toTuple) };
  }
}

function toTuple(position: CsvPosition): [number, number, number] {
  return [position.offset, position.row, position.line];
}

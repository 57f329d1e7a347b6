import type { Output } from './output.js';
import { count } from './output.js';

/** The counts a progress line shows; every field is optional. */
export interface ProgressCounts {
  rowsRead?: number;
  rowsSent?: number;
  rowsSucceeded?: number;
  rowsFailed?: number;
  jobsOpen?: number;
}

/**
 * Progress of long work on stderr. On a terminal: one line redrawn in place (rows read, sent, succeeded,
 * failed, jobs open, rate, elapsed), at most every `redrawMs`. Not on a terminal: plain log lines only
 * (`line()`, and the counts every `plainEveryMs`), never carriage returns or escape codes. Nothing with --quiet.
 */
export class Progress {
  private readonly started = Date.now();
  private last: ProgressCounts = {};
  private lastDraw = 0;
  private drawn = false;
  private readonly live: boolean;
  private lastPlain = Date.now();

  constructor(
    private readonly out: Output,
    private readonly label: string,
    private readonly redrawMs = 100,
    /** Off a terminal: a plain line with the counts at most this often. */
    private readonly plainEveryMs = 10_000,
  ) {
    this.live = out.stderrIsTty && !out.quiet;
  }

  /** New counts: redraws the terminal line (the first update and then at most every `redrawMs`). */
  update(counts: ProgressCounts): void {
    this.last = { ...this.last, ...counts };
    const now = Date.now();
    if (!this.live) {
      if (!this.out.quiet && now - this.lastPlain >= this.plainEveryMs) {
        this.lastPlain = now;
        this.out.io.stderr.write(`${this.text(now)}\n`);
      }
      return;
    }
    if (this.drawn && now - this.lastDraw < this.redrawMs) return;
    this.draw(now);
  }

  /** A plain log line: on a terminal it is printed above the live line. */
  line(message: string): void {
    if (this.out.quiet) return;
    if (this.live && this.drawn) this.out.io.stderr.write('\r\x1b[2K');
    this.out.io.stderr.write(`${message}\n`);
    if (this.live && this.drawn) this.draw(Date.now());
  }

  /** Draws the final counts and ends the live line. */
  done(): void {
    if (!this.live) return;
    this.draw(Date.now());
    this.out.io.stderr.write('\n');
    this.drawn = false;
  }

  /** The current counts as text, e.g. `1,200 read · 1,000 sent · 990 succeeded · 10 failed · 1 job open · 800 rows/s · 0:02`. */
  text(now = Date.now()): string {
    const c = this.last;
    const seconds = Math.max(0.001, (now - this.started) / 1000);
    const parts: string[] = [];
    if (c.rowsRead !== undefined) parts.push(`${count(c.rowsRead)} read`);
    if (c.rowsSent !== undefined) parts.push(`${count(c.rowsSent)} sent`);
    if (c.rowsSucceeded !== undefined) parts.push(`${count(c.rowsSucceeded)} succeeded`);
    if (c.rowsFailed !== undefined) parts.push(`${count(c.rowsFailed)} failed`);
    if (c.jobsOpen !== undefined) parts.push(`${c.jobsOpen} job${c.jobsOpen === 1 ? '' : 's'} open`);
    const done = c.rowsSucceeded !== undefined ? (c.rowsSucceeded ?? 0) + (c.rowsFailed ?? 0) : (c.rowsRead ?? 0);
    parts.push(`${count(Math.round(done / seconds))} rows/s`);
    parts.push(elapsed(seconds));
    return `${this.label}: ${parts.join(' · ')}`;
  }

  private draw(now: number): void {
    this.lastDraw = now;
    this.drawn = true;
    const columns = this.out.io.stderr.columns || 120; // a pseudo-terminal without a size reports 0
    this.out.io.stderr.write(`\r\x1b[2K${this.text(now).slice(0, Math.max(20, columns - 1))}`);
  }
}

function elapsed(seconds: number): string {
  const s = Math.floor(seconds);
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m % 60)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

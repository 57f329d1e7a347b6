import { styleText } from 'node:util';
import type { LogContext, Logger } from '@kicksaw/core';
import { redactString } from '@kicksaw/core';

/** The streams and environment a run of `kicksaw` uses (the process's by default). */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
}

/** The global flags every command honours. */
export interface GlobalFlags {
  org?: string;
  warehouse?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

type Style = Parameters<typeof styleText>[0];

/**
 * Where a command's words go: the result on stdout (one JSON document with `--json`), everything else
 * (notes, warnings, progress) on stderr. Colours come from `node:util` `styleText`, which leaves them out
 * when the stream is not a terminal or NO_COLOR / FORCE_COLOR say so.
 */
export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  private resultWritten = false;

  constructor(
    readonly io: CliIo,
    flags: GlobalFlags,
  ) {
    this.json = flags.json === true;
    this.quiet = flags.quiet === true;
    this.verbose = flags.verbose === true && !this.quiet;
  }

  /** True when stderr is a terminal: the only case where a live progress line is drawn. */
  get stderrIsTty(): boolean {
    return this.io.stderr.isTTY === true;
  }

  style(format: Style, text: string, stream: 'stdout' | 'stderr' = 'stderr'): string {
    const target = stream === 'stdout' ? this.io.stdout : this.io.stderr;
    return styleText(format, text, { stream: target as NodeJS.WriteStream });
  }

  /** A note for the person at the terminal (stderr), unless --quiet. */
  note(message: string): void {
    if (!this.quiet) this.io.stderr.write(`${message}\n`);
  }

  /** A warning (stderr), shown even with --quiet. */
  warn(message: string): void {
    this.io.stderr.write(`${this.style('yellow', 'warning:')} ${message}\n`);
  }

  /** A debug line (stderr), only with --verbose. */
  debug(message: string): void {
    if (this.verbose) this.io.stderr.write(`${this.style('dim', message)}\n`);
  }

  /** Raw text to stdout (streamed results such as query rows). */
  write(text: string): boolean {
    return this.io.stdout.write(text);
  }

  /**
   * The command's result: the JSON document with `--json`, else the human text (nothing when empty).
   * Written once per run.
   */
  result(document: Record<string, unknown>, human: () => string): void {
    if (this.resultWritten) return;
    this.resultWritten = true;
    if (this.json) {
      this.io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
      return;
    }
    const text = human();
    if (text) this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** The library logger: warnings and errors as notes, debug and info only with --verbose; secrets masked. */
  logger(onContext?: (message: string, context: LogContext | undefined) => void): Logger {
    const line = (level: string, message: string, context?: LogContext) => {
      const extra = context && Object.keys(context).length > 0 ? ` ${JSON.stringify(context)}` : '';
      return redactString(`${level} ${message}${extra}`);
    };
    return {
      debug: (message, context) => {
        onContext?.(message, context);
        if (this.verbose) this.io.stderr.write(`${this.style('dim', line('debug', message, context))}\n`);
      },
      info: (message, context) => {
        onContext?.(message, context);
        if (this.verbose) this.io.stderr.write(`${line('info', message, context)}\n`);
      },
      warn: (message, context) => {
        onContext?.(message, context);
        if (!this.quiet) this.io.stderr.write(`${this.style('yellow', line('warn', message, context))}\n`);
      },
      error: (message, context) => {
        onContext?.(message, context);
        this.io.stderr.write(`${this.style('red', line('error', message, context))}\n`);
      },
    };
  }
}

/** Formats a whole number with thousands separators. */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Renders rows as an aligned text table. */
export function table(headers: string[], rows: Array<Array<string | number | boolean | null | undefined>>): string {
  const text = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((row) => (row[i] ?? '').length)));
  const render = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [render(headers), render(widths.map((w) => '-'.repeat(w))), ...text.map(render)].join('\n');
}

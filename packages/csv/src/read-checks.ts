/** The checks of {@link readCsv}: settings, a start position, the header, bytes that cannot be text, the delimiter. */
import { ConfigError, InputError } from '@kicksaw/core';
import { clip } from './engine.js';
import type { CsvProblem, CsvStart } from './read-options.js';

const CANDIDATES = [',', ';', '\t', '|'];

export function checkStart(start: CsvStart): void {
  const { format, position } = start;
  const bad = (why: string) => new ConfigError(why, { setting: 'start' });
  if (format?.encoding !== 'utf-8') {
    throw bad(
      `can resume only a UTF-8 file (offsets count source bytes), got encoding ${JSON.stringify(format?.encoding)}`,
    );
  }
  if (!Array.isArray(format.header) || format.header.length === 0) throw bad('needs the header of the file');
  if (!Array.isArray(format.lineBreaks) || format.lineBreaks.length === 0)
    throw bad('needs the line breaks of the file (format.lineBreaks)');
  for (const key of ['offset', 'row', 'line'] as const) {
    const value = position?.[key];
    if (!Number.isInteger(value) || (value as number) < (key === 'line' ? 1 : 0)) {
      throw bad(
        `position.${key} must be a whole number${key === 'line' ? ' of at least 1' : ' of at least 0'}, got ${String(value)}`,
      );
    }
  }
}

export function checkHeader(fields: string[], line: number, source: string | undefined): string[] {
  const names = fields.map((field, i) => (i === 0 ? field.replace(/^\uFEFF/, '') : field).trim());
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    if (name === '') {
      throw new InputError(`Header column ${i + 1} has no name: every column needs a unique name`, {
        code: 'CSV_BAD_HEADER',
        source,
        line,
        column: i + 1,
      });
    }
    if (name === '__proto__') {
      throw new InputError('Header has a column named "__proto__", which cannot be a record key: rename it', {
        code: 'CSV_BAD_HEADER',
        source,
        line,
        column: i + 1,
        field: name,
      });
    }
    const before = seen.get(name);
    if (before !== undefined) {
      throw new InputError(`Header has a duplicate column "${name}" (columns ${before + 1} and ${i + 1})`, {
        code: 'CSV_BAD_HEADER',
        source,
        line,
        column: i + 1,
        field: name,
      });
    }
    seen.set(name, i);
  });
  return names;
}

export function encodingProblem(fields: string[], encoding: string, raw: () => string): CsvProblem | undefined {
  if (!fields.some((field) => field.includes('\uFFFD'))) return undefined;
  const fix =
    encoding === 'utf-8'
      ? "; declare the file's encoding, e.g. { encoding: 'windows-1252' }"
      : ' (a broken character: a lone surrogate or a cut-off byte)';
  return {
    code: 'CSV_ENCODING',
    message: `Row holds bytes that are not valid ${encoding.toUpperCase()} (shown as \uFFFD)${fix}`,
    raw: raw(),
  };
}

export function nulProblem(fields: string[], raw: () => string): CsvProblem | undefined {
  if (!fields.some((field) => field.includes('\u0000'))) return undefined;
  return {
    code: 'CSV_BINARY',
    message: 'Row holds NUL bytes (binary data)',
    raw: clip(raw().replaceAll('\u0000', '\\0')),
  };
}

/** Picks the delimiter from the header line: the most frequent of `,` `;` tab `|` outside quotes, else `,`. */
export function detectDelimiter(text: Buffer): string {
  const counts = [0, 0, 0, 0];
  let quoted = false;
  let content = false;
  const limit = text.length;
  for (let i = 0; i < limit; i++) {
    const c = text[i];
    if (c === 0x22) {
      quoted = !quoted;
      content = true;
    } else if (!quoted) {
      if (c === 0x0a || c === 0x0d) {
        if (content) break;
        continue;
      }
      if (c !== 0x20) content = true;
      const k = c === 0x2c ? 0 : c === 0x3b ? 1 : c === 0x09 ? 2 : c === 0x7c ? 3 : -1;
      if (k !== -1) counts[k] = (counts[k] as number) + 1;
    }
  }
  let best = 0;
  for (let i = 1; i < counts.length; i++) if ((counts[i] as number) > (counts[best] as number)) best = i;
  return CANDIDATES[best] as string;
}

export function positive(value: number | undefined, fallback: number, setting: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) {
    throw new ConfigError(`must be a whole number of bytes of at least 1, got ${String(value)}`, { setting });
  }
  return value;
}

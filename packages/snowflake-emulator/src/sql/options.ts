// Options as statements write them (`KEY = value`, `FILE_FORMAT = (TYPE = CSV ...)`, `NULL_IF = ('', 'NULL')`)
// and reading one back: for stages, file formats and COPY INTO.
import { isOp, type Token } from './tokens.js';

/** File format options as Snowflake spells them (upper-case keys). */
export type FormatOptions = Record<string, string | string[]>;

/** Reads `KEY = value` options (values: words, strings, numbers, `( ... )` groups, `('a', 'b')` lists). */
export function readOptions(
  tokens: Token[],
  at: number,
  stopWords: string[] = [],
): { options: FormatOptions; next: number } {
  const options: FormatOptions = {};
  let i = at;
  while (i < tokens.length) {
    const key = tokens[i] as Token;
    if (key.kind !== 'word' || stopWords.includes(key.value)) break;
    if (!isOp(tokens[i + 1], '=')) break;
    const value = tokens[i + 2];
    if (!value) break;
    if (isOp(value, '(')) {
      // a nested group (FILE_FORMAT = (TYPE = CSV ...)) or a list (NULL_IF = ('', 'NULL'))
      let depth = 0;
      let end = i + 2;
      for (; end < tokens.length; end++) {
        if (isOp(tokens[end], '(')) depth++;
        else if (isOp(tokens[end], ')')) {
          depth--;
          if (depth === 0) break;
        }
      }
      const inner = tokens.slice(i + 3, end);
      if (inner.length === 0 || inner.every((t) => t.kind === 'string' || isOp(t, ','))) {
        options[key.value] = inner.filter((t) => t.kind === 'string').map((t) => t.value);
      } else {
        const nested = readOptions(inner, 0).options;
        for (const [k, v] of Object.entries(nested)) options[`${key.value}.${k}`] = v;
      }
      i = end + 1;
    } else {
      options[key.value] = value.kind === 'word' ? value.value : value.value;
      i += 3;
    }
    if (isOp(tokens[i], ',')) i++;
  }
  return { options, next: i };
}

/** The nested group `FILE_FORMAT = (...)` of options as its own option map. */
export function nested(options: FormatOptions, prefix: string): FormatOptions {
  const out: FormatOptions = {};
  for (const [key, value] of Object.entries(options)) {
    if (key.startsWith(`${prefix}.`)) out[key.slice(prefix.length + 1)] = value;
  }
  return out;
}

/** An option's text value (undefined for a list or when absent). */
export function option(options: FormatOptions, key: string): string | undefined {
  const value = options[key];
  return typeof value === 'string' ? value : undefined;
}

/** A boolean option (`TRUE`, `YES`, `1`, `ON`), `fallback` when absent. */
export function bool(options: FormatOptions, key: string, fallback: boolean): boolean {
  const value = option(options, key);
  if (value === undefined) return fallback;
  return ['TRUE', 'YES', '1', 'ON'].includes(value.toUpperCase());
}

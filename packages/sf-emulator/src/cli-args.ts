/** Argument parsing of the `kicksaw-sf-emulator` command that tests can import (cli.ts runs on import). */
import type { EmulatorOptions } from './start.js';

/** `--generate Account=1000:Phone,Industry` flags to the `generate` option (insertion order kept). */
export function parseGenerate(flags: string[]): EmulatorOptions['generate'] {
  if (flags.length === 0) return undefined;
  const out: NonNullable<EmulatorOptions['generate']> = {};
  for (const flag of flags) {
    const match = /^([A-Za-z][A-Za-z0-9_]*)=([0-9_]+)(?::([A-Za-z0-9_,]+))?$/.exec(flag.trim());
    if (!match) {
      throw new Error(`--generate takes Object=count or Object=count:Field,Field (e.g. Account=1000000), got ${flag}`);
    }
    const count = Number(match[2]!.replace(/_/g, ''));
    const fields = match[3]?.split(',').filter((field) => field !== '');
    out[match[1]!] = fields ? { count, fields } : count;
  }
  return out;
}

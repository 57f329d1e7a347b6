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

/**
 * `--batch-time 200-2000` (milliseconds, or one number) and `--batch-concurrency 8` to the `serverModel` option;
 * undefined without `--batch-time`.
 */
export function parseServerModel(
  batchTime: string | undefined,
  concurrency: string | undefined,
): EmulatorOptions['serverModel'] {
  if (batchTime === undefined) {
    if (concurrency !== undefined) throw new Error('--batch-concurrency needs --batch-time (the time of one batch)');
    return undefined;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?)\s*)?$/.exec(batchTime);
  const min = Number(match?.[1]);
  const max = match?.[2] === undefined ? min : Number(match[2]);
  if (!match || max < min) {
    throw new Error(
      `--batch-time takes milliseconds, one number or a range MIN-MAX (e.g. 2000-8000), got ${batchTime}`,
    );
  }
  const model: NonNullable<EmulatorOptions['serverModel']> = { batchMs: min === max ? min : { min, max } };
  if (concurrency !== undefined) {
    const value = Number(concurrency);
    if (!Number.isInteger(value) || value < 1) {
      throw new Error(`--batch-concurrency must be a whole number of 1 or more, got ${concurrency}`);
    }
    model.concurrency = value;
  }
  return model;
}

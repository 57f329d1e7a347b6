import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import type { CommandContext } from '../context.js';
import { CliError } from '../errors.js';

/**
 * Reads a settings file a command takes (`--mapping`, `--types`): TOML when it ends in `.toml`, JSON otherwise.
 * A file that cannot be read is a `<code>_UNREADABLE` error and one that does not parse a `<code>_INVALID` one,
 * each naming the file; checking the shape of the value is the caller's.
 */
export async function readSettingsFile(
  ctx: CommandContext,
  file: string,
  kind: { label: string; code: string },
): Promise<{ path: string; value: unknown }> {
  const path = resolve(ctx.io.cwd, file);
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`Cannot read the ${kind.label} ${path} (${error.code})`, { code: `${kind.code}_UNREADABLE` });
  });
  try {
    return { path, value: extname(path) === '.toml' ? (await import('smol-toml')).parse(text) : JSON.parse(text) };
  } catch (error) {
    throw new CliError(`The ${kind.label} ${path} does not parse: ${(error as Error).message.split('\n')[0]}`, {
      code: `${kind.code}_INVALID`,
    });
  }
}

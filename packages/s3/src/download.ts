import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { InputError } from '@kicksaw/core';
import { getObjectStream } from './read.js';

/**
 * The local path an object's key maps to under `directory`, refusing keys that would land
 * outside it (`../`, absolute keys) or that name a folder rather than a file.
 *
 * @throws InputError (code `S3_KEY_UNSAFE`) for such keys.
 * @example
 * ```ts
 * localPathForKey('/tmp/in', 'a/b.csv'); // '/tmp/in/a/b.csv'
 * localPathForKey('/tmp/in', '../etc/passwd'); // throws InputError
 * ```
 */
export function localPathForKey(directory: string, key: string): string {
  const refuse = (why: string) =>
    new InputError(`Refusing to download key "${key}": ${why}`, { code: 'S3_KEY_UNSAFE', source: directory });
  if (key === '' || key.endsWith('/')) throw refuse('it names a folder, not a file');
  if (key.includes('\0')) throw refuse('it contains a NUL character');
  if (key.startsWith('/') || key.startsWith('\\') || isAbsolute(key) || /^[a-zA-Z]:/.test(key)) {
    throw refuse('it is an absolute path');
  }
  const segments = key.split(/[/\\]/);
  if (segments.some((segment) => segment === '..')) throw refuse('it climbs out of the download folder with ".."');
  const root = resolve(directory);
  const path = resolve(root, ...segments.filter((segment) => segment !== '' && segment !== '.'));
  const inside = relative(root, path);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) {
    throw refuse('it resolves outside the download folder');
  }
  return path;
}

/**
 * Downloads an object to a file under `directory`, the path mirroring the key (`a/b.csv` ->
 * `<directory>/a/b.csv`). Streams; writes to a temporary `.part` file and renames
 * it when complete, so a failed download never leaves a truncated file behind.
 *
 * @throws InputError (code `S3_KEY_UNSAFE`) for keys that would escape `directory`.
 * @throws S3ObjectNotFoundError when there is no such object.
 * @example
 * ```ts
 * const path = await downloadToFile({ client, bucket: 'in', key: 'daily/contacts.csv', directory: '/tmp' });
 * // '/tmp/daily/contacts.csv'
 * ```
 */
export async function downloadToFile(options: {
  client: S3Client;
  bucket: string;
  key: string;
  directory: string;
  versionId?: string;
}): Promise<string> {
  const path = localPathForKey(options.directory, options.key);
  const { body } = await getObjectStream(options);
  await mkdir(resolve(path, '..'), { recursive: true });
  const partial = `${path}.${process.pid}.${Date.now()}.part`;
  try {
    await pipeline(body, createWriteStream(partial));
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return path;
}

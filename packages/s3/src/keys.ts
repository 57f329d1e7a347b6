import { timestamp as coreTimestamp, dateFolder } from '@kicksaw/core';

/**
 * The file name of a key: what follows the last `/` (`get_filename_from_s3_key` in the
 * Python kicksaw-integration-utils).
 *
 * @example
 * ```ts
 * fileNameOf('a/b/contacts.csv'); // 'contacts.csv'
 * ```
 */
export function fileNameOf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/**
 * The folder of a key: what comes before the last `/`, or `''` at the top level (`get_prefix_from_s3_key`
 * in the Python kicksaw-integration-utils).
 *
 * @example
 * ```ts
 * prefixOf('a/b/contacts.csv'); // 'a/b'
 * prefixOf('contacts.csv'); // ''
 * ```
 */
export function prefixOf(key: string): string {
  const at = key.lastIndexOf('/');
  return at === -1 ? '' : key.slice(0, at);
}

/** Splits a file name into name and extension (with its dot), as Python's `os.path.splitext`. */
function splitExtension(fileName: string): [string, string] {
  const dot = fileName.lastIndexOf('.');
  // A leading dot (".env") or no dot means no extension.
  if (dot <= 0 || fileName.slice(0, dot).replace(/\./g, '') === '') return [fileName, ''];
  return [fileName.slice(0, dot), fileName.slice(dot)];
}

function stampOf(value: string | Date | undefined): string {
  if (value === undefined) return coreTimestamp();
  return typeof value === 'string' ? value : coreTimestamp(value);
}

function joinKey(...parts: Array<string | undefined>): string {
  return parts
    .map((part) => (part ?? '').replace(/^\/+|\/+$/g, ''))
    .filter((part) => part !== '')
    .join('/');
}

/** Options of {@link timestampKey}. */
export interface TimestampKeyOptions {
  /** The stamp: a string used as is, or a Date rendered with core's `timestamp()`. Default: now. */
  timestamp?: string | Date;
  /** Keep the key's folder. Default `false`: return the bare file name. */
  keepFolder?: boolean;
}

/**
 * Inserts a timestamp before a key's extension: `in/contacts.csv` -> `contacts-20220705T143012Z.csv`
 * (`timestamp_s3_key` in the Python kicksaw-integration-utils).
 *
 * @example
 * ```ts
 * timestampKey('in/contacts.csv', { timestamp: '20220705T143012Z', keepFolder: true });
 * // 'in/contacts-20220705T143012Z.csv'
 * ```
 */
export function timestampKey(key: string, options: TimestampKeyOptions = {}): string {
  const [name, extension] = splitExtension(fileNameOf(key));
  const stamped = `${name}-${stampOf(options.timestamp)}${extension}`;
  return options.keepFolder ? joinKey(prefixOf(key), stamped) : stamped;
}

/** Options of {@link archiveKeyFor}. */
export interface ArchiveKeyOptions {
  /** The archive folder. Default `archive`. */
  folder?: string;
  /**
   * Replace the key's folder with the archive folder (`in/a.csv` -> `archive/a.csv`). With `false`
   * the folder is kept under it (`in/a.csv` -> `archive/in/a.csv`). Default `true`.
   */
  replacePrefix?: boolean;
  /** A folder added after the (kept or replaced) prefix: `archive/in/<nestedPrefix>/a.csv`. */
  nestedPrefix?: string;
  /**
   * The stamp put before the extension: a string, a Date (rendered with core's `timestamp()`), or
   * `false` to keep the file name as it is (as `build_archive_s3_key` of the Python
   * kicksaw-integration-utils did). Default: now.
   */
  timestamp?: string | Date | false;
}

/**
 * Where to archive a processed object (`build_archive_s3_key` in the Python kicksaw-integration-utils,
 * plus a timestamp so that two runs never overwrite each other's archive).
 *
 * @example
 * ```ts
 * archiveKeyFor('in/contacts.csv', { timestamp: '20220705T143012Z' }); // 'archive/contacts-20220705T143012Z.csv'
 * archiveKeyFor('a/b/c/file.csv', { replacePrefix: false, nestedPrefix: 'd', timestamp: false });
 * // 'archive/a/b/c/d/file.csv'
 * ```
 */
export function archiveKeyFor(key: string, options: ArchiveKeyOptions = {}): string {
  const { folder = 'archive', replacePrefix = true, nestedPrefix, timestamp } = options;
  const name = timestamp === false ? fileNameOf(key) : timestampKey(key, { timestamp });
  return joinKey(folder, replacePrefix ? '' : prefixOf(key), nestedPrefix, name);
}

/**
 * Puts a `yyyy/MM/dd` (UTC) folder between a key's folder and its file name, to spread objects by day.
 *
 * @example
 * ```ts
 * dateFolderKey('archive/contacts.csv', new Date('2022-07-05T10:00:00Z')); // 'archive/2022/07/05/contacts.csv'
 * ```
 */
export function dateFolderKey(key: string, date: Date = new Date()): string {
  return joinKey(prefixOf(key), dateFolder(date), fileNameOf(key));
}

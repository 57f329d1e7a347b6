import { describe, expect, it } from 'vitest';
import {
  archiveKeyFor,
  consoleUrl,
  dateFolderKey,
  fileNameOf,
  localPathForKey,
  partSizeFor,
  planCopyParts,
  prefixOf,
  timestampKey,
} from '../src/index.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('fileNameOf / prefixOf', () => {
  it.each([
    ['origin/a_file.csv', 'a_file.csv', 'origin'],
    ['another_file.csv', 'another_file.csv', ''],
    ['a/b/c/file.csv', 'file.csv', 'a/b/c'],
    ['a/b/', '', 'a/b'],
  ])('%s', (key, name, prefix) => {
    expect(fileNameOf(key)).toBe(name);
    expect(prefixOf(key)).toBe(prefix);
  });
});

describe('timestampKey', () => {
  const ts = '20220705T143012Z';
  it('stamps before the extension and drops the folder by default', () => {
    expect(timestampKey('origin/a_file.csv', { timestamp: ts })).toBe(`a_file-${ts}.csv`);
    expect(timestampKey('origin/a_file.csv', { timestamp: ts, keepFolder: true })).toBe(`origin/a_file-${ts}.csv`);
  });
  it('handles no extension, double extensions and dot files like os.path.splitext', () => {
    expect(timestampKey('in/README', { timestamp: ts })).toBe(`README-${ts}`);
    expect(timestampKey('in/data.csv.gz', { timestamp: ts })).toBe(`data.csv-${ts}.gz`);
    expect(timestampKey('in/.env', { timestamp: ts })).toBe(`.env-${ts}`);
  });
  it('renders a Date with core timestamp(), and defaults to now', () => {
    expect(timestampKey('a.csv', { timestamp: new Date('2022-07-05T14:30:12Z') })).toBe(`a-${ts}.csv`);
    expect(timestampKey('a.csv')).toMatch(/^a-\d{8}T\d{6}Z\.csv$/);
  });
});

describe('archiveKeyFor (build_archive_s3_key of the Python kicksaw-integration-utils, plus a stamp)', () => {
  it.each([
    ['origin/a_file.csv', {}, 'archive/a_file.csv'],
    ['a/b/c/file.csv', { replacePrefix: false }, 'archive/a/b/c/file.csv'],
    ['a/b/c/file.csv', { replacePrefix: false, nestedPrefix: 'd' }, 'archive/a/b/c/d/file.csv'],
    ['a/b/c/file.csv', { nestedPrefix: 'd' }, 'archive/d/file.csv'],
    ['top.csv', { replacePrefix: false }, 'archive/top.csv'],
    ['in/a.csv', { folder: 'done/', nestedPrefix: '/2022/' }, 'done/2022/a.csv'],
  ])('%s %o -> %s', (key, options, expected) => {
    expect(archiveKeyFor(key, { ...options, timestamp: false })).toBe(expected);
  });
  it('stamps the name by default so two runs never collide', () => {
    expect(archiveKeyFor('in/contacts.csv', { timestamp: '20220705T143012Z' })).toBe(
      'archive/contacts-20220705T143012Z.csv',
    );
    expect(archiveKeyFor('in/contacts.csv')).toMatch(/^archive\/contacts-\d{8}T\d{6}Z\.csv$/);
  });
});

describe('dateFolderKey', () => {
  it('puts yyyy/MM/dd (UTC) before the file name', () => {
    const date = new Date('2022-07-05T23:30:00-05:00');
    expect(dateFolderKey('archive/contacts.csv', date)).toBe('archive/2022/07/06/contacts.csv');
    expect(dateFolderKey('contacts.csv', date)).toBe('2022/07/06/contacts.csv');
  });
});

describe('consoleUrl', () => {
  it('links the object page with the key encoded', () => {
    expect(consoleUrl({ bucket: 'in', key: 'daily/a b+c.csv', region: 'us-east-1' })).toBe(
      'https://us-east-1.console.aws.amazon.com/s3/object/in?region=us-east-1&bucketType=general&prefix=daily%2Fa%20b%2Bc.csv',
    );
    expect(consoleUrl({ bucket: 'in', key: 'a', region: 'cn-north-1' })).toMatch(/^https:\/\/console\.amazonaws\.cn\//);
  });
});

describe('localPathForKey', () => {
  it('mirrors the key under the folder', () => {
    expect(localPathForKey('/tmp/dl', 'a/b/c.csv')).toBe('/tmp/dl/a/b/c.csv');
    expect(localPathForKey('/tmp/dl', 'a//./b.csv')).toBe('/tmp/dl/a/b.csv');
    expect(localPathForKey('/tmp/dl', 'a..b/..c.csv')).toBe('/tmp/dl/a..b/..c.csv');
  });
  it.each(['../x', 'a/../../x', 'a\\..\\..\\x', '/etc/passwd', 'C:/x', '..', 'a/', '', 'a\0b'])('refuses %j', (key) => {
    expect(() => localPathForKey('/tmp/dl', key)).toThrow(/Refusing to download key/);
  });
});

describe('part plans', () => {
  it('partSizeFor: 5 MiB unless 10,000 parts would not hold the body', () => {
    expect(partSizeFor(undefined)).toBe(5 * MiB);
    expect(partSizeFor(50 * 1000 * 1000)).toBe(5 * MiB);
    expect(partSizeFor(48 * GiB)).toBe(5 * MiB);
    expect(partSizeFor(100 * GiB)).toBe(Math.ceil((100 * GiB) / 10_000));
    expect(Math.ceil((5 * 1024 * GiB) / partSizeFor(5 * 1024 * GiB))).toBeLessThanOrEqual(10_000);
  });

  it('planCopyParts covers every byte once, in order, within S3 part limits', () => {
    for (const size of [5 * GiB + 1, 12 * GiB, 5 * 1024 * GiB, 7 * MiB + 3]) {
      const parts = planCopyParts(size, size < GiB ? 5 * MiB : undefined);
      expect(parts.length).toBeLessThanOrEqual(10_000);
      let expectedStart = 0;
      parts.forEach((part, index) => {
        expect(part.partNumber).toBe(index + 1);
        expect(part.start).toBe(expectedStart);
        const length = part.end - part.start + 1;
        expect(length).toBeLessThanOrEqual(5 * GiB);
        if (index < parts.length - 1) expect(length).toBeGreaterThanOrEqual(5 * MiB);
        expectedStart = part.end + 1;
      });
      expect(expectedStart).toBe(size);
    }
    expect(planCopyParts(12 * GiB)).toHaveLength(24);
    expect(planCopyParts(5 * 1024 * GiB)).toHaveLength(10_000);
    expect(planCopyParts(7 * MiB + 3, 5 * MiB)).toEqual([
      { partNumber: 1, start: 0, end: 5 * MiB - 1 },
      { partNumber: 2, start: 5 * MiB, end: 7 * MiB + 2 },
    ]);
  });

  it('planCopyParts refuses impossible sizes', () => {
    expect(() => planCopyParts(0)).toThrow(RangeError);
    expect(() => planCopyParts(10 * MiB, MiB)).toThrow(/between 5 MiB and 5 GiB/);
  });
});

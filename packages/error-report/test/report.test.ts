import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { ConfigError, KicksawError, type RowOutcome } from '@kicksaw/core';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { createErrorReport, NO_ERROR_DETAIL } from '../src/index.js';
import { expectedDefault, fixture } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'error-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Collects what a report writes to a stream. */
function collector(): { stream: PassThrough; text: () => string; bytes: () => Buffer } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8'), bytes: () => Buffer.concat(chunks) };
}

function outcome(row: number, overrides: Partial<RowOutcome> = {}): RowOutcome {
  return {
    row,
    status: 'failed',
    id: null,
    created: false,
    errors: [{ statusCode: 'FIELD_INTEGRITY_EXCEPTION', message: `bad row ${row}`, fields: ['Name'] }],
    record: { Name: `Name ${row}`, External_Id__c: `E-${row}` },
    ...overrides,
  };
}

const parseCsv = (text: string): Array<Record<string, string>> =>
  parse(text, { columns: true, bom: true, relax_column_count: false });

describe('default layout', () => {
  it("matches the Python kicksaw-integration-utils' CSV byte for byte (Python csv, \\r\\n), two batches into one report with one header", async () => {
    const out = collector();
    const report = createErrorReport({ output: out.stream, object: fixture.object, upsertKey: fixture.upsertKey });
    for (const batch of fixture.batches) await report.writeAll(batch);
    const counts = await report.end();
    expect(out.bytes().equals(expectedDefault)).toBe(true);
    expect(out.text()).toBe(expectedDefault.toString('utf8'));
    expect(counts).toEqual({ errorLines: 5, failedRows: 4, outcomes: 6, successRows: 0 });
  });

  it('appends batches to an existing file across writers, keeping one header', async () => {
    const path = join(dir, 'nested', 'errors', 'append.csv');
    let total = 0;
    for (const batch of fixture.batches) {
      const report = createErrorReport({ output: path, append: true, object: 'Contact', upsertKey: 'External_Id__c' });
      await report.writeAll(batch);
      total += (await report.end()).errorLines;
    }
    expect(readFileSync(path).equals(expectedDefault)).toBe(true);
    expect(total).toBe(5);
    // Without append, the file is replaced.
    const again = createErrorReport({ output: path, object: 'Contact', upsertKey: 'External_Id__c' });
    await again.writeAll(fixture.batches[1] ?? []);
    await again.end();
    const lines = parseCsv(readFileSync(path, 'utf8'));
    expect(lines.map((line) => line.code)).toEqual(['DUPLICATE_VALUE', 'UNABLE_TO_LOCK_ROW']);
  });

  it('refuses to append under a different header, and takes header: false appends as they are', async () => {
    const path = join(dir, 'mixed.csv');
    const first = createErrorReport({ output: path, append: true, bom: true, object: 'Contact' });
    await first.write(outcome(1));
    await first.end();
    const other = createErrorReport({ output: path, append: true, layout: 'source-row' });
    await expect(other.write(outcome(2))).rejects.toThrow(
      /Cannot append to this report: its header is "salesforce_object,code/,
    );
    await expect(other.end()).rejects.toThrow(KicksawError);
    const same = createErrorReport({ output: path, append: true, object: 'Contact' });
    await same.write(outcome(3));
    await same.end();
    const raw = createErrorReport({ output: path, append: true, header: false, columns: ['row', 'code'] });
    await raw.write(outcome(4));
    await raw.end();
    const lines = readFileSync(path, 'utf8').split('\r\n');
    expect(lines).toHaveLength(5);
    expect(lines[2]?.startsWith('Contact,FIELD_INTEGRITY_EXCEPTION,bad row 3')).toBe(true);
    expect(lines[3]).toBe('4,FIELD_INTEGRITY_EXCEPTION');
  });

  it('writes one line per error, and counts errors and failed rows while writing', async () => {
    const out = collector();
    const report = createErrorReport({ output: out.stream, object: 'Account' });
    await report.write(outcome(1));
    expect(report.counts()).toMatchObject({ errorLines: 1, failedRows: 1, outcomes: 1 });
    await report.write(
      outcome(2, {
        errors: [
          { statusCode: 'A', message: 'first', fields: [] },
          { statusCode: 'B', message: 'second', fields: ['X', 'Y'] },
          { statusCode: 'C', message: 'third', fields: [] },
        ],
      }),
    );
    expect(report.counts()).toMatchObject({ errorLines: 4, failedRows: 2, outcomes: 2 });
    await report.write(outcome(3, { status: 'succeeded', id: '001', created: true, errors: [] }));
    const counts = await report.end();
    expect(counts).toEqual({ errorLines: 4, failedRows: 2, outcomes: 3, successRows: 0 });
    const lines = parseCsv(out.text());
    expect(lines.map((line) => line.code)).toEqual(['FIELD_INTEGRITY_EXCEPTION', 'A', 'B', 'C']);
    expect(lines.every((line) => line.salesforce_object === 'Account')).toBe(true);
    expect(lines[2]?.upsert_key).toBe('');
    expect(JSON.parse(lines[3]?.object_json ?? '')).toEqual({ Name: 'Name 2', External_Id__c: 'E-2' });
  });

  it('never writes a success as an error, even one carrying errors; a failure without detail still gets a line', async () => {
    const out = collector();
    const report = createErrorReport({ output: out.stream });
    await report.writeAll([
      outcome(1, { status: 'succeeded', id: '001', created: true, errors: [] }),
      outcome(2, { status: 'succeeded', id: '002', created: false }), // errors present, but succeeded
      outcome(3, { status: 'failed', errors: [] }),
      outcome(4, { status: 'unprocessed', errors: [] }),
      outcome(5, { status: 'skipped', errors: [] }),
      outcome(6, { status: 'skipped', errors: [{ statusCode: 'DUPLICATE_IN_FILE', message: 'dup', fields: [] }] }),
    ]);
    const counts = await report.end();
    const lines = parseCsv(out.text());
    expect(lines.map((line) => line.code)).toEqual([NO_ERROR_DETAIL, NO_ERROR_DETAIL, 'DUPLICATE_IN_FILE']);
    expect(lines[0]?.message).toBe('Row 3 is failed but came with no error detail.');
    expect(counts).toMatchObject({ errorLines: 3, failedRows: 3, outcomes: 6 });

    const noSkipped = collector();
    const second = createErrorReport({ output: noSkipped.stream, includeSkipped: false });
    await second.writeAll([outcome(6, { status: 'skipped' })]);
    expect((await second.end()).errorLines).toBe(0);
    expect(noSkipped.text()).toBe('salesforce_object,code,message,upsert_key,upsert_key_value,object_json\r\n');
  });

  it('writes a header-only report when there are no errors, and an empty one with header: false', async () => {
    const out = collector();
    const report = createErrorReport({ output: out.stream, header: false });
    await report.write(outcome(1));
    await report.end();
    expect(out.text().startsWith('Contact')).toBe(false);
    expect(out.text().split('\r\n')).toHaveLength(2);
    expect(out.text().startsWith(',FIELD_INTEGRITY_EXCEPTION,bad row 1,,,')).toBe(true);
  });
});

describe('spreadsheet safety', () => {
  const dangerous = [
    '=1+2',
    '+SUM(A1:A9)',
    "-2+3+cmd|' /C calc'!A0",
    '@SUM(1,2)',
    '\tTAB',
    '\rCR',
    '=HYPERLINK("http://evil")',
    '-1+1',
    '+1)',
    '-',
  ];

  it('neutralizes cells starting with = + - @ tab or CR by default (OWASP), and they survive csv-parse', async () => {
    const out = collector();
    const report = createErrorReport({
      output: out.stream,
      columns: ['code', 'message', 'upsert_key_value'],
      upsertKey: 'Key',
    });
    for (const [index, value] of dangerous.entries()) {
      await report.write(
        outcome(index + 1, {
          errors: [{ statusCode: value, message: value, fields: [] }],
          record: { Key: value },
        }),
      );
    }
    // Numbers are not formulas: a negative number stays as it is, typed or as text.
    await report.write(
      outcome(98, { errors: [{ statusCode: '-12.5', message: '+3e5', fields: [] }], record: { Key: '-7' } }),
    );
    await report.write(
      outcome(99, { errors: [{ statusCode: 'X', message: 'safe - inside', fields: [] }], record: { Key: -5 } }),
    );
    await report.end();
    const rows = parseCsv(out.text());
    expect(rows.slice(0, dangerous.length).map((row) => row.code)).toEqual(dangerous.map((value) => `'${value}`));
    expect(rows.slice(0, dangerous.length).map((row) => row.message)).toEqual(dangerous.map((value) => `'${value}`));
    expect(rows.slice(0, dangerous.length).map((row) => row.upsert_key_value)).toEqual(
      dangerous.map((value) => `'${value}`),
    );
    expect(rows.at(-2)).toEqual({ code: '-12.5', message: '+3e5', upsert_key_value: '-7' });
    expect(rows.at(-1)).toEqual({ code: 'X', message: 'safe - inside', upsert_key_value: '-5' });
    // No cell starts with a formula character, unless it is a plain number.
    for (const cell of rows.flatMap((row) => Object.values(row))) {
      if (!/^[+-][\d.e]+$/.test(cell)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
  });

  it('leaves values alone when the caller opts out', async () => {
    const out = collector();
    const report = createErrorReport({ output: out.stream, columns: ['message'], neutralizeFormulas: false });
    for (const value of dangerous)
      await report.write(outcome(1, { errors: [{ statusCode: 'X', message: value, fields: [] }] }));
    await report.end();
    expect(parseCsv(out.text()).map((row) => row.message)).toEqual(dangerous);
  });

  it('writes a UTF-8 BOM only when asked, and only once when appending', async () => {
    const path = join(dir, 'bom.csv');
    for (let batch = 0; batch < 2; batch++) {
      const report = createErrorReport({ output: path, append: true, bom: true, columns: ['code'] });
      await report.write(outcome(batch + 1));
      await report.end();
    }
    const bytes = readFileSync(path);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.indexOf(Buffer.from([0xef, 0xbb, 0xbf]), 3)).toBe(-1);
    expect(bytes.toString('utf8')).toBe('\uFEFFcode\r\nFIELD_INTEGRITY_EXCEPTION\r\nFIELD_INTEGRITY_EXCEPTION\r\n');

    const out = collector();
    const plain = createErrorReport({ output: out.stream, columns: ['code'] });
    await plain.end();
    expect(out.bytes()[0]).toBe(0x63); // 'c', no BOM
  });
});

describe('round trip through csv-parse', () => {
  it('keeps quotes, newlines, CR, commas, delimiters and non-Latin text intact', async () => {
    const nasty = [
      'He said "hi", then left',
      'line one\nline two',
      'carriage\rreturn',
      'crlf\r\ninside',
      'Ünïcödé – 中文 – العربية – עברית – 😀👍🏽',
      ' leading and trailing spaces ',
      '"',
      '""',
      ',',
      '',
      'semi;colon|pipe\ttab-inside',
    ];
    const out = collector();
    const report = createErrorReport({
      output: out.stream,
      object: 'Contact',
      upsertKey: 'Key',
      layout: 'source-row',
      sourceColumns: ['Key', 'Text'],
    });
    for (const [index, value] of nasty.entries()) {
      await report.write(
        outcome(index + 1, {
          record: { Key: `K${index}`, Text: value },
          errors: [{ statusCode: 'ERR', message: value, fields: ['Text', 'Key'] }],
        }),
      );
    }
    await report.end();
    const rows = parseCsv(out.text());
    expect(rows).toHaveLength(nasty.length);
    rows.forEach((row, index) => {
      expect(row).toEqual({
        Key: `K${index}`,
        Text: nasty[index],
        row: String(index + 1),
        error_code: 'ERR',
        error_message: nasty[index],
        error_fields: 'Text;Key',
      });
    });
    // And with \n line endings too.
    const lf = collector();
    const second = createErrorReport({ output: lf.stream, columns: ['message', 'object_json'], lineEnding: '\n' });
    for (const value of nasty)
      await second.write(
        outcome(1, { errors: [{ statusCode: 'E', message: value, fields: [] }], record: { v: value } }),
      );
    await second.end();
    const parsed = parseCsv(lf.text());
    expect(parsed.map((row) => row.message)).toEqual(nasty);
    expect(parsed.map((row) => (JSON.parse(row.object_json ?? '') as { v: string }).v)).toEqual(nasty);
    expect(lf.text().startsWith('message,object_json\n"He said')).toBe(true);
  });
});

describe('layouts and columns', () => {
  it('source-row layout takes the columns of the first record when none are given (Data Loader style)', async () => {
    const out = collector();
    const report = createErrorReport({ output: out.stream, layout: 'source-row' });
    await report.write(outcome(1, { status: 'succeeded', errors: [], record: { Other: 'x' } }));
    await report.write(outcome(7, { record: { Name: 'Acme', Phone: '555' } }));
    await report.write(outcome(8, { record: { Phone: '556', Extra: 'dropped' } }));
    await report.end();
    const [header, ...lines] = out.text().split('\r\n');
    expect(header).toBe('Name,Phone,row,error_code,error_message,error_fields');
    expect(lines.slice(0, 2)).toEqual([
      'Acme,555,7,FIELD_INTEGRITY_EXCEPTION,bad row 7,Name',
      ',556,8,FIELD_INTEGRITY_EXCEPTION,bad row 8,Name',
    ]);
  });

  it('takes custom columns: renamed built-ins and functions of the line', async () => {
    const out = collector();
    const report = createErrorReport({
      output: out.stream,
      upsertKey: 'External_Id__c',
      columns: [
        'row',
        { header: 'Error Code', value: 'code' },
        { header: 'Key', value: 'upsert_key_value' },
        { header: 'Which error', value: (line) => `${line.errorIndex + 1} of ${line.outcome.errors.length}` },
        { header: 'Job', value: 'job_id' },
      ],
    });
    await report.write(
      outcome(3, {
        jobId: '750000000000001AAA',
        errors: [
          { statusCode: 'A', message: 'a', fields: [] },
          { statusCode: 'B', message: 'b', fields: [] },
        ],
      }),
    );
    await report.end();
    expect(out.text()).toBe(
      'row,Error Code,Key,Which error,Job\r\n3,A,E-3,1 of 2,750000000000001AAA\r\n3,B,E-3,2 of 2,750000000000001AAA\r\n',
    );
  });

  it('rejects unknown columns, layouts and delimiters with a ConfigError naming the setting', () => {
    const out = collector();
    // biome-ignore lint/suspicious/noExplicitAny: testing bad input from JavaScript callers
    expect(() => createErrorReport({ output: out.stream, columns: ['nope' as any] })).toThrow(ConfigError);
    // biome-ignore lint/suspicious/noExplicitAny: as above
    expect(() => createErrorReport({ output: out.stream, layout: 'fancy' as any })).toThrow(/layout/);
    expect(() => createErrorReport({ output: out.stream, delimiter: '"' })).toThrow(/delimiter/);
    // Nothing was opened for a bad configuration.
    const path = join(dir, 'never-created.csv');
    // biome-ignore lint/suspicious/noExplicitAny: as above
    expect(() => createErrorReport({ output: path, layout: 'fancy' as any })).toThrow(ConfigError);
    expect(existsSync(path)).toBe(false);
  });

  it('writes an optional success report: sf__Id, sf__Created, then the record columns', async () => {
    const errors = collector();
    const successes = collector();
    const report = createErrorReport({ output: errors.stream, includeSuccesses: successes.stream });
    await report.writeAll([
      outcome(1, {
        status: 'succeeded',
        id: '001000000000001AAA',
        created: true,
        errors: [],
        record: { Name: 'A', Code: '=1' },
      }),
      outcome(2),
      outcome(3, {
        status: 'succeeded',
        id: '001000000000002AAA',
        created: false,
        errors: [],
        record: { Name: 'B, Inc.' },
      }),
    ]);
    const counts = await report.end();
    expect(counts).toEqual({ errorLines: 1, failedRows: 1, outcomes: 3, successRows: 2 });
    expect(successes.text()).toBe(
      'sf__Id,sf__Created,Name,Code\r\n001000000000001AAA,true,A,\'=1\r\n001000000000002AAA,false,"B, Inc.",\r\n',
    );
    expect(parseCsv(errors.text())).toHaveLength(1);
  });
});

describe('streams', () => {
  it('respects backpressure of a slow stream and keeps every line in order', async () => {
    const received: Buffer[] = [];
    let writes = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        writes++;
        received.push(chunk);
        setImmediate(callback);
      },
    });
    const report = createErrorReport({ output: slow, columns: ['row', 'message'] });
    const rows = 20_000;
    for (let row = 1; row <= rows; row++) await report.write(outcome(row));
    const counts = await report.end();
    expect(counts.errorLines).toBe(rows);
    expect(slow.writableFinished).toBe(true);
    expect(writes).toBeGreaterThan(3);
    const lines = Buffer.concat(received).toString('utf8').split('\r\n');
    expect(lines[0]).toBe('row,message');
    expect(lines[1]).toBe('1,bad row 1');
    expect(lines[rows]).toBe(`${rows},bad row ${rows}`);
    expect(lines).toHaveLength(rows + 2);
  });

  it('turns a failing output stream into a KicksawError, and refuses writes after end', async () => {
    const broken = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('disk full'));
      },
    });
    const report = createErrorReport({ output: broken });
    await report.write(outcome(1));
    await expect(report.end()).rejects.toThrow(KicksawError);
    await expect(report.end()).rejects.toThrow(/disk full/);

    const out = collector();
    const done = createErrorReport({ output: out.stream });
    await done.end();
    await expect(done.write(outcome(1))).rejects.toThrow(/already ended/);
  });

  it('leaves a stream open with endOutput: false', async () => {
    const out = collector();
    const report = createErrorReport({ output: out.stream, endOutput: false, columns: ['row'] });
    await report.write(outcome(5));
    await report.end();
    expect(out.stream.writableEnded).toBe(false);
    out.stream.end('tail\r\n');
    await new Promise((resolve) => out.stream.once('end', resolve));
    expect(out.text()).toBe('row\r\n5\r\ntail\r\n');
  });
});

// Bulk ingest's fast paths (rows straight into columns; an ASCII upload's bytes kept for the results instead of its
// decoded text, its batches parsed again when applied; inserts applied 1,000 rows a call) against the general ones on the same uploads: two emulators started alike, one with the fast paths
// switched off, give the same results CSVs byte for byte and store the same records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestPaths, uploadBytesJobs } from '../src/bulk/ingest-paths.js';
import type { SalesforceEmulator } from '../src/index.js';
import { columnInsertRows } from '../src/org/insert-columns.js';
import { api, raw, startEmulator, waitForJob } from './http-support.js';

let fast: SalesforceEmulator;
let general: SalesforceEmulator;

beforeAll(async () => {
  fast = await startEmulator();
  general = await startEmulator();
});
afterAll(async () => {
  await fast?.stop();
  await general?.stop();
});

interface Run {
  final: Record<string, unknown>;
  success: string;
  failed: string;
  unprocessed: string;
}

/** Creates, uploads (one PUT), closes and waits for a job; the three results as text. */
async function run(sf: SalesforceEmulator, job: Record<string, unknown>, body: Buffer): Promise<Run> {
  const created = (await raw(sf, 'POST', api(sf, '/jobs/ingest'), { body: JSON.stringify(job) })).json() as {
    id: string;
  };
  const put = await raw(sf, 'PUT', api(sf, `/jobs/ingest/${created.id}/batches`), { body, type: 'text/csv' });
  expect(put.status).toBe(201);
  await raw(sf, 'PATCH', api(sf, `/jobs/ingest/${created.id}`), { body: JSON.stringify({ state: 'UploadComplete' }) });
  const final = await waitForJob(sf, 'ingest', created.id);
  const read = async (name: string) => (await raw(sf, 'GET', api(sf, `/jobs/ingest/${created.id}/${name}`))).text;
  return {
    final,
    success: await read('successfulResults'),
    failed: await read('failedResults'),
    unprocessed: await read('unprocessedrecords'),
  };
}

/** The same job on both emulators, the general one with the fast paths off; both runs. */
async function both(job: Record<string, unknown>, body: Buffer): Promise<[Run, Run]> {
  const a = await run(fast, job, body);
  ingestPaths.columnInsert = false;
  ingestPaths.uploadBytes = false;
  ingestPaths.insertParts = false;
  try {
    const b = await run(general, job, body);
    return [a, b];
  } finally {
    ingestPaths.columnInsert = true;
    ingestPaths.uploadBytes = true;
    ingestPaths.insertParts = true;
  }
}

/** Widget rows: good ones, with odd ones mixed in (required missing, bad number, short, quoted, a taken ext id). */
function widgets(n: number, prefix: string, eol = '\n', d = ',', extra = ''): Buffer {
  const lines = [['Name', 'ExtId__c', 'Code__c', 'Amount__c', 'Due__c', 'Note__c'].join(d)];
  for (let i = 0; i < n; i++) {
    const code = i % 997 === 5 ? '' : i % 991 === 6 ? '#N/A' : `C${i % 40}`;
    const amount = i % 983 === 7 ? 'abc' : String((i % 1000) / 10);
    const ext = i % 977 === 8 ? `${prefix}-3` : `${prefix}-${i}`;
    const note = i % 5 === 0 ? `"note ${i}${d} ""quoted""${extra}"` : `plain ${i}${extra}`;
    const row = [`W ${i}`, ext, code, amount, `2024-03-${String((i % 28) + 1).padStart(2, '0')}`, note];
    lines.push((i % 971 === 9 ? row.slice(0, 3) : row).join(d));
  }
  return Buffer.from(lines.join(eol) + eol);
}

/**
 * The stored widgets of a prefix, by external id (ids are the same in both emulators, started alike), with their
 * keys in order; the time stamps left out (the emulators' clocks run apart).
 */
function stored(sf: SalesforceEmulator, prefix: string) {
  const stamps = new Set(['CreatedDate', 'LastModifiedDate', 'SystemModstamp']);
  return sf.org
    .records('Widget__c')
    .filter((record) => String(record.ExtId__c).startsWith(`${prefix}-`))
    .map((record) => Object.entries(record).filter(([key]) => !stamps.has(key)));
}

describe('Bulk ingest: fast paths against the general ones', () => {
  it('an ASCII insert of several internal batches: the same results and records, through both fast paths', async () => {
    const jobs = uploadBytesJobs.count;
    const rows = columnInsertRows.count;
    const [a, b] = await both({ object: 'Widget__c', operation: 'insert', lineEnding: 'LF' }, widgets(12_000, 'A'));
    expect(uploadBytesJobs.count - jobs).toBe(1);
    expect(columnInsertRows.count - rows).toBeGreaterThan(11_500);
    expect(a.final).toMatchObject({ state: 'JobComplete', numberRecordsProcessed: 12_000 });
    expect(a.final.numberRecordsFailed).toBeGreaterThan(30);
    expect(a.success).toBe(b.success);
    expect(a.failed).toBe(b.failed);
    expect(a.unprocessed).toBe(b.unprocessed);
    expect(a.success.split('\n')[1]).toMatch(
      /^"\w{18}","true","W 0","A-0","C0","0","2024-03-01","note 0, ""quoted"""$/,
    );
    expect(a.failed).toContain('"W 6","A-6","#N/A","0.6","2024-03-07","plain 6"');
    expect(stored(fast, 'A')).toEqual(stored(general, 'A'));
  });

  it('an upload with characters outside ASCII keeps its text; CRLF and another delimiter', async () => {
    const jobs = uploadBytesJobs.count;
    const body = widgets(3_000, 'U', '\r\n', '|', ' ünïcödé 漢字');
    const [a, b] = await both(
      { object: 'Widget__c', operation: 'insert', lineEnding: 'CRLF', columnDelimiter: 'PIPE' },
      body,
    );
    expect(uploadBytesJobs.count).toBe(jobs);
    expect(a.success).toBe(b.success);
    expect(a.failed).toBe(b.failed);
    expect(a.success).toContain('"plain 1 ünïcödé 漢字"\r\n');
    expect(stored(fast, 'U')).toEqual(stored(general, 'U'));
    // The same rows in ASCII with CRLF and pipes: the bytes path.
    const [c, d] = await both(
      { object: 'Widget__c', operation: 'insert', lineEnding: 'CRLF', columnDelimiter: 'PIPE' },
      widgets(3_000, 'V', '\r\n', '|'),
    );
    expect(uploadBytesJobs.count).toBe(jobs + 1);
    expect(c.success).toBe(d.success);
    expect(c.failed).toBe(d.failed);
    expect(c.success).toContain('"V-1"|"C1"|"0.1"|"2024-03-02"|"plain 1"\r\n');
  });

  it('an unclosed quote at the end: the last batch of rows unprocessed either way, the ones before applied', async () => {
    const body = Buffer.concat([widgets(10_500, 'Q'), Buffer.from('W end,Q-end,C1,1,2024-03-01,"never closed\n')]);
    const [a, b] = await both({ object: 'Widget__c', operation: 'insert', lineEnding: 'LF' }, body);
    expect(a.final).toMatchObject({ state: 'Failed', numberRecordsProcessed: 10_000 });
    expect(String(a.final.errorMessage)).toMatch(/^InvalidBatch : /);
    expect(a.unprocessed.split('\n').length).toBe(500 + 2);
    expect(a.unprocessed).toBe(b.unprocessed);
    expect(a.success).toBe(b.success);
    expect(a.failed).toBe(b.failed);
    expect(stored(fast, 'Q')).toEqual(stored(general, 'Q'));
    // The error names the line where the broken record starts (the record scanner counts lines as the parser does).
    expect(a.final.errorMessage).toBe(b.final.errorMessage);
    expect(a.final.errorMessage).toBe('InvalidBatch : Unclosed quote in the record starting on line 10502');
  });

  it('records the scanner must find as the parser does: quoted line breaks, doubled quotes, empty lines, stray CR and LF', async () => {
    // Rows of many kinds over several internal batches and many request chunks, in LF and CRLF jobs.
    const kinds = (i: number, p: string, eol: string): string => {
      const head = `${p} ${i},${p}-${i},C${i % 9},${i % 9}`;
      switch (i % 9) {
        case 0:
          return `${head},2024-03-01,"two${eol}lines, ""quoted"" ${i}"`;
        case 1:
          return `${head},2024-03-02,"ab"c ${i}`; // text after the closing quote
        case 2:
          return `${head},2024-03-03,x"y ${i}`; // a quote inside an unquoted value
        case 3:
          return `${head},2024-03-04,a\rb ${i}`; // a lone CR: data
        case 4:
          return `${head},2024-03-05,"a\rb\n${i}"`;
        case 5:
          return `"${p} ${i}","${p}-${i}",C5,5,2024-03-06,""`; // an empty quoted value
        case 6:
          return `${head},2024-03-07,"""${i}"""`;
        case 7:
          return `${head},2024-03-08,lf\ndata ${i}`; // a lone LF: data in CRLF, a line break in LF
        default:
          return `${head},2024-03-09,"${i}"${eol}${eol}`; // followed by an empty line
      }
    };
    for (const [lineEnding, eol, prefix] of [
      ['LF', '\n', 'L'],
      ['CRLF', '\r\n', 'K'],
    ] as const) {
      const rows = Array.from({ length: 21_000 }, (_, i) => kinds(i, prefix, eol));
      const text = `Name,ExtId__c,Code__c,Amount__c,Due__c,Note__c${eol}${rows.join(eol)}`; // no line break at the end
      const jobs = uploadBytesJobs.count;
      const [a, b] = await both({ object: 'Widget__c', operation: 'insert', lineEnding }, Buffer.from(text));
      expect(uploadBytesJobs.count - jobs).toBe(1);
      expect(a.final.state).toBe('JobComplete');
      expect(a.final.numberRecordsProcessed).toBe(b.final.numberRecordsProcessed);
      expect(a.success).toBe(b.success);
      expect(a.failed).toBe(b.failed);
      expect(stored(fast, prefix)).toEqual(stored(general, prefix));
    }
    // A CR alone at the very end of a CRLF upload ends its last record.
    const cr = Buffer.from('Name,ExtId__c,Code__c\r\nEnd 1,E-1,C1\r\nEnd 2,E-2,C2\r');
    const [c, d] = await both({ object: 'Widget__c', operation: 'insert', lineEnding: 'CRLF' }, cr);
    expect(c.failed).toBe(d.failed);
    expect(c.final).toMatchObject({ state: 'JobComplete', numberRecordsProcessed: 2, numberRecordsFailed: 0 });
    expect(c.success).toBe(d.success);
    expect(stored(fast, 'E')).toEqual(stored(general, 'E'));
  });

  it('a byte order mark: the header read without it, either way', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), widgets(1_200, 'O')]);
    const [a, b] = await both({ object: 'Widget__c', operation: 'insert', lineEnding: 'LF' }, body);
    expect(a.final.state).toBe('JobComplete');
    expect(a.success).toBe(b.success);
    expect(a.failed).toBe(b.failed);
    expect(stored(fast, 'O')).toEqual(stored(general, 'O'));
    expect(stored(fast, 'O').length).toBeGreaterThan(1_100);
  });

  it('upserts and deletes read their rows back from the upload bytes', async () => {
    const first = Buffer.from(
      `Name,ExtId__c,Code__c\n${Array.from({ length: 250 }, (_, i) => `B ${i},B-${i},B`).join('\n')}\n`,
    );
    await both({ object: 'Widget__c', operation: 'insert', lineEnding: 'LF' }, first);
    const rows = Array.from({ length: 500 }, (_, i) => `${i % 2 ? 'B' : 'N'}-${i % 2 ? (i - 1) / 2 : i},Up ${i},U`);
    const upsert = Buffer.from(`ExtId__c,Name,Code__c\n${rows.join('\n')}\nB-1,Twice,U\n`);
    const job = { object: 'Widget__c', operation: 'upsert', externalIdFieldName: 'ExtId__c', lineEnding: 'LF' };
    const [a, b] = await both(job, upsert);
    expect(a.final).toMatchObject({ state: 'JobComplete', numberRecordsProcessed: 501, numberRecordsFailed: 2 });
    expect(a.success).toBe(b.success);
    expect(a.failed).toBe(b.failed);
    expect(a.failed).toContain('DUPLICATE_EXTERNAL_ID');
    expect(a.success).toMatch(/"false","B-2","Up 5","U"\n/);
    expect(a.success).toMatch(/"true","N-4","Up 4","U"\n/);
    const ids = stored(fast, 'N').map((entries) => Object.fromEntries(entries).Id as string);
    const deletes = Buffer.from(`Id\n${ids.slice(0, 100).join('\n')}\n${ids[0]}\n`);
    const [c, d] = await both({ object: 'Widget__c', operation: 'delete', lineEnding: 'LF' }, deletes);
    expect(c.final).toMatchObject({ state: 'JobComplete', numberRecordsProcessed: 101, numberRecordsFailed: 1 });
    expect(c.success).toBe(d.success);
    expect(c.failed).toBe(d.failed);
    expect(stored(fast, 'N')).toEqual(stored(general, 'N'));
    expect(stored(fast, 'B')).toEqual(stored(general, 'B'));
    expect(stored(fast, 'N')).toHaveLength(150);
  });

  it('an injected stop part-way and row errors: the same unprocessed and failed rows either way', async () => {
    for (const sf of [fast, general]) {
      sf.faults.set({ failIngestJobAfterRows: 10_345 });
    }
    try {
      const [a, b] = await both({ object: 'Widget__c', operation: 'insert', lineEnding: 'LF' }, widgets(12_000, 'F'));
      expect(a.final).toMatchObject({ state: 'Failed', numberRecordsProcessed: 10_345 });
      expect(a.unprocessed.split('\n').length).toBe(12_000 - 10_345 + 2); // header and the last line ending
      expect(a.unprocessed).toBe(b.unprocessed);
      expect(a.success).toBe(b.success);
      expect(a.failed).toBe(b.failed);
    } finally {
      for (const sf of [fast, general]) sf.faults.set({});
    }
    for (const sf of [fast, general]) {
      sf.faults.set({ rowErrors: [{ objects: ['Widget__c'], rate: 0.05, statusCode: 'UNABLE_TO_LOCK_ROW' }], seed: 3 });
    }
    try {
      const [a, b] = await both({ object: 'Widget__c', operation: 'insert', lineEnding: 'LF' }, widgets(2_000, 'R'));
      expect(a.failed).toContain('UNABLE_TO_LOCK_ROW');
      expect(a.success).toBe(b.success);
      expect(a.failed).toBe(b.failed);
    } finally {
      for (const sf of [fast, general]) sf.faults.set({});
    }
    expect(stored(fast, 'F')).toEqual(stored(general, 'F'));
    expect(stored(fast, 'R')).toEqual(stored(general, 'R'));
  });
});
